/**
 * One instance's term of the engine lease (docs/architecture.md §10); {@link EngineLease} (./lease)
 * runs the cycle that calls into it and tells the listeners.
 *
 * - Acquire: `create` (only when the key is absent or deleted), a hand-off reserved for this
 *   instance, or a compare-and-set on the revision of a holder {@link LeaseWatch} judged gone.
 *   Renew every TTL/3 by a compare-and-set on our last revision. The acquiring write's revision is
 *   the term's epoch: stream sequences only grow, so every new term has a higher epoch.
 * - Self-fencing: the leader counts its lease from the moment it *sent* the last successful write
 *   (a contender starts counting only after it has read that write, which is later). When that
 *   time has passed without a renewal (failed, disconnected, stream electing a leader, SIGSTOP),
 *   {@link LeaseTerm.isActive} is false before any timer runs, and the listeners are told at once.
 * - Resuming the same term: a leader that fenced itself only because it could not renew in time
 *   keeps its epoch and revision and retries the compare-and-set on that revision. If it lands,
 *   nobody wrote the key in between, so nobody else led: it leads again under the same epoch.
 */
import type { EngineRole, LeaseChange } from '../bridge/leadership-gate';
import type { KV, KvEntry } from '@nats-io/kv';
import type { Logger } from '../core/logger';
import { RingBuffer } from '../core/ring-buffer';
import {
  decodeLease,
  encodeJson,
  isOwnWrite,
  isWrongLastSequence,
  leaderOf,
  leaseKey,
  type LeaderInfo,
  type LeaseValue,
  type RolePreference
} from './lease-record';
import { requestTimeoutMs } from './lease-bucket';
import { LeaseWatch } from './lease-watch';

/** Who this instance is and how it holds the lease. */
export interface TermSettings {
  group: string;
  ttlMs: number;
  preference: RolePreference;
  instance: string;
  host: string;
  pid: number;
  logger: Logger;
  /** How often a standby looks for a free lease (default TTL/10, within 50–250 ms). */
  pollMs?: number;
  /** Monotonic milliseconds (performance.now): keeps counting while the process is stopped. */
  now?: () => number;
}

/** What a term needs from the lease that runs it. */
export interface TermHooks {
  /** The lease is started: a term fenced while running is kept for a resume, one that lands later is not. */
  running(): boolean;
  /** The role or the term changed: the listeners act on it before this returns. */
  changed(change: LeaseChange): void;
  /** This instance's announcement is out of date: write it at once. */
  announceSoon(): void;
  /** This instance no longer leads (or is leaving): stop answering step-down requests. */
  stopAnswering(): void;
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

export class LeaseTerm {
  private role: EngineRole;
  private epochValue: number | null = null;
  private revision = 0;
  private validUntil = 0;
  private since: string | null = null;
  private readonly ttlMs: number;
  private readonly pollMs: number;
  private readonly retryMs: number;
  private readonly now: () => number;
  private fenceTimer: NodeJS.Timeout | null = null;
  /** A standby that stepped down does not contend before this (monotonic) time. */
  private holdOffUntil = 0;
  /** A renewal failed for a reason other than losing the key: retry sooner while the lease lasts. */
  private retrying = false;
  /** The first failure of a streak of failed renewals was logged (the rest go to debug). */
  private renewFailureLogged = false;
  /**
   * A term this instance fenced only because its renewal could not land in time: it keeps trying
   * the compare-and-set on `revision` and leads again under `epoch` if that lands.
   */
  private suspended: { epoch: number; revision: number; since: string; at: number } | null = null;
  /** Who holds the lease as read from the stream leader, and whether that holder has lapsed. */
  private readonly watch: LeaseWatch;
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
    private readonly options: TermSettings,
    private readonly hooks: TermHooks
  ) {
    this.role = options.preference === 'observer' ? 'observer' : 'standby';
    this.ttlMs = options.ttlMs;
    this.pollMs = options.pollMs ?? Math.max(50, Math.min(250, Math.floor(options.ttlMs / 10)));
    this.retryMs = Math.max(50, Math.min(200, Math.floor(options.ttlMs / 10)));
    this.now = options.now ?? (() => performance.now());
    this.watch = new LeaseWatch(options.group, options.ttlMs, this.now);
  }

  /** How long no instance has been seen holding the lease (0 while one does); for the alert rule. */
  leaderlessMs(): number {
    if (this.isActive()) return 0;
    return this.watch.unseenForMs();
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
    return this.watch.lastSeenLeader();
  }

  /** Renew latencies measured since the last call. */
  takeRenewSamples(): number[] {
    const samples: number[] = [];
    for (let ms = this.renewSamples.shift(); ms !== undefined; ms = this.renewSamples.shift()) samples.push(ms);
    return samples;
  }

  /** One step of the lease cycle: renew, resume, contend, or only read who leads. */
  async step(kv: KV): Promise<void> {
    if (this.role === 'active') await this.renew(kv);
    else if (this.suspended) await this.resume(kv);
    else if (this.role === 'standby' && this.now() >= this.holdOffUntil) await this.tryAcquire(kv);
    else await this.watch.read(kv);
  }

  /** Fences this instance when its lease has run out (checked at the start of every cycle). */
  fenceIfRunOut(): void {
    if (this.role === 'active' && this.now() >= this.validUntil)
      this.fence('the lease ran out before it was renewed', { resumable: true });
  }

  /** Nothing is watched while disconnected: a contender starts its window again on reconnecting. */
  forgetWatch(): void {
    this.watch.forget();
  }

  /** Contend at the next cycle even if this instance stepped down less than a TTL ago. */
  contendNow(): void {
    this.holdOffUntil = 0;
  }

  /** How long until the next cycle. */
  nextDelayMs(): number {
    if (this.role === 'active') {
      // Renew every TTL/3; after a failed attempt, retry sooner while the lease still runs.
      return this.retrying ? this.retryMs : Math.floor(this.ttlMs / 3);
    }
    // A suspended term retries as fast: the sooner its renewal lands, the shorter the gap.
    if (this.suspended) return this.retryMs;
    if (this.role === 'observer') return Math.floor(this.ttlMs / 3);
    // A standby looks again the moment the revision it watches would lapse, not up to a poll later.
    const lapsesIn = this.watch.lapsesInMs();
    return lapsesIn > 0 && lapsesIn < this.pollMs ? Math.ceil(lapsesIn) : this.pollMs;
  }

  /**
   * Stops leading because the core stops (not counted as a loss); returns the revision that still
   * names this instance in the key, also of a suspended term, so it can be freed at once.
   */
  release(reason: string): number | null {
    const wasActive = this.role === 'active';
    const revision = wasActive ? this.revision : (this.suspended?.revision ?? null);
    this.suspended = null;
    this.fence(reason, { countAsLoss: false });
    return revision;
  }

  /**
   * Stops leading on request and does not contend again for one TTL, so another instance takes
   * over; returns the term's last revision and epoch for freeing or handing off the key.
   */
  stepDown(reason: string): { revision: number; epoch: number | null } {
    const revision = this.revision;
    const epoch = this.epochValue;
    this.holdOffUntil = this.now() + this.ttlMs;
    this.fence(reason, { countAsLoss: false });
    return { revision, epoch };
  }

  /** The lease value this instance writes for a term. */
  valueFor(epoch: number | null, since: string): LeaseValue {
    return {
      instance: this.options.instance,
      host: this.options.host,
      pid: this.options.pid,
      epoch,
      since,
      ttlMs: this.ttlMs
    };
  }

  private async tryAcquire(kv: KV): Promise<void> {
    const key = leaseKey(this.options.group);
    let entry: KvEntry | null;
    try {
      entry = await this.watch.read(kv);
    } catch (error) {
      this.options.logger.debug('cannot read the lease', { error });
      return;
    }
    const held = decodeLease(entry);
    const payload = encodeJson(this.valueFor(null, new Date().toISOString()));
    const started = this.now();
    let revision: number;
    try {
      if (!entry || entry.operation !== 'PUT') {
        revision = await kv.create(key, payload);
      } else if (held && held.handoffTo === this.options.instance) {
        revision = await kv.update(key, payload, entry.revision);
      } else if (this.watch.lapsed(entry)) {
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
    this.hooks.announceSoon();
  }

  private async renew(kv: KV): Promise<void> {
    const started = this.now();
    const remaining = this.validUntil - started;
    if (remaining <= 0) {
      this.fence('the lease ran out before it was renewed', { resumable: true });
      return;
    }
    const epoch = this.epochValue;
    const value = this.valueFor(epoch, this.since ?? new Date().toISOString());
    const key = leaseKey(this.options.group);
    try {
      const timeout = Math.max(50, Math.floor(Math.min(remaining, requestTimeoutMs(this.ttlMs))));
      const revision = await kv.update(key, encodeJson(value), this.revision, timeout);
      if (this.role !== 'active' || this.epochValue !== epoch) {
        // Fenced while the write was on its way; it landed, so a resume starts from it.
        if (this.suspended && this.suspended.epoch === epoch) this.suspended.revision = revision;
        return;
      }
      const elapsed = this.now() - started;
      this.revision = revision;
      this.validUntil = started + this.ttlMs;
      this.watch.sawLeader(this.now());
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
        const entry = await this.watch.read(kv).catch(() => undefined);
        if (entry === undefined) {
          this.retrying = true; // cannot tell yet; the fence timer stops us if it stays so
          return;
        }
        if (epoch !== null && isOwnWrite(entry, this.options.instance, epoch)) {
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
        encodeJson(this.valueFor(term.epoch, term.since)),
        term.revision,
        requestTimeoutMs(this.ttlMs)
      );
      if (this.suspended !== term || !this.hooks.running()) return;
      this.suspended = null;
      this.epochValue = term.epoch;
      this.revision = revision;
      this.since = term.since;
      this.validUntil = started + this.ttlMs;
      this.role = 'active';
      this.retrying = false;
      this.renewFailureLogged = false;
      this.watch.sawLeader(this.now());
      this.metrics.resumed++;
      this.armFence();
      this.options.logger.info(
        'engine lease renewed after it had run out, with nobody else in between: this instance runs the engine again in the same term',
        { epoch: term.epoch, fencedForMs: Math.round(this.now() - term.at) }
      );
      this.notify('renewed the lease again in the same term');
      this.hooks.announceSoon();
    } catch (error) {
      if (this.suspended !== term) return;
      if (!isWrongLastSequence(error)) {
        this.options.logger.debug('the suspended lease still cannot be renewed', {
          epoch: term.epoch,
          error: error instanceof Error ? error.message : String(error)
        });
        return;
      }
      const entry = await this.watch.read(kv).catch(() => undefined);
      if (entry === undefined || this.suspended !== term) return; // cannot tell yet
      if (isOwnWrite(entry, this.options.instance, term.epoch)) {
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
    this.hooks.stopAnswering();
    if (this.role !== 'active') return;
    const epoch = this.epochValue;
    if (how.resumable && epoch !== null && this.hooks.running())
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
    this.hooks.announceSoon();
  }

  /** The listeners hear the role and the epoch as they are now (in a fence: the term just left). */
  private notify(reason: string): void {
    this.hooks.changed({ role: this.role, epoch: this.epochValue, reason });
  }
}
