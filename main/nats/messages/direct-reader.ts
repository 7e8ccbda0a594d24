/**
 * Plain reads of stored messages without consumers: pipelined direct gets or STREAM.MSG.GET, and
 * the one shape (ReadMessage) a message has whichever way it was read.
 */
import { type JsMsg, type StoredMsg } from '@nats-io/jetstream';
import {
  MsgHdrsImpl,
  createInbox,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription
} from '@nats-io/transport-node';
import { ContractError } from '../../contract';

/** A message as read, whichever way it was read. */
export interface ReadMessage {
  seq: number;
  subject: string;
  time: string;
  timeMs: number;
  data: Uint8Array;
  header: MsgHdrs | undefined;
}

export function fromStored(m: StoredMsg): ReadMessage {
  let header: MsgHdrs | undefined;
  try {
    header = m.header;
  } catch {
    header = undefined;
  }
  return { seq: m.seq, subject: m.subject, time: m.timestamp, timeMs: m.time.getTime(), data: m.data, header };
}

export function fromConsumer(m: JsMsg): ReadMessage {
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
export class DirectReader {
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
