/**
 * JetStreamSampler: the one timer that reads JetStream's streams and consumers for the whole core.
 * The streams view (snapshot cache, `streams.snapshot`) and the monitoring area (alert rules,
 * Prometheus gauges) both read the same samples, so each sampling period costs the operator's
 * server one stream list and one consumer list per stream with consumers — not one per reader.
 * The operations module owns it; the composition root hands it to the monitoring area.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { ContractError, type ConsumerSummary, type StreamSummary } from '../../contract';
import type { Logger } from '../../core/logger';

/** What a sample says about one stream (limits <= 0 mean unlimited). */
export type SampledStream = Pick<StreamSummary, 'name' | 'messages' | 'bytes' | 'maxMsgs' | 'maxBytes'> &
  Partial<Pick<StreamSummary, 'subjects' | 'lastSeq'>>;

/** What a sample says about one consumer: num_pending and num_ack_pending. */
export type SampledConsumer = Pick<ConsumerSummary, 'stream' | 'name' | 'numPending' | 'numAckPending'> &
  Partial<Pick<ConsumerSummary, 'filter'>> & {
    /** The stream sequence delivered last (the system picture's delivered-per-second). */
    deliveredSeq?: number;
  };

/** One completed sample: every stream, and every consumer of the streams that have any. */
export interface JetStreamSample {
  /** Epoch ms when the sample completed. */
  at: number;
  streams: readonly SampledStream[];
  consumers: readonly SampledConsumer[];
}

/** What other modules (monitoring) use instead of listing JetStream themselves. */
export interface JetStreamSamplerService {
  /** Calls `listener` with every completed sample (periodic, on connect, or asked for); returns the unsubscribe. */
  onSample(listener: (sample: JetStreamSample) => void): () => void;
  /**
   * Takes a sample that starts after this call (waiting for one already running) and resolves
   * with it once listeners have seen it. Callers arriving together share one sample. Rejects with
   * NOT_CONNECTED while there is no connection, or with the JetStream error of the failed sample.
   */
  sampleNow(): Promise<JetStreamSample>;
  /** The last completed sample, or null before the first one. */
  lastSample(): JetStreamSample | null;
  /** When the last sample completed (epoch ms), or null. */
  lastSampleAt(): number | null;
  /** The interval the timer runs at now (ms): the shortest of the owner's and every request. */
  intervalMs(): number;
  /**
   * Asks for samples at least every `ms`: the sampler runs at the shortest interval anyone asked
   * for (its own included). Returns the function that withdraws the request.
   */
  requestInterval(ms: number): () => void;
}

export interface JetStreamSamplerOptions {
  /** Reads streams and consumers over `nc` (and stores what its owner keeps); one API round per call. */
  take: (nc: NatsConnection) => Promise<JetStreamSample>;
  /** The current connection, or null while there is none. */
  connection: () => NatsConnection | null;
  /** The owner's own interval (ms). */
  intervalMs: number;
  logger: Logger;
}

/** Runs samples one at a time, on the shortest requested interval, and hands each to every listener. */
export class JetStreamSampler implements JetStreamSamplerService {
  private readonly listeners = new Set<(sample: JetStreamSample) => void>();
  private readonly requests = new Set<{ ms: number }>();
  private current: Promise<JetStreamSample> | null = null;
  private next: Promise<JetStreamSample> | null = null;
  private last: JetStreamSample | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerMs = 0;
  private running = false;

  constructor(private readonly options: JetStreamSamplerOptions) {}

  intervalMs(): number {
    let ms = this.options.intervalMs;
    for (const r of this.requests) ms = Math.min(ms, r.ms);
    return ms;
  }

  /** Starts the periodic timer. */
  start(): void {
    this.running = true;
    this.schedule();
  }

  /**
   * Stops the timer and waits for a sample already running (it writes to the database that closes
   * next), at most `waitMs`: a sample stuck on a dead server fails at its request timeout anyway.
   */
  async stop(waitMs = 2000): Promise<void> {
    this.running = false;
    this.schedule();
    const pending = this.next ?? this.current;
    if (!pending) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      pending.catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, waitMs);
      })
    ]);
    clearTimeout(timer);
  }

  onSample(listener: (sample: JetStreamSample) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  lastSample(): JetStreamSample | null {
    return this.last;
  }

  lastSampleAt(): number | null {
    return this.last?.at ?? null;
  }

  requestInterval(ms: number): () => void {
    if (!Number.isFinite(ms) || ms <= 0)
      throw new RangeError(`sampling interval must be a positive number of ms, got ${ms}`);
    const request = { ms };
    this.requests.add(request);
    this.schedule();
    return () => {
      this.requests.delete(request);
      this.schedule();
    };
  }

  sampleNow(): Promise<JetStreamSample> {
    const running = this.current;
    if (!running) return this.run();
    // One already running may have read the server before the caller's change: take the next one.
    this.next ??= running
      .catch(() => undefined)
      .then(() => {
        this.next = null;
        return this.run();
      });
    return this.next;
  }

  /** The timer's sample: skipped while one is running or there is no connection. */
  private tick(): void {
    if (this.current || this.next || !this.options.connection()) return;
    this.run().catch((error: unknown) => {
      this.options.logger.debug('JetStream sample failed', {
        error: error instanceof Error ? error.message : String(error)
      });
    });
  }

  private run(): Promise<JetStreamSample> {
    const nc = this.options.connection();
    if (!nc) {
      return Promise.reject(
        new ContractError('NOT_CONNECTED', 'not connected to NATS: JetStream cannot be sampled; connect first')
      );
    }
    const run = this.options
      .take(nc)
      .then((sample) => {
        // A sample of a connection that has since been replaced describes a server we no longer see.
        if (this.options.connection() !== nc) {
          throw new ContractError('NOT_CONNECTED', 'the connection changed while JetStream was sampled; sample again');
        }
        this.last = sample;
        for (const listener of [...this.listeners]) {
          try {
            listener(sample);
          } catch (error) {
            this.options.logger.error('JetStream sample listener failed', { error });
          }
        }
        return sample;
      })
      .finally(() => {
        if (this.current === run) this.current = null;
      });
    this.current = run;
    return run;
  }

  private schedule(): void {
    const ms = this.intervalMs();
    if (this.running && this.timer && this.timerMs === ms) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!this.running) return;
    this.timerMs = ms;
    this.timer = setInterval(() => this.tick(), ms);
    this.timer.unref();
  }
}
