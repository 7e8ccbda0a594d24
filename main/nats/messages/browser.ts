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
  type StoredMsg
} from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/transport-node';
import { ContractError, type BrowsedMessage, type BrowsePage } from '../../contract';
import { toJetStreamError } from '../inspection';
import { DirectReader, fromConsumer, fromStored, type ReadMessage } from './direct-reader';
import { toBrowsedMessage } from './message-format';

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

export type BrowseFrom = { seq: number } | { time: string } | { last: number };

export interface BrowseOptions {
  from?: BrowseFrom | undefined;
  subject?: string | undefined;
  limit?: number | undefined;
  maxPayloadBytes?: number | undefined;
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
