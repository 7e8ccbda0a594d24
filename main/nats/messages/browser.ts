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
 * The plain reads themselves (windows, chains, the time search, the last N) are in scan.ts.
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
import { lastN, scan, seqAtTime, type ScanTarget, type StreamBounds } from './scan';

/** Default payload bytes included per message in a page. */
export const LIST_PAYLOAD_BYTES = 8 * 1024;

export type BrowseFrom = { seq: number } | { time: string } | { last: number };

export interface BrowseOptions {
  from?: BrowseFrom | undefined;
  subject?: string | undefined;
  limit?: number | undefined;
  maxPayloadBytes?: number | undefined;
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

  /** The stream as the plain-read scans see it: its bounds and a one-message read by its method. */
  private target(stream: string, b: StreamBounds): ScanTarget {
    const method = b.direct ? 'direct' : 'msg-get';
    return { bounds: b, next: (seq, filter) => this.reader.next(stream, seq, filter, method) };
  }

  /** One page of messages. */
  async browse(stream: string, options: BrowseOptions = {}): Promise<BrowsePage> {
    const limit = options.limit ?? 100;
    const maxPayload = options.maxPayloadBytes ?? LIST_PAYLOAD_BYTES;
    const filter = options.subject ?? '>';
    const b = await this.bounds(stream);
    const target = this.target(stream, b);
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
        const messages = await lastN(target, filter, want);
        return page(messages, null);
      }
      if (useConsumer) {
        // A time start is turned into a sequence first: 2.9 finds a consumer's start time slowly.
        const seq =
          from && 'time' in from
            ? await seqAtTime(target, from.time)
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
      if (from && 'time' in from) start = await seqAtTime(target, from.time);
      if (start > b.lastSeq) return page([], null);
      const { messages, nextSeq } = await scan(target, start, filter, limit);
      return page(messages, nextSeq);
    } catch (error) {
      throw toJetStreamError(error, `reading ${stream}`, [this.nc.getServer()]);
    }
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
