/**
 * The engine's leader lease, held in a JetStream KV bucket so that it rides on JetStream's own
 * replication (Raft on a cluster) instead of a home-made consensus.
 *
 * - One bucket per account ({@link LEASE_BUCKET}); one key per engine group (`lease.<group>`).
 * - Acquire: `create` (succeeds only when the key is absent or deleted), or a compare-and-set on
 *   the revision of a holder this instance has watched stand still for the holder's TTL (below).
 *   Renew every TTL/3: `update` with the revision of our last write (compare-and-set). The
 *   revision of the acquiring write is the term's epoch: stream sequences only grow, so every new
 *   term has a higher epoch.
 * - Expiry is judged by the contenders, not by the bucket: a contender takes the lease over only
 *   after it has read the same revision, from the stream leader, for the holder's TTL plus a small
 *   grace on its own monotonic clock, with every read in that window answered. The bucket's
 *   max_age ({@link leaseBucketMaxAgeMs}, ≥ 30 s) only collects keys nobody writes any more.
 *   Why not max_age = TTL (as before): on a cluster, killing the node that leads the bucket's
 *   stream leaves it without a leader for nats-server's Raft election (4–9 s on 2.9, longer under
 *   load), longer than the rest of a 5 s lease; the new stream leader then expired the key at once
 *   and another core created a new term although the old leader was alive and willing.
 * - Reads of the lease go to the stream leader (`allow_direct` off for this bucket's handle): a
 *   direct get may be answered by a replica that lags, which would show an old revision as current.
 * - Self-fencing: the leader counts its lease from the moment it *sent* the last successful write
 *   (a contender starts counting only after it has read that write, which is later). When that time
 *   has passed without a renewal — the renewal failed, the connection is gone, the stream is
 *   electing a leader, or the process was stopped (SIGSTOP) — {@link EngineLease.isActive} is false
 *   before any timer runs, and the listeners are told at once: the bridge stops publishing and
 *   releases its consumers.
 * - Resuming the same term: a leader that fenced itself only because it could not renew in time
 *   keeps its epoch and revision and keeps trying the compare-and-set on that revision. If it
 *   lands, nobody wrote the key in between, so nobody else led: it runs the engine again under the
 *   same epoch. If the key moved on (another core took over), it stays a standby.
 * - Every instance announces itself under `instances.<group>.<id>` (same bucket), so any process
 *   can list who is there and with which role; readers drop announcements older than their TTL.
 */
import type { EngineRole, LeaseChange } from '../bridge/leadership-gate';
import type { KV, KvEntry } from '@nats-io/kv';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from '../core/logger';
import { RingBuffer } from '../core/ring-buffer';
import { openLeaseBucket } from './lease-bucket';
import {
  decodeLease,
  decodeStepDownRequest,
  encodeJson,
  instanceKey,
  isWrongLastSequence,
  leaderOf,
  leaseKey,
  stepDownSubject,
  takeoverGraceMs,
  type InstanceAnnouncement,
  type LeaderInfo,
  type LeaseValue,
  type RolePreference,
  type StepDownReply
} from './lease-record';

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
  /** Terms this instance lost (or suspended) other than by stopping or stepping down. */
  lost: number;
  /** Terms this instance took up again after it had fenced itself (its renewal landed later). */
  resumed: number;
  lastRenewMs: number | null;
}

export class EngineLease {
  private role: EngineRole;
  private epochValue: number | null = null;
  private revision = 0;
  private validUntil = 0;
  private since: string | null = null;
  private readonly ttlMs: number;
  private readonly pollMs: number;
  private readonly retryMs: number;
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
  /** Monotonic time a holder of the lease (this core or another) was last seen. */
  private leaderSeenAt: number | null = null;
  private readonly createdAt: number;
  /** A renewal failed for a reason other than losing the key: retry sooner while the lease lasts. */
  private retrying = false;
  /** The first failure of a streak of failed renewals was logged (the rest go to debug). */
  private renewFailureLogged = false;
  /**
   * A term this instance fenced only because its renewal could not land in time: it keeps trying
   * the compare-and-set on `revision` and leads again under `epoch` if that lands.
   */
  private suspended: { epoch: number; revision: number; since: string; at: number } | null = null;
  /**
   * The lease revision this instance has read, and since when (monotonic, when the read's answer
   * arrived, so never before the holder sent that write). Cleared by any failed read: a contender
   * must watch a revision stand still with every read answered before it judges the holder gone.
   */
  private seen: { revision: number; at: number; lapseMs: number } | null = null;
  readonly metrics: LeaseMetrics = {
    renewals: 0,
    renewFailures: 0,
    acquired: 0,
    lost: 0,
    resumed: 0,
    lastRenewMs: null
  };
  /** Renew latencies (ms) since the last read, for the metrics histogram (the newest 10,000). */
  private readonly renewSamples = new RingBuffer<number>(10_000);

  constructor(
    private readonly source: ConnectionSource,
    private readonly options: LeaseOptions
  ) {
    this.role = options.preference === 'observer' ? 'observer' : 'standby';
    this.ttlMs = options.ttlMs;
    this.pollMs = options.pollMs ?? Math.max(50, Math.min(250, Math.floor(options.ttlMs / 10)));
    this.retryMs = Math.max(50, Math.min(200, Math.floor(options.ttlMs / 10)));
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

  /** This instance's TTL: it renews every TTL/3 and fences itself when a TTL passes without a renewal. */
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
    const samples: number[] = [];
    for (let ms = this.renewSamples.shift(); ms !== undefined; ms = this.renewSamples.shift()) samples.push(ms);
    return samples;
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
    // A suspended term still names this instance in the key: free it too, nobody need wait it out.
    const revision = wasActive ? this.revision : (this.suspended?.revision ?? null);
    this.suspended = null;
    this.fence('the core is stopping', { countAsLoss: false });
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
    if (this.role !== 'active') throw new Error('this instance does not hold the engine lease');
    const revision = this.revision;
    const epoch = this.epochValue;
    this.holdOffUntil = this.now() + this.ttlMs;
    this.fence(to ? `handing the lease to ${to}` : 'stepping down on request', { countAsLoss: false });
    const kv = this.kv;
    if (!kv) return;
    const key = leaseKey(this.options.group);
    if (to && to !== this.options.instance) {
      const value: LeaseValue = { ...this.leaseValue(epoch, new Date().toISOString()), handoffTo: to };
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
      return this.retrying ? this.retryMs : Math.floor(this.ttlMs / 3);
    }
    // A suspended term retries as fast: the sooner its renewal lands, the shorter the gap.
    if (this.suspended) return this.retryMs;
    if (this.role === 'observer') return Math.floor(this.ttlMs / 3);
    // A standby looks again the moment the revision it watches would lapse, not up to a poll later.
    const lapsesIn = this.seen ? this.seen.at + this.seen.lapseMs - this.now() : Number.POSITIVE_INFINITY;
    return lapsesIn > 0 && lapsesIn < this.pollMs ? Math.ceil(lapsesIn) : this.pollMs;
  }

  /** A write or read of the lease that did not answer in this long is retried (the lease may be short). */
  private requestTimeoutMs(): number {
    return Math.max(250, Math.floor(this.ttlMs / 3));
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
    if (this.role === 'active' && this.now() >= this.validUntil)
      this.fence('the lease ran out before it was renewed', { resumable: true });
    const nc = this.source.connection();
    if (!nc || nc.isClosed()) {
      this.seen = null; // nothing watched while disconnected
      return;
    }
    const kv = await this.bucket(nc);
    if (this.role === 'active') await this.renew(kv);
    else if (this.suspended) await this.resume(kv);
    else if (this.role === 'standby' && this.now() >= this.holdOffUntil) await this.tryAcquire(kv);
    else await this.readLeader(kv);
    if (this.role === 'active') this.ensureStepDownSubscription(nc);
    if (this.now() - this.lastAnnounced >= this.ttlMs / 3) await this.announce(kv);
  }

  private leaseValue(epoch: number | null, since: string): LeaseValue {
    return {
      instance: this.options.instance,
      host: this.options.host,
      pid: this.options.pid,
      epoch,
      since,
      ttlMs: this.ttlMs
    };
  }

  /** Reads the lease from the stream leader and keeps watch on how long its revision stands still. */
  private async readLeader(kv: KV): Promise<KvEntry | null> {
    let entry: KvEntry | null;
    try {
      entry = await kv.get(leaseKey(this.options.group));
    } catch (error) {
      this.seen = null;
      throw error;
    }
    const at = this.now();
    if (!entry || entry.operation !== 'PUT') this.seen = null;
    else if (this.seen?.revision !== entry.revision) {
      const ttl = decodeLease(entry)?.ttlMs ?? this.ttlMs;
      this.seen = { revision: entry.revision, at, lapseMs: ttl + takeoverGraceMs(ttl) };
    }
    const leader = leaderOf(entry);
    this.lastLeader = leader && entry && !this.lapsed(entry) ? leader : null;
    if (this.lastLeader) this.leaderSeenAt = at;
    return entry;
  }

  /**
   * True when this instance has read the entry's revision unchanged, every read answered, for the
   * holder's TTL plus the grace: the holder (which counts from before it sent that write) has
   * fenced itself by then, so a compare-and-set on this revision may start a new term.
   */
  private lapsed(entry: KvEntry): boolean {
    return (
      this.seen !== null && this.seen.revision === entry.revision && this.now() - this.seen.at >= this.seen.lapseMs
    );
  }

  /** True when the entry is this instance's own write in the term `epoch` (not a hand-off). */
  private isOwn(entry: KvEntry | null, epoch: number): boolean {
    const v = decodeLease(entry);
    return (
      entry !== null &&
      v !== null &&
      v.instance === this.options.instance &&
      v.handoffTo === undefined &&
      (v.epoch ?? entry.revision) === epoch
    );
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
    const payload = encodeJson(this.leaseValue(null, new Date().toISOString()));
    const started = this.now();
    let revision: number;
    try {
      if (!entry || entry.operation !== 'PUT') {
        revision = await kv.create(key, payload);
      } else if (held && held.handoffTo === this.options.instance) {
        revision = await kv.update(key, payload, entry.revision);
      } else if (this.lapsed(entry)) {
        revision = await kv.update(key, payload, entry.revision);
        this.options.logger.info('the engine lease holder stopped renewing: taking the lease over', {
          holder: held?.instance ?? null,
          heldEpoch: held ? (held.epoch ?? entry.revision) : null
        });
      } else {
        return; // someone holds it, or it is reserved for someone else
      }
    } catch {
      return; // another instance was faster
    }
    this.epochValue = revision;
    this.revision = revision;
    this.validUntil = started + this.ttlMs;
    this.since = new Date().toISOString();
    this.role = 'active';
    this.suspended = null;
    this.renewFailureLogged = false;
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
      this.fence('the lease ran out before it was renewed', { resumable: true });
      return;
    }
    const epoch = this.epochValue;
    const value = this.leaseValue(epoch, this.since ?? new Date().toISOString());
    const key = leaseKey(this.options.group);
    try {
      const timeout = Math.max(50, Math.floor(Math.min(remaining, this.requestTimeoutMs())));
      const revision = await kv.update(key, encodeJson(value), this.revision, timeout);
      if (this.role !== 'active' || this.epochValue !== epoch) {
        // Fenced while the write was on its way; it landed, so a resume starts from it.
        if (this.suspended && this.suspended.epoch === epoch) this.suspended.revision = revision;
        return;
      }
      const elapsed = this.now() - started;
      this.revision = revision;
      this.validUntil = started + this.ttlMs;
      this.leaderSeenAt = this.now();
      if (this.renewFailureLogged)
        this.options.logger.info('renewing the engine lease works again', {
          epoch,
          failures: this.metrics.renewFailures
        });
      this.retrying = false;
      this.renewFailureLogged = false;
      this.metrics.renewals++;
      this.metrics.lastRenewMs = elapsed;
      this.renewSamples.push(elapsed);
      this.armFence();
    } catch (error) {
      if (this.role !== 'active' || this.epochValue !== epoch) return;
      this.metrics.renewFailures++;
      const message = error instanceof Error ? error.message : String(error);
      if (isWrongLastSequence(error)) {
        // A timed-out write of ours may have landed after all: then the key still names our term.
        const entry = await this.readLeader(kv).catch(() => undefined);
        if (entry === undefined) {
          this.retrying = true; // cannot tell yet; the fence timer stops us if it stays so
          return;
        }
        if (epoch !== null && this.isOwn(entry, epoch)) {
          this.revision = entry!.revision;
          this.retrying = true;
          return;
        }
        this.fence('another instance holds the lease');
        return;
      }
      // A timeout or a cluster electing a new stream leader: try again while the lease still runs;
      // the fence timer stops everything the moment it runs out.
      this.retrying = true;
      const details = { error: message, remainingMs: Math.max(0, Math.round(this.validUntil - this.now())) };
      if (this.renewFailureLogged) this.options.logger.debug('renewing the engine lease failed again', details);
      else this.options.logger.warn('renewing the engine lease failed; retrying while it lasts', details);
      this.renewFailureLogged = true;
    }
  }

  /**
   * A suspended term: compare-and-set on the revision it last wrote. If it lands, nobody wrote the
   * key in between (nobody else led), so this instance runs the engine again under the same epoch.
   */
  private async resume(kv: KV): Promise<void> {
    const term = this.suspended!;
    const key = leaseKey(this.options.group);
    const started = this.now();
    try {
      const revision = await kv.update(
        key,
        encodeJson(this.leaseValue(term.epoch, term.since)),
        term.revision,
        this.requestTimeoutMs()
      );
      if (this.suspended !== term || !this.running) return;
      this.suspended = null;
      this.epochValue = term.epoch;
      this.revision = revision;
      this.since = term.since;
      this.validUntil = started + this.ttlMs;
      this.role = 'active';
      this.retrying = false;
      this.renewFailureLogged = false;
      this.leaderSeenAt = this.now();
      this.metrics.resumed++;
      this.armFence();
      this.options.logger.info(
        'engine lease renewed after it had run out, with nobody else in between: this instance runs the engine again in the same term',
        { epoch: term.epoch, fencedForMs: Math.round(this.now() - term.at) }
      );
      this.notify('renewed the lease again in the same term');
      this.announceSoon();
    } catch (error) {
      if (this.suspended !== term) return;
      if (!isWrongLastSequence(error)) {
        this.options.logger.debug('the suspended lease still cannot be renewed', {
          epoch: term.epoch,
          error: error instanceof Error ? error.message : String(error)
        });
        return;
      }
      const entry = await this.readLeader(kv).catch(() => undefined);
      if (entry === undefined || this.suspended !== term) return; // cannot tell yet
      if (this.isOwn(entry, term.epoch)) {
        // A write of ours landed although its reply was lost: set the next compare-and-set on it.
        term.revision = entry!.revision;
        return;
      }
      this.suspended = null;
      this.options.logger.info('the lease moved on while this instance could not renew it: standing by', {
        epoch: term.epoch,
        leader: leaderOf(entry)
      });
    }
  }

  private armFence(): void {
    if (this.fenceTimer) clearTimeout(this.fenceTimer);
    const epoch = this.epochValue;
    this.fenceTimer = setTimeout(
      () => {
        if (this.role === 'active' && this.epochValue === epoch && this.now() >= this.validUntil)
          this.fence('the lease could not be renewed before it ran out', { resumable: true });
        else if (this.role === 'active') this.armFence();
      },
      Math.max(1, this.validUntil - this.now())
    );
    this.fenceTimer.unref?.();
  }

  /**
   * Stops leading at once: listeners release consumers and stop publishing before this returns.
   * `resumable`: the lease only ran out (no answer in time), so the term is kept for a later
   * compare-and-set on its last revision.
   */
  private fence(reason: string, how: { countAsLoss?: boolean; resumable?: boolean } = {}): void {
    const countAsLoss = how.countAsLoss ?? true;
    if (this.fenceTimer) clearTimeout(this.fenceTimer);
    this.fenceTimer = null;
    this.stepDownSub?.unsubscribe();
    this.stepDownSub = null;
    if (this.role !== 'active') return;
    const epoch = this.epochValue;
    if (how.resumable && epoch !== null && this.running)
      this.suspended = {
        epoch,
        revision: this.revision,
        since: this.since ?? new Date().toISOString(),
        at: this.now()
      };
    this.role = this.options.preference === 'observer' ? 'observer' : 'standby';
    this.validUntil = 0;
    this.retrying = false;
    if (countAsLoss) {
      this.metrics.lost++;
      this.options.logger.warn('engine lease lost: stopped publishing and released the inbound consumers', {
        reason,
        epoch,
        ...(this.suspended ? { resumesIf: 'its renewal lands before anyone else writes the lease' } : {})
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
      started: this.startedAt,
      ttlMs: this.ttlMs
    };
    try {
      await kv.put(instanceKey(this.options.group, this.options.instance), encodeJson(value), {
        timeout: this.requestTimeoutMs()
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

export type { EngineRole, LeaseChange, RolePreference };
