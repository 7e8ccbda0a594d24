/**
 * MessageBrowser: pages through any stream from a sequence, from a time or the last N, optionally
 * filtered by subject, WITHOUT creating consumers. It reads with direct get
 * (`$JS.API.DIRECT.GET`, needs allow_direct) or, for streams without it, `STREAM.MSG.GET`; both
 * are plain reads, so WorkQueue and Interest streams keep every message and no consumer appears.
 *
 * nats-server 2.9 has no batch direct get (2.11+), only one message per request with
 * `{ seq, next_by_subj }`, so a page is read in windows of concurrent requests: requesting
 * "the first match at or after s" for every s in [cursor, cursor+w) returns every match inside the
 * window, and the answer for the last s is the first match beyond it, which is where the next
 * window starts. The window adapts to how densely the filter matches, so a sparse filter costs
 * about one request per message and a dense one a single round trip per window.
 */
import { jetstreamManager, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ContractError, type BrowsedMessage, type BrowsePage } from '../contract';
import { toJetStreamError } from './inspector';

/** Default payload bytes included per message in a page. */
export const LIST_PAYLOAD_BYTES = 8 * 1024;
/** Upper bound of concurrent requests in one window. */
const MAX_WINDOW = 128;
/** Above this size a payload's format is guessed from its start instead of parsed whole. */
const FULL_DETECT_BYTES = 256 * 1024;
/** Headers direct get adds to each answer; they describe the read, not the message. */
const DIRECT_HEADERS = new Set(['nats-stream', 'nats-sequence', 'nats-time-stamp', 'nats-subject', 'nats-last-sequence', 'nats-num-pending']);

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

function headersOf(msg: StoredMsg): Record<string, string[]> | null {
  let header: StoredMsg['header'] | undefined;
  try {
    header = msg.header;
  } catch {
    return null;
  }
  if (!header) return null;
  const out: Record<string, string[]> = {};
  for (const key of header.keys()) {
    if (DIRECT_HEADERS.has(key.toLowerCase())) continue;
    out[key] = header.values(key);
  }
  return Object.keys(out).length > 0 ? out : null;
}

/** A stored message in the contract's shape, its payload cut to maxPayloadBytes. */
export function toBrowsedMessage(msg: StoredMsg, maxPayloadBytes: number): BrowsedMessage {
  const data = msg.data;
  const truncated = data.length > maxPayloadBytes;
  const shown = truncated ? data.subarray(0, maxPayloadBytes) : data;
  return {
    seq: msg.seq,
    subject: msg.subject,
    time: msg.timestamp,
    headers: headersOf(msg),
    size: data.length,
    format: detectFormat(data),
    payloadBase64: Buffer.from(shown.buffer, shown.byteOffset, shown.byteLength).toString('base64'),
    truncated
  };
}

interface StreamBounds {
  firstSeq: number;
  lastSeq: number;
  direct: boolean;
}

/** Reads pages of messages from streams without consumers. One instance per connection. */
export class MessageBrowser {
  private jsmPromise: Promise<JetStreamManager> | null = null;

  constructor(private readonly nc: NatsConnection) {}

  private jsm(): Promise<JetStreamManager> {
    this.jsmPromise ??= jetstreamManager(this.nc, { checkAPI: false });
    return this.jsmPromise;
  }

  private async bounds(stream: string): Promise<StreamBounds> {
    try {
      const jsm = await this.jsm();
      const si = await jsm.streams.info(stream);
      return { firstSeq: si.state.first_seq, lastSeq: si.state.last_seq, direct: Boolean(si.config.allow_direct) };
    } catch (error) {
      throw toJetStreamError(error, `stream ${stream}`, [this.nc.getServer()]);
    }
  }

  /** The first message at or after seq matching filter (">" for any), or null past the end. */
  private async next(jsm: JetStreamManager, stream: string, direct: boolean, seq: number, filter: string): Promise<StoredMsg | null> {
    const query = { seq, next_by_subj: filter };
    return direct ? jsm.direct.getMessage(stream, query) : jsm.streams.getMessage(stream, query as never);
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
  ): Promise<{ messages: StoredMsg[]; nextSeq: number | null }> {
    const jsm = await this.jsm();
    const found = new Map<number, StoredMsg>();
    let cursor = Math.max(start, b.firstSeq);
    // Unfiltered reads are dense (only deleted messages leave gaps); filtered ones learn their density.
    let density = filter === '>' ? 1 : 0.5;
    let exhausted = false;
    while (found.size < limit && !exhausted && cursor <= Math.min(b.lastSeq, stopAfter)) {
      const need = limit - found.size;
      // Keep the wasted requests per message small: w / (density*w + 1) <= 3.
      const affordable = density >= 1 / 3 ? MAX_WINDOW : Math.floor(3 / (1 - 3 * density));
      const end = Math.min(b.lastSeq, stopAfter);
      const w = Math.max(1, Math.min(MAX_WINDOW, affordable, Math.ceil(need / Math.max(density, 0.01)), end - cursor + 1));
      const requests: Array<Promise<StoredMsg | null>> = [];
      for (let i = 0; i < w; i++) requests.push(this.next(jsm, stream, b.direct, cursor + i, filter));
      const answers = await Promise.all(requests);
      const windowEnd = cursor + w; // exclusive
      let inWindow = 0;
      let beyond: StoredMsg | null = null;
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

  /** The first sequence whose time is at or after `time` (binary search; works on every server). */
  private async seqAtTime(stream: string, b: StreamBounds, time: string): Promise<number> {
    const target = Date.parse(time);
    const jsm = await this.jsm();
    let lo = b.firstSeq;
    let hi = b.lastSeq + 1; // answer in [lo, hi]; hi means "after the end"
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const m = await this.next(jsm, stream, b.direct, mid, '>');
      // Sequences between mid and m.seq hold nothing, so "at or after target" starts at mid or earlier.
      if (!m || m.time.getTime() >= target) hi = mid;
      else lo = m.seq + 1;
    }
    return lo;
  }

  /** One page of messages. */
  async browse(stream: string, options: BrowseOptions = {}): Promise<BrowsePage> {
    const limit = options.limit ?? 100;
    const maxPayload = options.maxPayloadBytes ?? LIST_PAYLOAD_BYTES;
    const filter = options.subject ?? '>';
    const b = await this.bounds(stream);
    const page = (messages: StoredMsg[], nextSeq: number | null): BrowsePage => ({
      stream,
      messages: messages.map((m) => toBrowsedMessage(m, maxPayload)),
      nextSeq,
      firstSeq: b.firstSeq,
      lastSeq: b.lastSeq,
      method: b.direct ? 'direct' : 'msg-get'
    });
    if (b.lastSeq === 0 || b.lastSeq < b.firstSeq) return page([], null);
    try {
      const from = options.from;
      if (from && 'last' in from) {
        const want = Math.min(from.last, limit);
        const messages = await this.lastN(stream, b, filter, want);
        return page(messages, null);
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
  private async lastN(stream: string, b: StreamBounds, filter: string, n: number): Promise<StoredMsg[]> {
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
    let collected: StoredMsg[] = [];
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
      throw new ContractError('NOT_FOUND', `stream ${stream} has no message ${seq} (deleted, purged or not yet written; it holds ${b.firstSeq}..${b.lastSeq})`);
    }
    return toBrowsedMessage(msg, Number.MAX_SAFE_INTEGER);
  }
}
