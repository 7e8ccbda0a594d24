/**
 * The engine's leader lease, held in a JetStream KV bucket so that it rides on JetStream's own
 * replication (Raft on a cluster) instead of a home-made consensus.
 *
 * - One bucket per account ({@link LEASE_BUCKET}); one key per engine group (`lease.<group>`).
 * - The bucket's max_age is the lease TTL: a key that is not rewritten within the TTL disappears.
 *   That is the only expiry nats-server 2.9 offers (per-message TTL needs ≥ 2.11), and it is enough
 *   because the lease key is the one key that must expire on its own.
 * - Acquire: `create` (succeeds only when the key is absent, expired or deleted). Renew every TTL/3:
 *   `update` with the revision of our last write (compare-and-set). The revision of the acquiring
 *   write is the term's epoch: stream sequences only grow, so every new term has a higher epoch.
 * - Self-fencing: the leader counts its lease from the moment it *sent* the last successful write
 *   (the server keeps the key at least TTL from when it stored it, which is later). When that time
 *   has passed without a renewal — the renewal failed, the connection is gone, or the process was
 *   stopped (SIGSTOP) — {@link EngineLease.isActive} is false before any timer runs, and the
 *   listeners are told at once: the bridge stops publishing and releases its consumers.
 * - Every instance announces itself under `instances.<group>.<id>` (same bucket, same expiry), so
 *   any process can list who is there and with which role.
 */
import type { EngineRole, LeaseChange } from '../bridge/leadership-gate';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from '../core/logger';

export type RolePreference = 'auto' | 'observer';

export const LEASE_BUCKET = 'SYNOS_ENGINE';
export const DEFAULT_GROUP = 'synos';
export const DEFAULT_LEASE_TTL_MS = 5000;

export const leaseKey = (group: string): string => `lease.${group}`;
export const instanceKey = (group: string, instance: string): string => `instances.${group}.${instance}`;
/** Core NATS subject the leader answers step-down requests on (no stream captures `synos.>`). */
export const stepDownSubject = (group: string): string => `synos.engine.${group}.step-down`;

/** What the lease key holds. */
export interface LeaseValue {
  instance: string;
  host: string;
  pid: number;
  /** The term's epoch; null only in the very first write of a term (its own revision is the epoch). */
  epoch: number | null;
  since: string;
  ttlMs: number;
  /** A leader that steps down in favour of one instance writes this; only that instance may claim it. */
  handoffTo?: string;
}

export interface InstanceAnnouncement {
  instance: string;
  host: string;
  pid: number;
  role: EngineRole;
  preference: RolePreference;
  epoch: number | null;
  started: string;
}

export interface LeaderInfo {
  instance: string;
  host: string;
  pid: number;
  epoch: number;
  since: string;
}

export interface StepDownRequest {
  requestedBy: string;
  /** Hand the lease to this instance (take-over) instead of letting every standby contend. */
  to?: string;
}

export interface StepDownReply {
  ok: boolean;
  instance: string;
  epoch: number | null;
  message?: string;
}

/** What the lease needs from the connection manager. */
export interface ConnectionSource {
  connection(): NatsConnection | null;
}

export interface LeaseOptions {
  group: string;
  ttlMs: number;
  preference: RolePreference;
  /** Replicas of the bucket when this instance creates it (the topology's replicas). */
  replicas: number;
  instance: string;
  host: string;
  pid: number;
  logger: Logger;
  /** How often a standby looks for a free lease (default min(500, TTL/5) ms). */
  pollMs?: number;
  /** Monotonic milliseconds (performance.now): keeps counting while the process is stopped. */
  now?: () => number;
}

export interface LeaseMetrics {
  renewals: number;
  renewFailures: number;
  /** Terms this instance started. */
  acquired: number;
  /** Terms this instance lost other than by stopping or stepping down. */
  lost: number;
  lastRenewMs: number | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function decodeLease(entry: KvEntry | null): LeaseValue | null {
  if (!entry || entry.operation !== 'PUT') return null;
  try {
    const v = JSON.parse(decoder.decode(entry.value)) as LeaseValue;
    return typeof v.instance === 'string' ? v : null;
  } catch {
    return null;
  }
}

/** The leader a lease entry names, or null when the key is free or only reserved for a hand-off. */
export function leaderOf(entry: KvEntry | null): LeaderInfo | null {
  const v = decodeLease(entry);
  if (!v || v.handoffTo !== undefined || !entry) return null;
  return { instance: v.instance, host: v.host, pid: v.pid, epoch: v.epoch ?? entry.revision, since: v.since };
}

/** A KV key token from any text (host names may hold characters keys may not). */
export function keySafe(text: string): string {
  const safe = text.replace(/[^A-Za-z0-9_-]/g, '_');
  return safe.length > 0 ? safe.slice(0, 100) : 'instance';
}

/** Opens (creating when absent) the lease bucket; returns it with the TTL it really has. */
export async function openLeaseBucket(
  nc: NatsConnection,
  options: { ttlMs: number; replicas: number; create: boolean }
): Promise<{ kv: KV; ttlMs: number } | null> {
  const kvm = new Kvm(nc);
  let kv: KV;
  if (options.create) {
    kv = await kvm.create(LEASE_BUCKET, {
      ttl: options.ttlMs,
      history: 1,
      replicas: options.replicas,
      // File storage keeps the stream's sequence across a server restart, so epochs never go back.
      storage: 'file',
      description: 'Syn_OS control center: engine leader lease and instance announcements'
    });
  } else {
    try {
      kv = await kvm.open(LEASE_BUCKET);
      await kv.status();
    } catch {
      return null;
    }
  }
  const status = await kv.status();
  return { kv, ttlMs: status.ttl };
}

export class EngineLease {
  private role: EngineRole;
  private epochValue: number | null = null;
  private revision = 0;
  private validUntil = 0;
  private since: string | null = null;
  private ttlMs: number;
  private readonly pollMs: number;
  private readonly now: () => number;
  private readonly listeners = new Set<(change: LeaseChange) => void>();
  private kv: KV | null = null;
  private kvConnection: NatsConnection | null = null;
  private stepDownSub: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private fenceTimer: NodeJS.Timeout | null = null;
  private running = false;
  private busy: Promise<void> = Promise.resolve();
  private holdOffUntil = 0;
  private lastAnnounced = Number.NEGATIVE_INFINITY;
  private readonly startedAt = new Date().toISOString();
  private lastLeader: LeaderInfo | null = null;
  private warnedTtl = false;
  /** Monotonic time a holder of the lease (this core or another) was last seen. */
  private leaderSeenAt: number | null = null;
  private readonly createdAt: number;
  /** A renewal failed for a reason other than losing the key: retry sooner while the lease lasts. */
  private retrying = false;
  readonly metrics: LeaseMetrics = { renewals: 0, renewFailures: 0, acquired: 0, lost: 0, lastRenewMs: null };
  /** Renew latencies (ms) since the last read, for the metrics histogram. */
  private readonly renewSamples: number[] = [];

  constructor(
    private readonly source: ConnectionSource,
    private readonly options: LeaseOptions
  ) {
    this.role = options.preference === 'observer' ? 'observer' : 'standby';
    this.ttlMs = options.ttlMs;
    this.pollMs = options.pollMs ?? Math.max(50, Math.min(500, Math.floor(options.ttlMs / 5)));
    this.now = options.now ?? (() => performance.now());
    this.createdAt = this.now();
  }

  /** How long no instance has been seen holding the lease (0 while one does); for the alert rule. */
  leaderlessMs(): number {
    if (this.isActive()) return 0;
    return Math.max(0, this.now() - (this.leaderSeenAt ?? this.createdAt));
  }

  get instance(): string {
    return this.options.instance;
  }

  get group(): string {
    return this.options.group;
  }

  /** The TTL in force (the bucket's max_age once the bucket has been opened). */
  get effectiveTtlMs(): number {
    return this.ttlMs;
  }

  /** True only while this instance holds a lease that has not run out: checked before every output. */
  isActive(): boolean {
    return this.role === 'active' && this.now() < this.validUntil;
  }

  currentRole(): EngineRole {
    return this.role;
  }

  /** The epoch of the current term (null when not leading). */
  epoch(): number | null {
    return this.role === 'active' ? this.epochValue : null;
  }

  /** The leader last seen by this instance (itself when leading). */
  knownLeader(): LeaderInfo | null {
    if (this.role === 'active' && this.epochValue !== null && this.since)
      return {
        instance: this.options.instance,
        host: this.options.host,
        pid: this.options.pid,
        epoch: this.epochValue,
        since: this.since
      };
    return this.lastLeader;
  }

  onChange(listener: (change: LeaseChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Renew latencies measured since the last call. */
  takeRenewSamples(): number[] {
    return this.renewSamples.splice(0, this.renewSamples.length);
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
    const wasActive = this.role === 'active';
    const revision = this.revision;
    this.fence('the core is stopping', false);
    const kv = this.kv;
    if (!kv || !this.kvConnection || this.kvConnection.isClosed()) return;
    try {
      if (wasActive) await kv.delete(leaseKey(this.options.group), { previousSeq: revision });
    } catch (error) {
      this.options.logger.debug('could not release the lease (it expires on its own)', { error });
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
    if (this.role !== 'active') throw new Error('this instance does not hold the engine lease');
    const revision = this.revision;
    const epoch = this.epochValue;
    this.holdOffUntil = this.now() + this.ttlMs;
    this.fence(to ? `handing the lease to ${to}` : 'stepping down on request', false);
    const kv = this.kv;
    if (!kv) return;
    const key = leaseKey(this.options.group);
    if (to && to !== this.options.instance) {
      const value: LeaseValue = {
        instance: this.options.instance,
        host: this.options.host,
        pid: this.options.pid,
        epoch,
        since: new Date().toISOString(),
        ttlMs: this.ttlMs,
        handoffTo: to
      };
      await kv.update(key, encodeJson(value), revision);
    } else {
      await kv.delete(key, { previousSeq: revision });
    }
    this.announceSoon();
  }

  /** Tries to acquire at once (used after asking the leader for a hand-off). */
  contendNow(): void {
    this.holdOffUntil = 0;
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
        if (this.running && this.timer === null) this.schedule(this.nextDelay());
      });
    }, delayMs);
    this.timer.unref?.();
  }

  private nextDelay(): number {
    if (this.role === 'active') {
      // Renew every TTL/3; after a failed attempt, retry sooner while the lease still runs.
      return this.retrying ? Math.min(200, this.ttlMs / 10) : Math.floor(this.ttlMs / 3);
    }
    return this.role === 'observer' ? Math.floor(this.ttlMs / 3) : this.pollMs;
  }

  private async bucket(nc: NatsConnection): Promise<KV> {
    if (this.kv && this.kvConnection === nc) return this.kv;
    const opened = await openLeaseBucket(nc, {
      ttlMs: this.options.ttlMs,
      replicas: this.options.replicas,
      create: true
    });
    if (!opened) throw new Error('lease bucket unavailable');
    if (opened.ttlMs > 0 && opened.ttlMs !== this.options.ttlMs && !this.warnedTtl) {
      this.warnedTtl = true;
      this.options.logger.warn(
        `the lease bucket ${LEASE_BUCKET} already exists with a TTL of ${opened.ttlMs} ms; using it instead of the configured ${this.options.ttlMs} ms (all instances of an account share one TTL)`
      );
    }
    if (opened.ttlMs > 0) this.ttlMs = opened.ttlMs;
    this.kv = opened.kv;
    this.kvConnection = nc;
    this.stepDownSub?.unsubscribe();
    this.stepDownSub = null;
    return opened.kv;
  }

  private async cycle(): Promise<void> {
    if (this.role === 'active' && this.now() >= this.validUntil) this.fence('the lease ran out before it was renewed');
    const nc = this.source.connection();
    if (!nc || nc.isClosed()) return;
    const kv = await this.bucket(nc);
    if (this.role === 'active') await this.renew(kv);
    else if (this.role === 'standby' && this.now() >= this.holdOffUntil) await this.tryAcquire(kv);
    else if (this.role === 'observer') await this.readLeader(kv);
    if (this.role === 'active') this.ensureStepDownSubscription(nc);
    if (this.now() - this.lastAnnounced >= this.ttlMs / 3) await this.announce(kv);
  }

  private async readLeader(kv: KV): Promise<KvEntry | null> {
    const entry = await kv.get(leaseKey(this.options.group));
    this.lastLeader = leaderOf(entry);
    if (this.lastLeader) this.leaderSeenAt = this.now();
    return entry;
  }

  private async tryAcquire(kv: KV): Promise<void> {
    const key = leaseKey(this.options.group);
    let entry: KvEntry | null;
    try {
      entry = await this.readLeader(kv);
    } catch (error) {
      this.options.logger.debug('cannot read the lease', { error });
      return;
    }
    const held = decodeLease(entry);
    const value = (epoch: number | null): LeaseValue => ({
      instance: this.options.instance,
      host: this.options.host,
      pid: this.options.pid,
      epoch,
      since: new Date().toISOString(),
      ttlMs: this.ttlMs
    });
    const started = this.now();
    let revision: number;
    try {
      if (held && held.handoffTo === this.options.instance && entry) {
        revision = await kv.update(key, encodeJson(value(null)), entry.revision);
      } else if (held) {
        return; // someone holds it, or it is reserved for someone else
      } else {
        revision = await kv.create(key, encodeJson(value(null)));
      }
    } catch {
      return; // another instance was faster
    }
    this.epochValue = revision;
    this.revision = revision;
    this.validUntil = started + this.ttlMs;
    this.since = new Date().toISOString();
    this.role = 'active';
    this.metrics.acquired++;
    this.armFence();
    this.options.logger.info('engine lease acquired: this instance runs the engine', {
      group: this.options.group,
      epoch: revision,
      ttlMs: this.ttlMs
    });
    this.notify('acquired the lease');
    // Write the epoch into the value, so readers need not know it is the first revision.
    await this.renew(kv);
    this.announceSoon();
  }

  private async renew(kv: KV): Promise<void> {
    const started = this.now();
    const remaining = this.validUntil - started;
    if (remaining <= 0) {
      this.fence('the lease ran out before it was renewed');
      return;
    }
    const epoch = this.epochValue;
    const value: LeaseValue = {
      instance: this.options.instance,
      host: this.options.host,
      pid: this.options.pid,
      epoch,
      since: this.since ?? new Date().toISOString(),
      ttlMs: this.ttlMs
    };
    const key = leaseKey(this.options.group);
    try {
      const revision = await kv.update(key, encodeJson(value), this.revision, Math.max(50, Math.floor(remaining)));
      if (this.role !== 'active' || this.epochValue !== epoch) return; // fenced meanwhile
      const elapsed = this.now() - started;
      this.revision = revision;
      this.validUntil = started + this.ttlMs;
      this.leaderSeenAt = this.now();
      this.retrying = false;
      this.metrics.renewals++;
      this.metrics.lastRenewMs = elapsed;
      this.renewSamples.push(elapsed);
      if (this.renewSamples.length > 10_000) this.renewSamples.shift();
      this.armFence();
    } catch (error) {
      if (this.role !== 'active' || this.epochValue !== epoch) return;
      this.metrics.renewFailures++;
      const message = error instanceof Error ? error.message : String(error);
      if (/wrong last sequence/i.test(message)) {
        // A timed-out write of ours may have landed after all: then the key still names our term.
        const entry = await kv.get(key).catch(() => null);
        const v = decodeLease(entry);
        if (entry && v && v.instance === this.options.instance && v.epoch === epoch && v.handoffTo === undefined) {
          this.revision = entry.revision;
          this.retrying = true;
          return;
        }
        this.fence('another instance holds the lease');
        return;
      }
      // A timeout or a cluster electing a new stream leader: try again while the lease still runs;
      // the fence timer stops everything the moment it runs out.
      this.retrying = true;
      this.options.logger.warn('renewing the engine lease failed; retrying while it lasts', {
        error: message,
        remainingMs: Math.max(0, Math.round(this.validUntil - this.now()))
      });
    }
  }

  private armFence(): void {
    if (this.fenceTimer) clearTimeout(this.fenceTimer);
    const epoch = this.epochValue;
    this.fenceTimer = setTimeout(
      () => {
        if (this.role === 'active' && this.epochValue === epoch && this.now() >= this.validUntil)
          this.fence('the lease could not be renewed before it ran out');
        else if (this.role === 'active') this.armFence();
      },
      Math.max(1, this.validUntil - this.now())
    );
    this.fenceTimer.unref?.();
  }

  /** Stops leading at once: listeners release consumers and stop publishing before this returns. */
  private fence(reason: string, countAsLoss = true): void {
    if (this.fenceTimer) clearTimeout(this.fenceTimer);
    this.fenceTimer = null;
    this.stepDownSub?.unsubscribe();
    this.stepDownSub = null;
    if (this.role !== 'active') return;
    const epoch = this.epochValue;
    this.role = this.options.preference === 'observer' ? 'observer' : 'standby';
    this.validUntil = 0;
    this.retrying = false;
    if (countAsLoss) {
      this.metrics.lost++;
      this.options.logger.warn('engine lease lost: stopped publishing and released the inbound consumers', {
        reason,
        epoch
      });
    } else {
      this.options.logger.info('engine lease given up', { reason, epoch });
    }
    this.notify(reason);
    this.epochValue = null;
    this.announceSoon();
  }

  private notify(reason: string): void {
    const change: LeaseChange = { role: this.role, epoch: this.epochValue, reason };
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
      role: this.role,
      preference: this.options.preference,
      epoch: this.epoch(),
      started: this.startedAt
    };
    try {
      await kv.put(instanceKey(this.options.group, this.options.instance), encodeJson(value));
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
        let request: StepDownRequest = { requestedBy: 'unknown' };
        try {
          request = JSON.parse(decoder.decode(msg.data)) as StepDownRequest;
        } catch {
          // an empty body is a plain step-down
        }
        const epoch = this.epochValue;
        if (this.role !== 'active') {
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

export type { EngineRole, LeaseChange };
