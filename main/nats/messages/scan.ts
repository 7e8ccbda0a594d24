/**
 * The plain-read scan strategies of the message browser: pages, a time start and the last N
 * messages found with one-message reads (direct get or STREAM.MSG.GET), no consumer.
 *
 * nats-server 2.9 has no batch direct get (2.11+), only one message per request with
 * `{ seq, next_by_subj }`. Dense reads (unfiltered, or a filter matching most messages) use
 * windows of concurrent requests: asking "the first match at or after s" for every s in
 * [cursor, cursor+w) returns every match inside the window, and the answer for the last s is the
 * first match beyond it, where the next window starts. Sparse filters would waste most of those
 * requests, so the range expected to hold the page is split into parallel chains instead, each
 * following next_by_subj through its part: about one request per message, and a sequential depth
 * of a page divided by the number of chains.
 */
import type { ReadMessage } from './direct-reader';

/** Upper bound of concurrent requests in one window. */
const MAX_WINDOW = 128;
/** Requests of the first window, which tells dense filters from sparse ones. */
const PROBE_WINDOW = 16;
/** Parallel chains over a sparse filter's range. */
const CHAINS = 16;
/** Probes per round trip when searching the sequence at a time. */
const SEARCH_FANOUT = 8;

export interface StreamBounds {
  firstSeq: number;
  lastSeq: number;
  direct: boolean;
  /** Limits retention: a short-lived ephemeral consumer cannot take or keep anything here. */
  consumerSafe: boolean;
}

/** The first message at or after seq matching filter (">" for any), or null past the end. */
export type NextMatch = (seq: number, filter: string) => Promise<ReadMessage | null>;

/** One stream as the scans read it: its bounds and its one-message read. */
export interface ScanTarget {
  bounds: StreamBounds;
  next: NextMatch;
}

/**
 * Collects up to `limit` messages with seq >= start matching filter, in sequence order.
 * Returns them and the sequence the next page starts at (null at the end).
 */
export async function scan(
  t: ScanTarget,
  start: number,
  filter: string,
  limit: number,
  stopAfter = Number.POSITIVE_INFINITY
): Promise<{ messages: ReadMessage[]; nextSeq: number | null }> {
  if (filter !== '>') {
    const sparse = await scanSparse(t, start, filter, limit, stopAfter);
    if (sparse) return sparse;
  }
  return scanWindows(t, start, filter, limit, stopAfter);
}

/** Follows next_by_subj from lo while below hiExclusive, at most cap messages. */
async function chain(
  next: NextMatch,
  lo: number,
  hiExclusive: number,
  filter: string,
  cap: number
): Promise<{ messages: ReadMessage[]; complete: boolean; beyond: ReadMessage | null; atEnd: boolean }> {
  const messages: ReadMessage[] = [];
  let s = lo;
  while (s < hiExclusive) {
    if (messages.length >= cap) return { messages, complete: false, beyond: null, atEnd: false };
    const m = await next(s, filter);
    if (!m) return { messages, complete: true, beyond: null, atEnd: true };
    if (m.seq >= hiExclusive) return { messages, complete: true, beyond: m, atEnd: false };
    messages.push(m);
    s = m.seq + 1;
  }
  return { messages, complete: true, beyond: null, atEnd: false };
}

/**
 * The sparse-filter read: a probe window measures how densely the filter matches; a dense one
 * returns null (the window scan suits it better), a sparse one is read with parallel chains over
 * the range expected to hold the rest of the page.
 */
async function scanSparse(
  t: ScanTarget,
  start: number,
  filter: string,
  limit: number,
  stopAfter: number
): Promise<{ messages: ReadMessage[]; nextSeq: number | null } | null> {
  const b = t.bounds;
  const end = Math.min(b.lastSeq, stopAfter); // inclusive
  let cursor = Math.max(start, b.firstSeq);
  if (cursor > end) return { messages: [], nextSeq: null };
  const found: ReadMessage[] = [];
  // Probe: PROBE_WINDOW concurrent requests from the cursor.
  const w = Math.min(PROBE_WINDOW, end - cursor + 1);
  const answers = await Promise.all(Array.from({ length: w }, (_, i) => t.next(cursor + i, filter)));
  const seen = new Set<number>();
  let beyond: ReadMessage | null = null;
  for (const m of answers) {
    if (!m || seen.has(m.seq)) continue;
    seen.add(m.seq);
    if (m.seq < cursor + w) found.push(m);
    else if (!beyond || m.seq < beyond.seq) beyond = m;
  }
  if (found.length >= w / 2 && found.length < limit) return null; // dense: windows are cheaper
  found.sort((x, y) => x.seq - y.seq);
  let atEnd = answers[w - 1] === null;
  // Matches per sequence; a gap up to the first match beyond also counts as evidence.
  let density = found.length > 0 ? found.length / w : beyond ? 1 / (beyond.seq - cursor + 1) : 0;
  if (beyond && beyond.seq <= end) {
    found.push(beyond);
    cursor = beyond.seq + 1;
  } else if (beyond) {
    atEnd = true; // the next match is past the range asked for
  } else {
    // The window's last sequence matched itself, so nothing was asked beyond it: go on from there.
    cursor += w;
  }
  while (found.length < limit && !atEnd && cursor <= end) {
    const need = limit - found.length;
    const span = Math.min(end - cursor + 1, Math.max(CHAINS, Math.ceil((1.25 * need) / Math.max(density, 1e-6))));
    const k = Math.min(CHAINS, span);
    const part = Math.ceil(span / k);
    const spanEnd = cursor + span; // exclusive
    const chains = await Promise.all(
      Array.from({ length: k }, (_, i) => {
        const lo = cursor + i * part;
        return chain(t.next, lo, Math.min(lo + part, spanEnd), filter, need);
      })
    );
    let inSpan = 0;
    let cut = false;
    for (const c of chains) {
      found.push(...c.messages);
      inSpan += c.messages.length;
      // A chain cut short holds the page's end: later chains are beyond it.
      if (!c.complete) {
        cut = true;
        break;
      }
    }
    if (cut) break;
    const last = chains[chains.length - 1]!;
    density = Math.max(inSpan / span, 1 / (span * 4));
    if (last.beyond && last.beyond.seq <= end) {
      found.push(last.beyond);
      cursor = last.beyond.seq + 1;
    } else {
      atEnd = last.atEnd || last.beyond !== null || spanEnd > end;
      cursor = spanEnd;
    }
  }
  const sorted = found.sort((x, y) => x.seq - y.seq).slice(0, limit);
  const lastMsg = sorted.at(-1);
  const more = sorted.length === limit && lastMsg !== undefined && lastMsg.seq < b.lastSeq;
  return { messages: sorted, nextSeq: more && lastMsg ? lastMsg.seq + 1 : null };
}

/** The dense read: windows of concurrent requests (see the file comment). */
async function scanWindows(
  t: ScanTarget,
  start: number,
  filter: string,
  limit: number,
  stopAfter: number
): Promise<{ messages: ReadMessage[]; nextSeq: number | null }> {
  const b = t.bounds;
  const found = new Map<number, ReadMessage>();
  let cursor = Math.max(start, b.firstSeq);
  // Unfiltered reads are dense (only deleted messages leave gaps); filtered ones learn their density.
  let density = filter === '>' ? 1 : 0.5;
  let exhausted = false;
  while (found.size < limit && !exhausted && cursor <= Math.min(b.lastSeq, stopAfter)) {
    const need = limit - found.size;
    // Keep the wasted requests per message small: w / (density*w + 1) <= 3.
    const affordable = density >= 1 / 3 ? MAX_WINDOW : Math.floor(3 / (1 - 3 * density));
    const end = Math.min(b.lastSeq, stopAfter);
    const w = Math.max(
      1,
      Math.min(MAX_WINDOW, affordable, Math.ceil(need / Math.max(density, 0.01)), end - cursor + 1)
    );
    const requests: Array<Promise<ReadMessage | null>> = [];
    for (let i = 0; i < w; i++) requests.push(t.next(cursor + i, filter));
    const answers = await Promise.all(requests);
    const windowEnd = cursor + w; // exclusive
    let inWindow = 0;
    let beyond: ReadMessage | null = null;
    for (const m of answers) {
      if (!m) continue;
      if (m.seq < windowEnd) {
        if (!found.has(m.seq)) inWindow++;
        found.set(m.seq, m);
      } else if (!beyond || m.seq < beyond.seq) {
        beyond = m;
      }
    }
    density = 0.5 * density + 0.5 * (inWindow / w);
    if (beyond && beyond.seq <= stopAfter) {
      found.set(beyond.seq, beyond);
      cursor = beyond.seq + 1;
    } else {
      // No match at or after the window's last sequence: nothing more in range.
      exhausted = answers[answers.length - 1] === null || beyond !== null;
      cursor = windowEnd;
    }
  }
  const sorted = [...found.values()].sort((x, y) => x.seq - y.seq).slice(0, limit);
  const last = sorted.at(-1);
  const more = sorted.length === limit && last !== undefined && last.seq < b.lastSeq;
  return { messages: sorted, nextSeq: more && last ? last.seq + 1 : null };
}

/**
 * The first sequence whose time is at or after `time`, by a search with SEARCH_FANOUT probes per
 * round trip (works on every server; nats-server 2.9's own start-time lookup scans the stream).
 * C(p) = "the first message at or after p is at or after `time`, or there is none" only turns
 * from false to true as p grows, and the answer is the smallest p where it holds.
 */
export async function seqAtTime(t: ScanTarget, time: string): Promise<number> {
  const b = t.bounds;
  const target = Date.parse(time);
  let lo = b.firstSeq;
  let hi = b.lastSeq + 1; // C(hi) holds: there is nothing after the end
  while (lo < hi) {
    const width = hi - lo;
    const points =
      width <= SEARCH_FANOUT
        ? Array.from({ length: width }, (_, i) => lo + i)
        : Array.from({ length: SEARCH_FANOUT }, (_, i) => lo + Math.floor(((i + 1) * width) / (SEARCH_FANOUT + 1)));
    const answers = await Promise.all(points.map((p) => t.next(p, '>')));
    let narrowed = false;
    for (let i = 0; i < points.length; i++) {
      const m = answers[i];
      if (!m || m.timeMs >= target) {
        hi = points[i]!;
        narrowed = true;
        break;
      }
      // Everything up to m.seq has C false.
      lo = Math.max(lo, m.seq + 1);
    }
    if (!narrowed && lo >= hi) break;
  }
  return lo;
}

/**
 * The newest `n` messages matching filter. Unfiltered that is one forward page from
 * lastSeq-n+1; filtered, windows further and further back are scanned until n are found.
 */
export async function lastN(t: ScanTarget, filter: string, n: number): Promise<ReadMessage[]> {
  const b = t.bounds;
  if (filter === '>') {
    // Deleted messages may leave gaps, so widen the start until n are found or the stream begins.
    let span = n;
    for (;;) {
      const start = Math.max(b.firstSeq, b.lastSeq - span + 1);
      const { messages } = await scan(t, start, filter, span);
      if (messages.length >= n || start === b.firstSeq) return messages.slice(-n);
      span *= 2;
    }
  }
  let collected: ReadMessage[] = [];
  let hi = b.lastSeq;
  let span = Math.max(n * 2, 64);
  while (hi >= b.firstSeq && collected.length < n) {
    const lo = Math.max(b.firstSeq, hi - span + 1);
    const { messages } = await scan(t, lo, filter, Number.MAX_SAFE_INTEGER, hi);
    collected = [...messages.filter((m) => m.seq <= hi), ...collected];
    hi = lo - 1;
    span *= 4;
  }
  return collected.slice(-n);
}
