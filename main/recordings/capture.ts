/**
 * Capturing messages: live from a core NATS subscription, or a range of a stream read with an
 * ordered consumer (ephemeral, no durable left behind). Both hand over batches of
 * {@link RecordedMessage}s; both go through the subscribe / jetstream-api circuit breakers.
 */
import { DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import {
  headers as natsHeaders,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription
} from '@nats-io/transport-node';
import { ContractError } from '../contract';
import type { ResilienceManager } from '../resilience/breakers';
import type { RecordedMessage } from './format';

export function headersToRecord(h: MsgHdrs | undefined): Record<string, string[]> | null {
  if (!h) return null;
  const out: Record<string, string[]> = {};
  for (const key of h.keys()) out[key] = h.values(key);
  return Object.keys(out).length > 0 ? out : null;
}

export function recordToHeaders(record: Record<string, string[]> | null): MsgHdrs | undefined {
  if (!record || Object.keys(record).length === 0) return undefined;
  const h = natsHeaders();
  for (const [k, values] of Object.entries(record)) for (const v of values) h.append(k, v);
  return h;
}

function fromJs(m: JsMsg): RecordedMessage {
  return {
    subject: m.subject,
    headers: headersToRecord(m.headers),
    payload: m.data,
    time: Math.floor(m.info.timestampNanos / 1_000_000),
    seq: m.seq
  };
}

function fromCore(m: Msg): RecordedMessage {
  return { subject: m.subject, headers: headersToRecord(m.headers), payload: m.data, time: Date.now(), seq: null };
}

/** A range of a stream: from a sequence or a time (else the start), to a sequence (else the last now). */
export interface StreamRange {
  stream: string;
  /** Only subjects matching this filter. */
  filter?: string;
  fromSeq?: number;
  toSeq?: number;
  /** ISO time; used when fromSeq is absent. */
  fromTime?: string;
}

export interface RangeResult {
  count: number;
  /** Stream sequence the read stopped at (inclusive end of the range). */
  endSeq: number;
}

type Breakers = Pick<ResilienceManager, 'run'> | null;

/**
 * Reads a stream range in order and hands over batches. Stops at `toSeq`, or at the stream's last
 * sequence when the read began, so a busy stream does not make it run forever.
 */
export async function readStreamRange(
  nc: NatsConnection,
  range: StreamRange,
  onBatch: (messages: RecordedMessage[]) => void | Promise<void>,
  options: { signal?: AbortSignal; breakers?: Breakers } = {}
): Promise<RangeResult> {
  const guard = <T>(fn: () => Promise<T>): Promise<T> =>
    options.breakers ? options.breakers.run('jetstream-api', fn) : fn();
  const jsm = await guard(() => jetstreamManager(nc));
  let info;
  try {
    info = await guard(() => jsm.streams.info(range.stream));
  } catch (error) {
    if (/stream not found/i.test((error as Error).message)) {
      throw new ContractError('NOT_FOUND', `stream ${range.stream} does not exist`, {
        hint: 'List the streams with "synos-cc streams".'
      });
    }
    throw error;
  }
  const end = Math.min(range.toSeq ?? info.state.last_seq, info.state.last_seq);
  if (info.state.messages === 0 || end < (range.fromSeq ?? 1) || end === 0) return { count: 0, endSeq: end };
  const js = jetstream(nc);
  const opts: Parameters<typeof js.consumers.get>[1] = {};
  if (range.filter) opts.filter_subjects = range.filter;
  if (range.fromSeq !== undefined) {
    opts.deliver_policy = DeliverPolicy.StartSequence;
    opts.opt_start_seq = range.fromSeq;
  } else if (range.fromTime !== undefined) {
    opts.deliver_policy = DeliverPolicy.StartTime;
    opts.opt_start_time = range.fromTime;
  }
  const consumer = await guard(() => js.consumers.get(range.stream, opts));
  let count = 0;
  try {
    for (;;) {
      if (options.signal?.aborted) break;
      const batch = await consumer.fetch({ max_messages: 1000, expires: 2000 });
      const out: RecordedMessage[] = [];
      let done = false;
      let got = 0;
      for await (const m of batch) {
        got++;
        if (m.seq > end) {
          done = true;
          break;
        }
        out.push(fromJs(m));
        if (m.seq >= end || m.info.pending === 0) done = true;
      }
      if (out.length > 0) {
        await onBatch(out);
        count += out.length;
      }
      if (done || got === 0) break;
    }
  } finally {
    await consumer.delete().catch(() => undefined);
  }
  return { count, endSeq: end };
}

/** A live capture running until stopped. */
export interface LiveCapture {
  /** Stops, hands over what is buffered, resolves when done. */
  stop(): Promise<void>;
  /** Resolves when the capture ended (stopped, limit reached, or the connection closed). */
  done: Promise<void>;
}

/**
 * Subscribes to `filter` and hands over batches every `flushMs` (or `batch` messages). Stops by
 * itself after `maxMessages`.
 */
export async function captureLive(
  nc: NatsConnection,
  filter: string,
  onBatch: (messages: RecordedMessage[]) => void,
  options: { maxMessages?: number; flushMs?: number; batch?: number; breakers?: Breakers } = {}
): Promise<LiveCapture> {
  // The flush round trip makes the server register the interest before this returns: a caller told
  // "recording" must not lose what is published right after (the SUB could still be in the buffer).
  const subscribe = async (): Promise<Subscription> => {
    const s = nc.subscribe(filter, options.maxMessages ? { max: options.maxMessages } : {});
    try {
      await nc.flush();
    } catch (error) {
      s.unsubscribe();
      throw error;
    }
    return s;
  };
  const sub = options.breakers ? await options.breakers.run('subscribe', subscribe) : await subscribe();
  let buffer: RecordedMessage[] = [];
  const flush = (): void => {
    if (buffer.length === 0) return;
    const out = buffer;
    buffer = [];
    onBatch(out);
  };
  const timer = setInterval(flush, options.flushMs ?? 100);
  timer.unref();
  const done = (async () => {
    for await (const m of sub) {
      buffer.push(fromCore(m));
      if (buffer.length >= (options.batch ?? 500)) flush();
    }
    clearInterval(timer);
    flush();
  })();
  return {
    done,
    async stop() {
      sub.unsubscribe();
      await done;
    }
  };
}
