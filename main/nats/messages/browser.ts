/**
 * MessageBrowser: pages through any stream from a sequence, from a time or the last N, optionally
 * filtered by subject, without durable consumers and without disturbing any stream.
 *
 * - Streams with allow_direct (Syn_OS's own, as provisioned) are read with pipelined direct gets
 *   (`$JS.API.DIRECT.GET`): the fastest way measured, and no consumer ever appears.
 * - WorkQueue and Interest streams without it (where a consumer would take or release messages)
 *   are read with `STREAM.MSG.GET`, also a plain read.
 * - Unfiltered pages of Limits streams without allow_direct are read with one short-lived
 *   ephemeral consumer per page (ack none, memory, R1, deleted right after, and removed by the
 *   server after a few seconds of inactivity should we crash): the server sends the whole page in
 *   one burst, as natscli's `stream view` does, which beats a hundred STREAM.MSG.GETs. Filtered
 *   pages use plain reads even there: creating a filtered consumer makes nats-server 2.9 count the
 *   matches to the end of the stream, which costs more than the page. If the account may not
 *   create consumers, plain reads are used throughout.
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
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type ConsumerConfig,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StoredMsg
} from '@nats-io/jetstream';
import {
  MsgHdrsImpl,
  createInbox,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription
} from '@nats-io/transport-node';
import { ContractError, type BrowsedMessage, type BrowsePage } from '../../contract';
import { toJetStreamError } from '../inspection';

/** Default payload bytes included per message in a page. */
export const LIST_PAYLOAD_BYTES = 8 * 1024;
/** Upper bound of concurrent requests in one window. */
const MAX_WINDOW = 128;
/** Requests of the first window, which tells dense filters from sparse ones. */
const PROBE_WINDOW = 16;
/** Parallel chains over a sparse filter's range. */
const CHAINS = 16;
/** Probes per round trip when searching the sequence at a time. */
const SEARCH_FANOUT = 8;
/** Above this size a payload's format is guessed from its start instead of parsed whole. */
const FULL_DETECT_BYTES = 256 * 1024;
/** Headers direct get adds to each answer; they describe the read, not the message. */
const DIRECT_HEADERS = new Set([
  'nats-stream',
  'nats-sequence',
  'nats-time-stamp',
  'nats-subject',
  'nats-last-sequence',
  'nats-num-pending'
]);

export type BrowseFrom = { seq: number } | { time: string } | { last: number };

export interface BrowseOptions {
  from?: BrowseFrom | undefined;
  subject?: string | undefined;
  limit?: number | undefined;
  maxPayloadBytes?: number | undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Control characters other than tab, newline and carriage return mean the payload is not text. */
function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return true;
  }
  return false;
}

/** Detects how a payload is best shown: JSON, text, binary (hex) or empty. */
export function detectFormat(data: Uint8Array): BrowsedMessage['format'] {
  if (data.length === 0) return 'empty';
  let text: string;
  try {
    text = utf8.decode(data.length > FULL_DETECT_BYTES ? data.subarray(0, FULL_DETECT_BYTES) : data);
  } catch {
    // A multi-byte character cut at the detection limit is not binary; anything else is.
    if (data.length <= FULL_DETECT_BYTES) return 'binary';
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(0, FULL_DETECT_BYTES - 4));
    } catch {
      return 'binary';
    }
  }
  if (hasControlCharacters(text)) return 'binary';
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') {
    if (data.length > FULL_DETECT_BYTES) return 'json';
    try {
      JSON.parse(text);
      return 'json';
    } catch {
      return 'text';
    }
  }
  return 'text';
}

/** A message as read, whichever way it was read. */
export interface ReadMessage {
  seq: number;
  subject: string;
  time: string;
  timeMs: number;
  data: Uint8Array;
  header: MsgHdrs | undefined;
}

function fromStored(m: StoredMsg): ReadMessage {
  let header: MsgHdrs | undefined;
  try {
    header = m.header;
  } catch {
    header = undefined;
  }
  return { seq: m.seq, subject: m.subject, time: m.timestamp, timeMs: m.time.getTime(), data: m.data, header };
}

function fromConsumer(m: JsMsg): ReadMessage {
  return {
    seq: m.seq,
    subject: m.subject,
    time: m.timestamp,
    timeMs: m.time.getTime(),
    data: m.data,
    header: m.headers
  };
}

const encoder = new TextEncoder();

interface PendingRead {
  resolve: (m: ReadMessage | null) => void;
  reject: (error: Error) => void;
  at: number;
  stream: string;
  api: 'direct' | 'msg-get';
}

/** The JSON answer of STREAM.MSG.GET. */
interface MsgGetResponse {
  error?: { code: number; err_code?: number; description?: string };
  message?: { subject: string; seq: number; hdrs?: string; data?: string; time: string };
}

/**
 * Pipelined plain reads (direct get, or STREAM.MSG.GET) over one reply subscription: a page fires
 * dozens of reads at once, and nats.js's request() (a mux entry, a timer and a parsed message
 * object per read) costs about three times as much per read as a publish matched back by its
 * reply subject.
 */
class DirectReader {
  private readonly prefix = createInbox();
  private sub: Subscription | null = null;
  private nextId = 0;
  private readonly pending = new Map<number, PendingRead>();
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number
  ) {}

  /** The first message at or after seq on filter, or null when there is none. */
  next(stream: string, seq: number, filter: string, api: 'direct' | 'msg-get'): Promise<ReadMessage | null> {
    this.sub ??= this.nc.subscribe(`${this.prefix}.*`, { callback: (error, msg) => this.onReply(error, msg) });
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, at: Date.now(), stream, api });
      this.startSweeper();
      const subject = api === 'direct' ? `$JS.API.DIRECT.GET.${stream}` : `$JS.API.STREAM.MSG.GET.${stream}`;
      try {
        this.nc.publish(subject, encoder.encode(JSON.stringify({ seq, next_by_subj: filter })), {
          reply: `${this.prefix}.${id}`
        });
      } catch (error) {
        this.pending.delete(id);
        reject(error as Error);
      }
    });
  }

  private onReply(error: Error | null, msg: Msg): void {
    if (error) {
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
      this.sub = null;
      return;
    }
    const id = Number(msg.subject.slice(this.prefix.length + 1));
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    const h = msg.headers;
    const code = h?.code ?? 0;
    if (code === 404) return p.resolve(null);
    if (code !== 0 || (p.api === 'direct' && !h)) {
      const what =
        code === 503 ? 'JetStream is not answering (no responders)' : `${code} ${h?.description ?? ''}`.trim();
      return p.reject(new ContractError('JETSTREAM_ERROR', `reading ${p.stream} failed: ${what}`));
    }
    if (p.api === 'msg-get') return this.onMsgGet(p, msg);
    if (!h) return;
    const time = h.get('Nats-Time-Stamp');
    p.resolve({
      seq: Number(h.get('Nats-Sequence')),
      subject: h.get('Nats-Subject'),
      time,
      timeMs: Date.parse(time),
      data: msg.data,
      header: h
    });
  }

  private onMsgGet(p: PendingRead, msg: Msg): void {
    let r: MsgGetResponse;
    try {
      r = JSON.parse(new TextDecoder().decode(msg.data)) as MsgGetResponse;
    } catch {
      return p.reject(
        new ContractError('JETSTREAM_ERROR', `reading ${p.stream} failed: the server sent an unreadable answer`)
      );
    }
    if (r.error) {
      if (r.error.code === 404 || r.error.err_code === 10037) return p.resolve(null);
      const what = `${r.error.description ?? 'error'} (err_code ${r.error.err_code ?? r.error.code})`;
      return p.reject(
        new ContractError(
          r.error.err_code === 10059 ? 'NOT_FOUND' : 'JETSTREAM_ERROR',
          `reading ${p.stream} failed: ${what}`
        )
      );
    }
    const m = r.message;
    if (!m)
      return p.reject(new ContractError('JETSTREAM_ERROR', `reading ${p.stream} failed: the answer holds no message`));
    const data = m.data ? new Uint8Array(Buffer.from(m.data, 'base64')) : new Uint8Array(0);
    const header = m.hdrs ? MsgHdrsImpl.decode(new Uint8Array(Buffer.from(m.hdrs, 'base64'))) : undefined;
    p.resolve({ seq: m.seq, subject: m.subject, time: m.time, timeMs: Date.parse(m.time), data, header });
  }

  /** One timer for all reads in flight: a read not answered in time fails with TIMEOUT. */
  private startSweeper(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => {
      const limit = Date.now() - this.timeoutMs;
      for (const [id, p] of this.pending) {
        if (p.at > limit) continue;
        this.pending.delete(id);
        p.reject(
          new ContractError('TIMEOUT', `direct get from ${p.stream} was not answered within ${this.timeoutMs} ms`)
        );
      }
      if (this.pending.size === 0 && this.sweeper) {
        clearInterval(this.sweeper);
        this.sweeper = null;
      }
    }, 250);
    this.sweeper.unref();
  }
}

function headersOf(header: MsgHdrs | undefined): Record<string, string[]> | null {
  if (!header) return null;
  const out: Record<string, string[]> = {};
  for (const key of header.keys()) {
    if (DIRECT_HEADERS.has(key.toLowerCase())) continue;
    out[key] = header.values(key);
  }
  return Object.keys(out).length > 0 ? out : null;
}

/** A stored message in the contract's shape, its payload cut to maxPayloadBytes. */
export function toBrowsedMessage(msg: ReadMessage, maxPayloadBytes: number): BrowsedMessage {
  const data = msg.data;
  const truncated = data.length > maxPayloadBytes;
  const shown = truncated ? data.subarray(0, maxPayloadBytes) : data;
  const headers = headersOf(msg.header);
  const notes = serverHeaderNotes(headers, msg.time, data);
  return {
    seq: msg.seq,
    subject: msg.subject,
    time: msg.time,
    headers,
    size: data.length,
    format: detectFormat(data),
    payloadBase64: Buffer.from(shown.buffer, shown.byteOffset, shown.byteLength).toString('base64'),
    truncated,
    ...(notes.length > 0 ? { notes } : {})
  };
}

/** Go-style durations as nats-server accepts them in Nats-TTL ("30s", "1h30m", "500ms") or bare seconds. */
export function parseServerDuration(value: string): number | null {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = v;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!m) return null;
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return v.length > 0 ? total : null;
}

/**
 * The headers nats-server ≥ 2.11/2.12 gives a meaning to, in words, so the browser does not show a
 * counter's or a schedule's message as an ordinary one: Nats-TTL (per-message TTL; "never" keeps it
 * past max_age), Nats-Incr with the {"val": total} body of a counter stream (2.12), Nats-Schedule
 * with its target (2.12), and Nats-Marker-Reason on a marker the server wrote itself (2.12).
 */
export function serverHeaderNotes(headers: Record<string, string[]> | null, time: string, data: Uint8Array): string[] {
  if (!headers) return [];
  const one = (name: string): string | undefined => {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
    return key ? headers[key]?.[0] : undefined;
  };
  const notes: string[] = [];
  const ttl = one('Nats-TTL');
  if (ttl !== undefined) {
    const ms = parseServerDuration(ttl);
    if (ttl.trim().toLowerCase() === 'never') notes.push('TTL never: kept past the stream max age');
    else if (ms === null) notes.push(`TTL ${ttl} (not a duration the server accepts)`);
    else notes.push(`TTL ${ttl}: expires ${new Date(Date.parse(time) + ms).toISOString()}`);
  }
  const incr = one('Nats-Incr');
  if (incr !== undefined) {
    let total: string | null = null;
    try {
      const body = JSON.parse(new TextDecoder().decode(data)) as { val?: unknown };
      total = typeof body.val === 'string' || typeof body.val === 'number' ? String(body.val) : null;
    } catch {
      total = null;
    }
    notes.push(`counter: ${incr.startsWith('-') ? incr : `+${incr}`}, total ${total ?? '(unreadable)'}`);
  }
  const schedule = one('Nats-Schedule');
  if (schedule !== undefined) {
    const target = one('Nats-Schedule-Target');
    notes.push(`scheduled ${schedule}${target ? ` → ${target}` : ''}`);
  }
  const marker = one('Nats-Marker-Reason');
  if (marker !== undefined) notes.push(`marker written by the server: ${marker}`);
  return notes;
}

interface StreamBounds {
  firstSeq: number;
  lastSeq: number;
  direct: boolean;
  /** Limits retention: a short-lived ephemeral consumer cannot take or keep anything here. */
  consumerSafe: boolean;
}

/** How long the server keeps an abandoned browser consumer (nanoseconds). */
const BROWSER_CONSUMER_INACTIVE_NS = 5_000 * 1_000_000;

/** Reads pages of messages from streams without consumers. One instance per connection. */
export class MessageBrowser {
  private jsmPromise: Promise<JetStreamManager> | null = null;
  private js: JetStreamClient | null = null;
  /** Set once the account was refused a consumer: plain reads from then on. */
  private consumersRefused = false;
  private readonly reader: DirectReader;

  /** `consumers: false` forces plain reads everywhere (the WorkQueue/Interest path; benchmarks). */
  constructor(
    private readonly nc: NatsConnection,
    options: { consumers?: boolean; timeoutMs?: number } = {}
  ) {
    if (options.consumers === false) this.consumersRefused = true;
    this.reader = new DirectReader(nc, options.timeoutMs ?? 5000);
  }

  private jsm(): Promise<JetStreamManager> {
    this.jsmPromise ??= jetstreamManager(this.nc, { checkAPI: false });
    return this.jsmPromise;
  }

  /**
   * One page through an ephemeral consumer: created at the start, asked for exactly the number of
   * messages it reports pending (so the fetch never waits), then deleted. Null when the server
   * refuses the consumer (permissions), so the caller falls back to plain reads.
   */
  private async viaConsumer(
    stream: string,
    start: { seq: number },
    filter: string,
    limit: number
  ): Promise<{ messages: ReadMessage[]; nextSeq: number | null } | null> {
    const jsm = await this.jsm();
    const config: Partial<ConsumerConfig> = {
      description: 'synos-cc message browser (ephemeral, read-only)',
      ack_policy: AckPolicy.None,
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: BROWSER_CONSUMER_INACTIVE_NS,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: start.seq
    };
    if (filter !== '>') config.filter_subject = filter;
    let info;
    try {
      info = await jsm.consumers.add(stream, config);
    } catch (error) {
      // Not allowed to (permissions), or the server refuses (consumer limit, filter outside the
      // stream's subjects …): plain reads still work, and answer such cases precisely.
      if (/permission|not authorized|authorization/i.test(String(error))) this.consumersRefused = true;
      else if (!(error instanceof JetStreamApiError)) throw error;
      return null;
    }
    try {
      const want = Math.min(limit, info.num_pending);
      const messages: ReadMessage[] = [];
      if (want > 0) {
        this.js ??= jetstream(this.nc);
        const consumer = this.js.consumers.getConsumerFromInfo(info);
        const batch = await consumer.fetch({ max_messages: want, expires: 5000 });
        for await (const m of batch) {
          messages.push(fromConsumer(m));
          if (messages.length >= want) break;
        }
      }
      const last = messages.at(-1);
      const nextSeq = info.num_pending > messages.length && last ? last.seq + 1 : null;
      return { messages, nextSeq };
    } finally {
      // The inactive threshold removes it anyway if this delete is lost.
      await jsm.consumers.delete(stream, info.name).catch(() => undefined);
    }
  }

  private async bounds(stream: string): Promise<StreamBounds> {
    try {
      const jsm = await this.jsm();
      const si = await jsm.streams.info(stream);
      return {
        firstSeq: si.state.first_seq,
        lastSeq: si.state.last_seq,
        direct: Boolean(si.config.allow_direct),
        consumerSafe: si.config.retention === 'limits'
      };
    } catch (error) {
      throw toJetStreamError(error, `stream ${stream}`, [this.nc.getServer()]);
    }
  }

  /** The first message at or after seq matching filter (">" for any), or null past the end. */
  private async next(
    jsm: JetStreamManager,
    stream: string,
    direct: boolean,
    seq: number,
    filter: string
  ): Promise<ReadMessage | null> {
    return this.reader.next(stream, seq, filter, direct ? 'direct' : 'msg-get');
  }

  /**
   * Collects up to `limit` messages with seq >= start matching filter, in sequence order.
   * Returns them and the sequence the next page starts at (null at the end).
   */
  private async scan(
    stream: string,
    b: StreamBounds,
    start: number,
    filter: string,
    limit: number,
    stopAfter = Number.POSITIVE_INFINITY
  ): Promise<{ messages: ReadMessage[]; nextSeq: number | null }> {
    if (filter !== '>') {
      const sparse = await this.scanSparse(stream, b, start, filter, limit, stopAfter);
      if (sparse) return sparse;
    }
    return this.scanWindows(stream, b, start, filter, limit, stopAfter);
  }

  /** Follows next_by_subj from lo while below hiExclusive, at most cap messages. */
  private async chain(
    jsm: JetStreamManager,
    stream: string,
    direct: boolean,
    lo: number,
    hiExclusive: number,
    filter: string,
    cap: number
  ): Promise<{ messages: ReadMessage[]; complete: boolean; beyond: ReadMessage | null; atEnd: boolean }> {
    const messages: ReadMessage[] = [];
    let s = lo;
    while (s < hiExclusive) {
      if (messages.length >= cap) return { messages, complete: false, beyond: null, atEnd: false };
      const m = await this.next(jsm, stream, direct, s, filter);
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
  private async scanSparse(
    stream: string,
    b: StreamBounds,
    start: number,
    filter: string,
    limit: number,
    stopAfter: number
  ): Promise<{ messages: ReadMessage[]; nextSeq: number | null } | null> {
    const jsm = await this.jsm();
    const end = Math.min(b.lastSeq, stopAfter); // inclusive
    let cursor = Math.max(start, b.firstSeq);
    if (cursor > end) return { messages: [], nextSeq: null };
    const found: ReadMessage[] = [];
    // Probe: PROBE_WINDOW concurrent requests from the cursor.
    const w = Math.min(PROBE_WINDOW, end - cursor + 1);
    const answers = await Promise.all(
      Array.from({ length: w }, (_, i) => this.next(jsm, stream, b.direct, cursor + i, filter))
    );
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
          return this.chain(jsm, stream, b.direct, lo, Math.min(lo + part, spanEnd), filter, need);
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
  private async scanWindows(
    stream: string,
    b: StreamBounds,
    start: number,
    filter: string,
    limit: number,
    stopAfter: number
  ): Promise<{ messages: ReadMessage[]; nextSeq: number | null }> {
    const jsm = await this.jsm();
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
      for (let i = 0; i < w; i++) requests.push(this.next(jsm, stream, b.direct, cursor + i, filter));
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
  private async seqAtTime(stream: string, b: StreamBounds, time: string): Promise<number> {
    const target = Date.parse(time);
    const jsm = await this.jsm();
    let lo = b.firstSeq;
    let hi = b.lastSeq + 1; // C(hi) holds: there is nothing after the end
    while (lo < hi) {
      const width = hi - lo;
      const points =
        width <= SEARCH_FANOUT
          ? Array.from({ length: width }, (_, i) => lo + i)
          : Array.from({ length: SEARCH_FANOUT }, (_, i) => lo + Math.floor(((i + 1) * width) / (SEARCH_FANOUT + 1)));
      const answers = await Promise.all(points.map((p) => this.next(jsm, stream, b.direct, p, '>')));
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

  /** One page of messages. */
  async browse(stream: string, options: BrowseOptions = {}): Promise<BrowsePage> {
    const limit = options.limit ?? 100;
    const maxPayload = options.maxPayloadBytes ?? LIST_PAYLOAD_BYTES;
    const filter = options.subject ?? '>';
    const b = await this.bounds(stream);
    let method: BrowsePage['method'] = b.direct ? 'direct' : 'msg-get';
    const page = (messages: ReadMessage[], nextSeq: number | null): BrowsePage => ({
      stream,
      messages: messages.map((m) => toBrowsedMessage(m, maxPayload)),
      nextSeq,
      firstSeq: b.firstSeq,
      lastSeq: b.lastSeq,
      method
    });
    // Only unfiltered pages of Limits streams without direct get: see the file comment.
    const useConsumer = b.consumerSafe && !b.direct && !this.consumersRefused && filter === '>';
    if (b.lastSeq === 0 || b.lastSeq < b.firstSeq) return page([], null);
    try {
      const from = options.from;
      if (from && 'last' in from) {
        const want = Math.min(from.last, limit);
        if (useConsumer) {
          const start = Math.max(b.firstSeq, b.lastSeq - want + 1);
          const read = await this.viaConsumer(stream, { seq: start }, filter, want);
          // Deleted messages inside the range leave it short: the plain-read loop widens the range.
          if (read && (read.messages.length >= want || start === b.firstSeq)) {
            method = 'consumer';
            return page(read.messages, null);
          }
        }
        const messages = await this.lastN(stream, b, filter, want);
        return page(messages, null);
      }
      if (useConsumer) {
        // A time start is turned into a sequence first: 2.9 finds a consumer's start time slowly.
        const seq =
          from && 'time' in from
            ? await this.seqAtTime(stream, b, from.time)
            : Math.max(b.firstSeq, from && 'seq' in from ? from.seq : 1);
        if (seq > b.lastSeq) return page([], null);
        const read = await this.viaConsumer(stream, { seq }, filter, limit);
        if (read) {
          method = 'consumer';
          return page(read.messages, read.nextSeq);
        }
      }
      let start = b.firstSeq;
      if (from && 'seq' in from) start = from.seq;
      if (from && 'time' in from) start = await this.seqAtTime(stream, b, from.time);
      if (start > b.lastSeq) return page([], null);
      const { messages, nextSeq } = await this.scan(stream, b, start, filter, limit);
      return page(messages, nextSeq);
    } catch (error) {
      throw toJetStreamError(error, `reading ${stream}`, [this.nc.getServer()]);
    }
  }

  /**
   * The newest `n` messages matching filter. Unfiltered that is one forward page from
   * lastSeq-n+1; filtered, windows further and further back are scanned until n are found.
   */
  private async lastN(stream: string, b: StreamBounds, filter: string, n: number): Promise<ReadMessage[]> {
    if (filter === '>') {
      // Deleted messages may leave gaps, so widen the start until n are found or the stream begins.
      let span = n;
      for (;;) {
        const start = Math.max(b.firstSeq, b.lastSeq - span + 1);
        const { messages } = await this.scan(stream, b, start, filter, span);
        if (messages.length >= n || start === b.firstSeq) return messages.slice(-n);
        span *= 2;
      }
    }
    let collected: ReadMessage[] = [];
    let hi = b.lastSeq;
    let span = Math.max(n * 2, 64);
    while (hi >= b.firstSeq && collected.length < n) {
      const lo = Math.max(b.firstSeq, hi - span + 1);
      const { messages } = await this.scan(stream, b, lo, filter, Number.MAX_SAFE_INTEGER, hi);
      collected = [...messages.filter((m) => m.seq <= hi), ...collected];
      hi = lo - 1;
      span *= 4;
    }
    return collected.slice(-n);
  }

  /** One whole message by sequence (for payloads truncated in a page). */
  async message(stream: string, seq: number): Promise<BrowsedMessage> {
    const b = await this.bounds(stream);
    let msg: StoredMsg | null;
    try {
      const jsm = await this.jsm();
      msg = b.direct ? await jsm.direct.getMessage(stream, { seq }) : await jsm.streams.getMessage(stream, { seq });
    } catch (error) {
      throw toJetStreamError(error, `message ${seq} of ${stream}`, [this.nc.getServer()]);
    }
    if (!msg) {
      throw new ContractError(
        'NOT_FOUND',
        `stream ${stream} has no message ${seq} (deleted, purged or not yet written; it holds ${b.firstSeq}..${b.lastSeq})`
      );
    }
    return toBrowsedMessage(fromStored(msg), Number.MAX_SAFE_INTEGER);
  }
}
