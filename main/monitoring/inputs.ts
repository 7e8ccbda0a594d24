/**
 * What the alert rules and the metrics sampler read, and the one place where each source of the
 * core is adapted to it. A source that is absent (its area is not running, or NATS is down for
 * JetStream snapshots) reads as null — "no data" — so a rule never fires on missing data.
 */
import type { CoreContext } from '../core/module';
import { RingBuffer } from '../core/ring-buffer';
import type { JetStreamSample, JetStreamSamplerService } from '../nats/inspection';
import type { ResilienceManager } from '../resilience/breakers';
import type { OutboxStore } from '../resilience/outbox-store';
import type { MetricsRegistry } from './metrics';
import { probeDatabaseWrite, type DatabaseWriteReading } from '../store/write-probe';
import type {
  AlertInputs,
  BreakerReading,
  ConsumerReading,
  EngineReading,
  LeadershipReading,
  OutboxReading,
  ServerReading,
  StreamReading
} from './readings';

export type {
  AlertInputs,
  BreakerReading,
  BreakerStateName,
  ConsumerReading,
  EngineReading,
  LeadershipReading,
  OutboxReading,
  ServerReading,
  StreamReading
} from './readings';

/**
 * The parts of other areas this file reads, handed over by the composition root (main/app). Areas
 * above monitoring (the engine, the servers, the lease) come in as the narrow shapes read here.
 */
export interface MonitoringSourceDeps {
  /** The operations module's JetStream sampler: streams and consumers. */
  sampler: JetStreamSamplerService;
  outbox: Pick<OutboxStore, 'stats'>;
  resilience: Pick<ResilienceManager, 'list' | 'isEmergency'>;
  /** The engine bridge: its state_change payload, read only while it runs on live traffic. */
  engine: { state(): unknown; active(): boolean };
  /** The servers area: its last sample of every NATS server. */
  servers: { last(): unknown };
  /** The engine lease; null in one-shot commands, which take no part in it. */
  lease: { leaderlessMs(): number; effectiveTtlMs: number } | null;
}

export interface MonitoringSourcesOptions {
  /**
   * How often streams and consumers should be sampled (ms). The operations module's sampler does
   * the sampling for the whole core and runs at the shortest interval any area asks for.
   */
  snapshotIntervalMs: number;
  /** Window of the publish p99 (ms) and the samples it needs before it counts. */
  p99WindowMs: number;
  p99MinSamples: number;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * Reads every source into {@link AlertInputs}. In-process sources are read synchronously on each
 * call; JetStream streams/consumers come from the operations module's shared sampler (a network
 * round trip on its timer), kept here from its last sample until the connection drops.
 */
export class MonitoringSources {
  private streams: StreamReading[] | null = null;
  private consumers: ConsumerReading[] | null = null;
  private snapshotAtMs: number | null = null;
  private sampler: JetStreamSamplerService | null = null;
  /** The invalid-message total over the last minute, at most 2,000 readings, oldest first. */
  private readonly invalidHistory = new RingBuffer<{ t: number; total: number }>(2000);
  private readonly unsubscribers: Array<() => void> = [];

  constructor(
    private readonly ctx: CoreContext,
    private readonly metrics: MetricsRegistry,
    private readonly options: MonitoringSourcesOptions,
    private readonly deps: MonitoringSourceDeps
  ) {}

  start(): void {
    this.sampler = this.deps.sampler;
    this.unsubscribers.push(this.sampler.onSample((sample) => this.accept(sample)));
    this.unsubscribers.push(this.sampler.requestInterval(this.options.snapshotIntervalMs));
    let lastState = this.ctx.nats.status().state;
    this.unsubscribers.push(
      this.ctx.nats.onStatus((status) => {
        // Status updates also carry RTT and server info: act on state changes only.
        if (status.state === lastState) return;
        lastState = status.state;
        this.metrics.setConnection(status.state);
        // Snapshots taken before a disconnect describe a server we can no longer see. (On
        // connect the sampler samples by itself, after provisioning.)
        if (status.state !== 'connected') this.clearSnapshot();
      })
    );
    this.metrics.setConnection(this.ctx.nats.status().state);
  }

  stop(): void {
    for (const off of this.unsubscribers.splice(0)) off();
    this.sampler = null;
  }

  /** When streams/consumers were last sampled (epoch ms), or null. */
  snapshotAt(): number | null {
    return this.snapshotAtMs;
  }

  /** Reads everything now. */
  read(now = Date.now()): AlertInputs {
    const status = this.ctx.nats.status();
    const resilience = this.readResilience();
    return {
      now,
      connection: { state: status.state, offlineSince: status.offlineSince },
      outbox: this.readOutbox(now),
      breakers: resilience.breakers,
      emergency: resilience.emergency,
      consumers: this.consumers,
      streams: this.streams,
      publishP99Seconds: this.metrics.publishLatency(this.options.p99WindowMs, this.options.p99MinSamples).p99,
      invalidPerMinute: this.invalidPerMinute(now),
      engine: this.readEngine(),
      servers: this.readServers(),
      leadership: this.readLeadership(),
      database: this.readDatabase(now)
    };
  }

  /**
   * Asks the shared sampler for a sample that starts now (after one already running) and resolves
   * once its readings are here; keeps the last readings on failure, and does nothing while
   * disconnected.
   */
  async sampleJetStream(): Promise<void> {
    if (!this.sampler || !this.ctx.nats.connection()) return;
    try {
      await this.sampler.sampleNow();
    } catch (error) {
      this.ctx.logger.debug('JetStream sample for monitoring failed', { error });
    }
  }

  /** Takes one shared sample as the readings (and the gauges), unless the connection has dropped since. */
  private accept(sample: JetStreamSample): void {
    if (this.ctx.nats.status().state !== 'connected') return;
    const streams: StreamReading[] = sample.streams.map((s) => ({
      stream: s.name,
      messages: s.messages,
      bytes: s.bytes,
      maxMsgs: s.maxMsgs,
      maxBytes: s.maxBytes
    }));
    const consumers: ConsumerReading[] = sample.consumers.map((c) => ({
      stream: c.stream,
      consumer: c.name,
      pending: c.numPending,
      ackPending: c.numAckPending
    }));
    this.streams = streams;
    this.consumers = consumers;
    this.snapshotAtMs = sample.at;
    this.metrics.setStreams(streams);
    this.metrics.setConsumers(consumers);
  }

  private clearSnapshot(): void {
    this.streams = null;
    this.consumers = null;
    this.metrics.setStreams(null);
    this.metrics.setConsumers(null);
  }

  private readDatabase(now: number): DatabaseWriteReading | null {
    try {
      return probeDatabaseWrite(this.ctx.db, this.ctx.databasePath, { readOnly: this.ctx.databaseReadOnly, now });
    } catch {
      return null;
    }
  }

  private invalidPerMinute(now: number): number | null {
    const total = this.metrics.totals().invalid;
    this.invalidHistory.push({ t: now, total });
    const windowMs = 60_000;
    while (this.invalidHistory.size > 2 && this.invalidHistory.at(1)!.t <= now - windowMs) this.invalidHistory.shift();
    const oldest = this.invalidHistory.at(0)!;
    // Counted over whatever part of the last minute has been observed: a burst right after start still counts.
    return total - oldest.total;
  }

  /** The outbox: counts by status and the oldest undelivered age. */
  private readOutbox(now: number): OutboxReading | null {
    const { outbox } = this.deps;
    try {
      const { counts, oldestUndeliveredAt } = outbox.stats();
      return {
        pending: counts.pending,
        processing: counts.processing,
        retrying: counts.retrying,
        dead: counts.dead,
        completed: counts.completed,
        oldestPendingAgeSeconds: oldestUndeliveredAt === null ? null : Math.max(0, (now - oldestUndeliveredAt) / 1000)
      };
    } catch (error) {
      this.ctx.logger.debug('reading the outbox for monitoring failed', { error });
      return null;
    }
  }

  /** The breakers: this core's breaker states and the emergency switch. */
  private readResilience(): { breakers: BreakerReading[] | null; emergency: boolean | null } {
    const manager = this.deps.resilience;
    try {
      return {
        breakers: manager.list().map((b) => ({ name: b.operation, state: b.state })),
        emergency: manager.isEmergency()
      };
    } catch (error) {
      this.ctx.logger.debug('reading the breakers for monitoring failed', { error });
      return { breakers: null, emergency: null };
    }
  }

  /** The lease: how long the group has been without a leader (a core without a lease: no data). */
  private readLeadership(): LeadershipReading | null {
    const { lease } = this.deps;
    if (!lease || !this.ctx.nats.connection()) return null;
    return { leaderlessSeconds: lease.leaderlessMs() / 1000, ttlSeconds: lease.effectiveTtlMs / 1000 };
  }

  /**
   * The engine (its state() is the state_change payload). Only a core that runs the bridge on
   * live traffic has a meaningful load: elsewhere no data.
   */
  private readEngine(): EngineReading | null {
    const { engine } = this.deps;
    if (!engine.active()) return null;
    try {
      const state = engine.state();
      if (!isRecord(state)) return null;
      const load = num(state.load);
      const valence = num(state.valence);
      return load !== null && valence !== null ? { load, valence } : null;
    } catch (error) {
      this.ctx.logger.debug('reading the engine for monitoring failed', { error });
      return null;
    }
  }

  /**
   * The servers area's last sample: health, JetStream storage and slow consumers per server. A
   * cached (offline) or empty sample is no data.
   */
  private readServers(): ServerReading[] | null {
    const last = this.deps.servers.last();
    if (!isRecord(last) || last.cached === true || !Array.isArray(last.servers) || last.servers.length === 0)
      return null;
    return last.servers.filter(isRecord).map((s) => {
      const health = isRecord(s.health) ? s.health : {};
      const js = isRecord(s.jetstream) ? s.jetstream : null;
      const used = js ? num(js.storageBytes) : null;
      const max = js ? num(js.maxStorageBytes) : null;
      return {
        server: String(s.name ?? s.id ?? ''),
        healthy:
          health.status === 'ok' ? true : health.status === 'unknown' || health.status === undefined ? null : false,
        healthError: typeof health.error === 'string' ? health.error : null,
        jetstreamStorageRatio: used !== null && max !== null && max > 0 ? used / max : null,
        slowConsumersDelta: num(s.slowConsumersDelta)
      };
    });
  }
}
