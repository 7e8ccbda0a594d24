/**
 * The engine's leader lease, held in a JetStream KV bucket so that it rides on JetStream's own
 * replication (Raft on a cluster) instead of a home-made consensus (docs/architecture.md §10).
 *
 * {@link EngineLease} is the lease as the rest of the core sees it: started and stopped with the
 * core, the gate the bridge follows, asked to step down. It runs one cycle every TTL/3 (sooner
 * while retrying or about to judge a holder gone), announces this instance and answers step-down
 * requests while it leads. The rooms it is built from:
 * - ./lease-record: the keys, the lease value and the announcements, and their encoding;
 * - ./lease-bucket: the bucket and its max_age (a collector of dead keys, not the expiry);
 * - ./lease-term: acquiring, renewing, self-fencing and resuming the same term;
 * - ./lease-watch: how a contender judges the holder gone (the revision standing still).
 */
import type { EngineRole, LeaseChange } from '../bridge/leadership-gate';
import type { KV } from '@nats-io/kv';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { openLeaseBucket, requestTimeoutMs } from './lease-bucket';
import {
  decodeStepDownRequest,
  encodeJson,
  instanceKey,
  leaseKey,
  stepDownSubject,
  type InstanceAnnouncement,
  type LeaderInfo,
  type LeaseValue,
  type RolePreference,
  type StepDownReply
} from './lease-record';
import { LeaseTerm, type LeaseMetrics, type TermSettings } from './lease-term';

/** What the lease needs from the connection manager. */
export interface ConnectionSource {
  connection(): NatsConnection | null;
}

export interface LeaseOptions extends TermSettings {
  /** Replicas of the bucket when this instance creates it (the topology's replicas). */
  replicas: number;
}

export class EngineLease {
  private readonly term: LeaseTerm;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly listeners = new Set<(change: LeaseChange) => void>();
  private kv: KV | null = null;
  private kvConnection: NatsConnection | null = null;
  private stepDownSub: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private busy: Promise<void> = Promise.resolve();
  private lastAnnounced = Number.NEGATIVE_INFINITY;
  private readonly startedAt = new Date().toISOString();
  readonly metrics: LeaseMetrics;

  constructor(
    private readonly source: ConnectionSource,
    private readonly options: LeaseOptions
  ) {
    this.ttlMs = options.ttlMs;
    this.now = options.now ?? (() => performance.now());
    this.term = new LeaseTerm(
      { ...options, now: this.now },
      {
        running: () => this.running,
        changed: (change) => this.notify(change),
        announceSoon: () => this.announceSoon(),
        stopAnswering: () => {
          this.stepDownSub?.unsubscribe();
          this.stepDownSub = null;
        }
      }
    );
    this.metrics = this.term.metrics;
  }

  /** How long no instance has been seen holding the lease (0 while one does); for the alert rule. */
  leaderlessMs(): number {
    return this.term.leaderlessMs();
  }

  get instance(): string {
    return this.options.instance;
  }

  get group(): string {
    return this.options.group;
  }

  /** This instance's TTL: it renews every TTL/3 and fences itself when a TTL passes without a renewal. */
  get effectiveTtlMs(): number {
    return this.ttlMs;
  }

  /** True only while this instance holds a lease that has not run out: checked before every output. */
  isActive(): boolean {
    return this.term.isActive();
  }

  currentRole(): EngineRole {
    return this.term.currentRole();
  }

  /** The epoch of the current term (null when not leading). */
  epoch(): number | null {
    return this.term.epoch();
  }

  /** The leader last seen by this instance (itself when leading). */
  knownLeader(): LeaderInfo | null {
    return this.term.knownLeader();
  }

  onChange(listener: (change: LeaseChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Renew latencies measured since the last call. */
  takeRenewSamples(): number[] {
    return this.term.takeRenewSamples();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Gives the lease back (others take over at once) and withdraws the announcement. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.busy.catch(() => undefined);
    // A suspended term still names this instance in the key: free it too, nobody need wait it out.
    const revision = this.term.release('the core is stopping');
    const kv = this.kv;
    if (!kv || !this.kvConnection || this.kvConnection.isClosed()) return;
    try {
      if (revision !== null) await kv.delete(leaseKey(this.options.group), { previousSeq: revision });
    } catch (error) {
      this.options.logger.debug('could not release the lease (others take it over after its TTL)', { error });
    }
    try {
      await kv.delete(instanceKey(this.options.group, this.options.instance));
    } catch (error) {
      this.options.logger.debug('could not withdraw the instance announcement (it expires on its own)', { error });
    }
  }

  /**
   * Yields the lease: stops publishing at once, then frees the key (or reserves it for `to`).
   * This instance does not contend again for one TTL, so another one takes over.
   */
  async stepDown(to?: string): Promise<void> {
    if (this.term.currentRole() !== 'active') throw new Error('this instance does not hold the engine lease');
    const { revision, epoch } = this.term.stepDown(to ? `handing the lease to ${to}` : 'stepping down on request');
    const kv = this.kv;
    if (!kv) return;
    const key = leaseKey(this.options.group);
    if (to && to !== this.options.instance) {
      const value: LeaseValue = { ...this.term.valueFor(epoch, new Date().toISOString()), handoffTo: to };
      await kv.update(key, encodeJson(value), revision);
    } else {
      await kv.delete(key, { previousSeq: revision });
    }
    this.announceSoon();
  }

  /** Tries to acquire at once (used after asking the leader for a hand-off). */
  contendNow(): void {
    this.term.contendNow();
    if (this.running) this.schedule(0);
  }

  // -------------------------------------------------------------------------------------------

  /** The last failure logged, so a lasting cause (no JetStream, no permission) is one line, not two a second. */
  private lastCycleError: string | null = null;
  private cycleErrorsSince = 0;

  private cycleFailed(error: unknown): void {
    const key = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.cycleErrorsSince++;
    if (key === this.lastCycleError) return;
    this.lastCycleError = key;
    this.options.logger.error('lease cycle failed (logged once until it changes or recovers)', { error });
  }

  private cycleRecovered(): void {
    if (this.lastCycleError === null) return;
    this.options.logger.info('lease cycle works again', { failedCycles: this.cycleErrorsSince });
    this.lastCycleError = null;
    this.cycleErrorsSince = 0;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.busy = this.cycle().then(
        () => this.cycleRecovered(),
        (error: unknown) => this.cycleFailed(error)
      );
      void this.busy.finally(() => {
        if (this.running && this.timer === null) this.schedule(this.term.nextDelayMs());
      });
    }, delayMs);
    this.timer.unref?.();
  }

  private async bucket(nc: NatsConnection): Promise<KV> {
    if (this.kv && this.kvConnection === nc) return this.kv;
    const opened = await openLeaseBucket(nc, {
      ttlMs: this.ttlMs,
      replicas: this.options.replicas,
      create: true,
      logger: this.options.logger
    });
    if (!opened) throw new Error('lease bucket unavailable');
    this.kv = opened.kv;
    this.kvConnection = nc;
    this.stepDownSub?.unsubscribe();
    this.stepDownSub = null;
    return opened.kv;
  }

  private async cycle(): Promise<void> {
    this.term.fenceIfRunOut();
    const nc = this.source.connection();
    if (!nc || nc.isClosed()) {
      this.term.forgetWatch(); // nothing watched while disconnected
      return;
    }
    const kv = await this.bucket(nc);
    await this.term.step(kv);
    if (this.term.currentRole() === 'active') this.ensureStepDownSubscription(nc);
    if (this.now() - this.lastAnnounced >= this.ttlMs / 3) await this.announce(kv);
  }

  private notify(change: LeaseChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        this.options.logger.error('lease listener failed', { error });
      }
    }
  }

  private announceSoon(): void {
    this.lastAnnounced = Number.NEGATIVE_INFINITY;
    if (this.running && this.timer) this.schedule(0);
  }

  private async announce(kv: KV): Promise<void> {
    const value: InstanceAnnouncement = {
      instance: this.options.instance,
      host: this.options.host,
      pid: this.options.pid,
      role: this.term.currentRole(),
      preference: this.options.preference,
      epoch: this.term.epoch(),
      started: this.startedAt,
      ttlMs: this.ttlMs
    };
    try {
      await kv.put(instanceKey(this.options.group, this.options.instance), encodeJson(value), {
        timeout: requestTimeoutMs(this.ttlMs)
      });
      this.lastAnnounced = this.now();
    } catch (error) {
      this.options.logger.debug('announcing this instance failed', { error });
    }
  }

  private ensureStepDownSubscription(nc: NatsConnection): void {
    if (this.stepDownSub) return;
    this.stepDownSub = nc.subscribe(stepDownSubject(this.options.group), {
      callback: (error, msg) => {
        if (error) return;
        const request = decodeStepDownRequest(msg.data);
        const epoch = this.term.epoch();
        if (this.term.currentRole() !== 'active') {
          msg.respond(encodeJson({ ok: false, instance: this.options.instance, epoch, message: 'not the leader' }));
          return;
        }
        this.options.logger.info('stepping down on request', { requestedBy: request.requestedBy, to: request.to });
        this.stepDown(request.to).then(
          () => msg.respond(encodeJson({ ok: true, instance: this.options.instance, epoch } satisfies StepDownReply)),
          (err: unknown) =>
            msg.respond(
              encodeJson({
                ok: false,
                instance: this.options.instance,
                epoch,
                message: err instanceof Error ? err.message : String(err)
              } satisfies StepDownReply)
            )
        );
      }
    });
  }
}

export type { EngineRole, LeaseChange, LeaseMetrics, RolePreference };
