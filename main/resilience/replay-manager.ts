/**
 * The replay manager is the outbox's one drain loop: producers only append rows to the SQLite
 * outbox (and wake it); it claims committed rows, highest priority first and oldest first within a
 * priority, and publishes them to JetStream as soon as publishing works (connected, the publish
 * breaker not refusing), with a bounded window of PubAcks in flight and an optional rate limit.
 * While it is caught up, a producer's commit writes the rows already claimed by it and it publishes
 * them right after that commit ({@link ReplayManager.writeWithin}).
 * Nothing is handed back to a producer: a row leaves the outbox only through this drain. Each publish carries the row id as
 * Nats-Msg-Id, so a row published twice (a crash between PubAck and commit, a timeout whose
 * publish did land) is stored once: JetStream answers `duplicate` inside the stream's duplicate
 * window (DEFAULT_DUPLICATE_WINDOW_MS, 2 minutes, in nats/topology/topology.ts).
 *
 * Outcomes are group-committed: PubAcks, failures and released rows collect in memory and are
 * written in one transaction every few milliseconds.
 */
import { NoRespondersError, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../core/logger';
import { AsyncJetStreamPublisher, type PubAckCallback, type PubAckInfo } from '../nats/messages';
import type { ConnectionManager } from '../nats/connection';
import type { ResilienceManager } from './breakers';
import { Wakeup } from './wakeup';
import type { OutboundMessage } from '../core/outbound';
import { priorityRank, type Failure, type OutboxRow, type OutboxStore, type Receipt } from './outbox-store';

/** Rejects the publishes still in flight when the drain stops (not counted as an attempt). */
export class DrainStoppedError extends Error {
  constructor() {
    super('the outbox drain stopped before the PubAck arrived');
    this.name = 'DrainStopped';
  }
}

/**
 * The last error an outbox row keeps (the DLQ shows it). A no-responders status on a JetStream
 * publish means no stream takes the subject (or its stream has no leader yet); nats.js only says
 * "no responders", so the row says what it means and what fixes it.
 */
export function failureText(subject: string, error: Error): string {
  if (error instanceof NoRespondersError) {
    return `${error.name}: no stream takes ${subject} (no responders, or its stream has no leader yet): add a stream whose subjects cover it; a dead letter is then retried from the Outbox view or with "synos-cc dlq retry"`;
  }
  return `${error.name}: ${error.message}`;
}

/** Highest priority first, in their order within a priority (the order the loop claims them in). */
function byPriority(messages: readonly OutboundMessage[]): readonly OutboundMessage[] {
  const first = messages[0]?.priority;
  if (messages.every((m) => m.priority === first)) return messages;
  return [...messages].sort((a, b) => priorityRank(b.priority) - priorityRank(a.priority));
}

export interface ReplayManagerOptions {
  store: OutboxStore;
  resilience: ResilienceManager;
  nats: Pick<ConnectionManager, 'connection' | 'onStatus'>;
  logger: Logger;
  /** Publishes waiting for a PubAck at most. */
  maxInFlight?: number;
  /** Rows claimed per round. */
  claimBatch?: number;
  /** PubAck timeout per publish. */
  publishTimeoutMs?: number;
  /** Messages per second; null for as fast as the window allows. */
  rateLimitPerSec?: number | null;
  /** How often orphaned rows of stopped processes are reclaimed and the lease renewed. */
  leaseRenewMs?: number;
  /**
   * Awaited once per connection before the first publish on it (the core passes provisioning's
   * ensure(), so the streams exist before the backlog drains). A rejection is logged and draining
   * goes ahead: the streams may well exist already.
   */
  ready?: () => Promise<unknown> | undefined;
  /** Outcomes are committed after this many ms or this many rows, whichever comes first. */
  settleDelayMs?: number;
  settleBatch?: number;
  /** Told of every publish outcome (the core feeds the metrics: publish latency, failures). */
  observer?: PublishObserver;
}

/** What one group commit of outcomes recorded (rows released unattempted are not listed). */
export interface SettledOutcome {
  completed: readonly Receipt[];
  failed: readonly Failure[];
}

/** Receives publish outcomes as they happen (metrics). */
export interface PublishObserver {
  published(stream: string, seconds: number): void;
  /** The PubAck of a row arrived (before its outcome is committed); the pipeline benchmark times it. */
  acked?(id: string): void;
  failed(reason: string): void;
}

export interface ReplayStats {
  inFlight: number;
  draining: boolean;
  deliveredTotal: number;
  duplicatesTotal: number;
  failedTotal: number;
  deadTotal: number;
  rateLimitPerSec: number | null;
}

export class ReplayManager {
  private readonly store: OutboxStore;
  private readonly resilience: ResilienceManager;
  private readonly nats: ReplayManagerOptions['nats'];
  private readonly logger: Logger;
  private readonly maxInFlight: number;
  private readonly claimBatch: number;
  private readonly publishTimeoutMs: number;
  private readonly leaseRenewMs: number;
  private readonly settleDelayMs: number;
  private readonly settleBatch: number;
  private rateLimit: number | null;
  private tokens = 0;
  private tokensAt = Date.now();

  private readonly wakeup = new Wakeup();
  private readonly slotFree = new Wakeup();
  private running = false;
  private loopDone: Promise<void> | null = null;
  private inFlight = 0;
  private readonly claimed = new Set<string>();
  private completed: Receipt[] = [];
  private failed: Failure[] = [];
  private released: string[] = [];
  private settleTimer: NodeJS.Timeout | null = null;
  /** The last settle could not write; the next attempt waits for its timer. */
  private settleBackingOff = false;
  private leaseTimer: NodeJS.Timeout | null = null;
  private unsubscribeStatus: (() => void) | null = null;
  private js: { nc: NatsConnection; publisher: AsyncJetStreamPublisher } | null = null;
  private readonly settledListeners = new Set<(outcome: SettledOutcome) => void>();
  private stats = { delivered: 0, duplicates: 0, failed: 0, dead: 0 };
  private draining = false;
  private readonly ready: (() => Promise<unknown> | undefined) | null;
  private readyFor: NatsConnection | null = null;
  private readyFailures = 0;
  private readonly observer: PublishObserver | null;
  /** PubAcks since the last settle: one success is told to the publish breaker per settle, not per message. */
  private acksSinceSettle = 0;
  /**
   * Due rows may be waiting in the table (rows written pending, released or back from retrying,
   * another process's rows): fresh rows are then written pending behind them. Cleared when a claim
   * of the loop comes back short — the table has nothing more due at that moment.
   */
  private backlog = true;

  constructor(options: ReplayManagerOptions) {
    this.store = options.store;
    this.resilience = options.resilience;
    this.nats = options.nats;
    this.logger = options.logger.child({ part: 'replay' });
    this.maxInFlight = options.maxInFlight ?? 1024;
    this.claimBatch = options.claimBatch ?? 256;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5000;
    this.rateLimit = options.rateLimitPerSec ?? null;
    this.leaseRenewMs = options.leaseRenewMs ?? Math.max(500, Math.floor(this.store.leaseMs / 3));
    this.settleDelayMs = options.settleDelayMs ?? 10;
    this.settleBatch = options.settleBatch ?? 1024;
    this.ready = options.ready ?? null;
    this.observer = options.observer ?? null;
  }

  /** Recovers rows a crash left `processing`, then drains whenever publishing works. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.store.heartbeat();
    const reclaimed = this.store.reclaimOrphans();
    if (reclaimed > 0) this.logger.info('rows left processing by a stopped process go back to retrying', { reclaimed });
    this.leaseTimer = setInterval(() => this.renewLease(), this.leaseRenewMs);
    this.leaseTimer.unref();
    this.unsubscribeStatus = this.nats.onStatus((status) => {
      if (status.state === 'connected') this.wake();
    });
    this.loopDone = this.loop().catch((error: unknown) => {
      this.logger.error('the outbox drain loop stopped unexpectedly', { error });
    });
  }

  /**
   * Something changed (new rows, connection back, breaker released): look again now. Until the
   * loop has looked and found no due row left, producers' rows are written pending behind
   * whatever is waiting (see {@link writeWithin}).
   */
  wake(): void {
    this.backlog = true;
    this.wakeup.wake();
  }

  /**
   * Writes a producer's messages inside its open transaction — the bridge's inbound commit — and
   * returns what to run once that transaction has committed. While the drain is caught up (no due
   * row left in the table) and its window has room, the rows are written already claimed by this
   * drainer, and the returned function publishes them: fresh rows go out without a turn of the
   * drain loop and without a claim (no read of the due index, no second write of each row). The
   * rest are written `pending` and the loop takes them in order, oldest first — a claimed insert
   * never overtakes a row already waiting. PubAck outcomes collected since the last settle are
   * written in the same transaction (their rows are mostly on the pages this commit writes
   * anyway), so the settle timer's own transaction is rarely needed. Nothing in memory changes
   * before the returned function runs: when the transaction rolls back (rows, claims and outcomes
   * with it) the caller just drops it; it must be called synchronously right after the commit.
   */
  writeWithin(messages: readonly OutboundMessage[]): () => void {
    const nc = this.nats.connection();
    const ready =
      this.running &&
      !this.backlog &&
      this.rateLimit === null &&
      nc !== null &&
      this.readyFor === nc &&
      !this.resilience.isRefusing('publish');
    const room = ready ? this.maxInFlight - this.inFlight : 0;
    // What the window takes goes out first, so the most urgent go first (as the loop claims them).
    const rows = this.store.enqueueClaimed(byPriority(messages), room);
    const leftPending = room < messages.length;
    const outcomes = this.settleBackingOff ? 0 : this.completed.length + this.failed.length + this.released.length;
    const completed = this.completed;
    const failed = this.failed;
    const released = this.released;
    const dead = outcomes > 0 ? this.store.settle({ completed, failed, released }) : 0;
    return () => {
      if (outcomes > 0) {
        // Exactly the outcomes written above: nothing can arrive between the commit and this call.
        this.completed = [];
        this.failed = [];
        this.released = [];
        if (this.settleTimer) clearTimeout(this.settleTimer);
        this.settleTimer = null;
        this.settled({ completed, failed, released }, dead);
      }
      if (rows.length > 0 && nc) {
        this.draining = true;
        const js = this.client(nc);
        for (const row of rows) this.publish(js, row);
      }
      // Rows written pending: the loop claims them (and until it finds the table caught up, later
      // rows are written pending too, behind them).
      if (leftPending) this.wake();
    };
  }

  setRateLimit(perSecond: number | null): void {
    if (perSecond === this.rateLimit) return;
    this.rateLimit = perSecond;
    this.tokens = 0;
    this.tokensAt = Date.now();
    this.wake();
  }

  getStats(): ReplayStats {
    return {
      inFlight: this.inFlight,
      draining: this.draining,
      deliveredTotal: this.stats.delivered,
      duplicatesTotal: this.stats.duplicates,
      failedTotal: this.stats.failed,
      deadTotal: this.stats.dead,
      rateLimitPerSec: this.rateLimit
    };
  }

  /** Called after each group commit of outcomes, with the PubAcks and failed attempts it recorded. */
  onSettled(listener: (outcome: SettledOutcome) => void): () => void {
    this.settledListeners.add(listener);
    return () => this.settledListeners.delete(listener);
  }

  /**
   * Stops claiming, waits (bounded) for publishes in flight, commits their outcomes and gives
   * any row still claimed back to the queue.
   */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    this.slotFree.wake();
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    this.unsubscribeStatus?.();
    await this.loopDone;
    const deadline = Date.now() + graceMs;
    while (this.inFlight > 0 && Date.now() < deadline) await this.slotFree.wait(50);
    if (this.js) {
      // Publishes still unanswered go back to the queue unattempted (if one did land, its
      // re-publish is deduplicated by Nats-Msg-Id); their rejections arrive on the next turn.
      this.js.publisher.close(new DrainStoppedError());
      this.js = null;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.settle();
    if (this.claimed.size > 0) {
      this.store.release([...this.claimed]);
      this.claimed.clear();
    }
    this.store.retire();
  }

  private renewLease(): void {
    try {
      this.store.heartbeat();
      if (this.store.reclaimOrphans() > 0) this.wake();
    } catch (error) {
      this.logger.warn('could not renew the outbox lease', { error });
    }
  }

  /** The PubAck publisher of this connection (a new connection gets a new one; the old one is closed). */
  private client(nc: NatsConnection): AsyncJetStreamPublisher {
    // A publisher whose reply subscription failed (e.g. a permissions violation) is replaced too.
    if (!this.js || this.js.nc !== nc || this.js.publisher.closed) {
      this.js?.publisher.close();
      this.js = { nc, publisher: new AsyncJetStreamPublisher(nc, { timeoutMs: this.publishTimeoutMs }) };
    }
    return this.js.publisher;
  }

  /** Claim in worthwhile batches: one claim per few hundred rows while PubAcks are in flight, not one per PubAck. */
  private minClaim(): number {
    return this.inFlight === 0 ? 1 : Math.min(this.claimBatch, Math.max(1, this.maxInFlight >> 2));
  }

  /** How many publishes the rate limit allows now (refilling the bucket). */
  private allowance(want: number): number {
    if (this.rateLimit === null) return want;
    const now = Date.now();
    const capacity = Math.max(1, this.rateLimit / 10);
    this.tokens = Math.min(capacity, this.tokens + ((now - this.tokensAt) / 1000) * this.rateLimit);
    this.tokensAt = now;
    const n = Math.min(want, Math.floor(this.tokens));
    this.tokens -= n;
    return n;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const nc = this.nats.connection();
      if (!nc) {
        this.draining = false;
        await this.wakeup.wait(1000);
        continue;
      }
      if (this.readyFor !== nc) {
        try {
          await this.ready?.();
          this.readyFor = nc;
        } catch (error) {
          // A cluster may still be electing its JetStream leader: try a few times, then drain
          // anyway (the streams may well exist; rows without a stream retry with back-off).
          this.readyFailures++;
          if (this.readyFailures >= 5) {
            this.logger.warn('provisioning before the drain keeps failing; draining anyway', { error });
            this.readyFor = nc;
          } else {
            await this.wakeup.wait(1000);
          }
        }
        if (this.readyFor === nc) this.readyFailures = 0;
        continue;
      }
      if (this.resilience.isRefusing('publish')) {
        this.draining = false;
        await this.probe(nc);
        continue;
      }
      const room = this.maxInFlight - this.inFlight;
      if (room < this.minClaim()) {
        await this.slotFree.wait(100);
        continue;
      }
      const allowed = this.allowance(Math.min(room, this.claimBatch));
      if (allowed <= 0) {
        await this.wakeup.wait(Math.max(1, Math.ceil(1000 / (this.rateLimit ?? 1000))));
        continue;
      }
      let rows: OutboxRow[];
      try {
        rows = this.settle(allowed);
      } catch (error) {
        this.logger.warn('could not claim outbox rows; trying again shortly', { error });
        await this.wakeup.wait(500);
        continue;
      }
      if (this.rateLimit !== null) this.tokens += allowed - rows.length;
      // A short claim took every due row: the table is caught up until something wakes the loop.
      if (rows.length < allowed) this.backlog = false;
      if (rows.length === 0) {
        this.draining = this.inFlight > 0;
        const next = this.store.nextDueAt();
        const wait = next === null ? 1000 : Math.min(1000, Math.max(5, next - Date.now()));
        await this.wakeup.wait(wait);
        continue;
      }
      this.draining = true;
      const js = this.client(nc);
      for (const row of rows) this.publish(js, row);
      // Let PubAcks and new rows in before the next round (the claim's own commit is the next settle).
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * While the publish breaker is open no publish is attempted. Once its back-off has passed the
   * next call through it is the half-open test: publish one due row; success closes the breaker.
   */
  private async probe(nc: NatsConnection): Promise<void> {
    if (this.inFlight > 0 || this.resilience.isEmergency() || !this.store.hasDue()) {
      await this.wakeup.wait(250);
      return;
    }
    const policy = this.resilience.policy('publish');
    try {
      await policy.execute(async () => {
        const [row] = this.store.claim(1);
        if (!row) return;
        await this.publishNow(this.client(nc), row);
      });
    } catch {
      // Refused (still open), or the test publish failed: publishNow recorded it and the breaker
      // opens again with a longer back-off.
      await this.wakeup.wait(250);
    }
  }

  /** One publish outside the window (the breaker probe); records its outcome. */
  private async publishNow(js: AsyncJetStreamPublisher, row: OutboxRow): Promise<void> {
    this.claimed.add(row.id);
    this.inFlight++;
    const started = performance.now();
    try {
      const ack = await js.publish(row.subject, row.payload, { msgID: row.id, headers: row.headers });
      this.onAck(row, ack, started);
    } catch (error) {
      this.onFailure(row, error);
      throw error;
    } finally {
      this.inFlight--;
      this.slotFree.wake();
      this.scheduleSettle();
    }
  }

  /**
   * One publish in the window. The loop checked the breaker before claiming; the outcome reaches
   * the breaker through record() (a failure at once, successes once per settle), so a publish
   * costs a callback, not a promise chain through the breaker.
   */
  private publish(js: AsyncJetStreamPublisher, row: OutboxRow): void {
    this.claimed.add(row.id);
    this.inFlight++;
    const started = performance.now();
    const done: PubAckCallback = (error, ack) => {
      if (ack) {
        this.onAck(row, ack, started);
        this.acksSinceSettle++;
      } else if (error instanceof DrainStoppedError) {
        // Given up at stop: not an attempt.
        this.released.push(row.id);
      } else {
        const failure = error ?? new Error('no PubAck');
        this.onFailure(row, failure);
        this.resilience.record('publish', { ok: false, error: failure });
      }
      this.inFlight--;
      this.slotFree.wake();
      this.scheduleSettle();
    };
    js.send(row.subject, row.payload, row.id, row.headers, done);
  }

  private onAck(row: OutboxRow, ack: PubAckInfo, started: number): void {
    this.observer?.published(ack.stream, (performance.now() - started) / 1000);
    this.observer?.acked?.(row.id);
    const receipt: Receipt = { id: row.id, stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
    if (row.rowid !== undefined) receipt.rowid = row.rowid;
    this.completed.push(receipt);
    this.stats.delivered++;
    if (ack.duplicate) this.stats.duplicates++;
  }

  private onFailure(row: OutboxRow, error: unknown): void {
    const message = error instanceof Error ? failureText(row.subject, error) : String(error);
    this.failed.push({ id: row.id, error: message.slice(0, 1000) });
    this.observer?.failed(
      error instanceof Error ? String((error as { code?: unknown }).code ?? error.name) : 'unknown'
    );
    this.stats.failed++;
  }

  private scheduleSettle(): void {
    const pending = this.completed.length + this.failed.length + this.released.length;
    if (pending >= this.settleBatch && !this.settleBackingOff) {
      this.settle();
      return;
    }
    if (!this.settleTimer) {
      this.settleTimer = setTimeout(() => this.settle(), this.settleDelayMs);
    }
  }

  /**
   * Commits collected outcomes in one transaction — together with claiming the next `claimLimit`
   * rows when the drain loop calls it — and returns the claimed rows.
   */
  private settle(claimLimit = 0): OutboxRow[] {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = null;
    if (this.acksSinceSettle > 0) {
      this.acksSinceSettle = 0;
      this.resilience.record('publish', { ok: true });
    }
    const hasOutcomes = this.completed.length + this.failed.length + this.released.length > 0;
    if (!hasOutcomes) return claimLimit > 0 ? this.store.claim(claimLimit) : [];
    const completed = this.completed;
    const failed = this.failed;
    const released = this.released;
    this.completed = [];
    this.failed = [];
    this.released = [];
    let rows: OutboxRow[] = [];
    let dead = 0;
    try {
      ({ rows, dead } = this.store.settleAndClaim({ completed, failed, released }, claimLimit));
    } catch (error) {
      // Nothing was written (the transaction rolled back): keep the outcomes and try again shortly.
      // Meanwhile the rows stay `processing` under this drainer and in `claimed`, so a stop
      // releases them; after a crash they are reclaimed and re-published (deduplicated).
      // Logged once per outage: the loop and the timer retry every 0.5–1 s while the disk is full.
      const log = this.settleBackingOff ? this.logger.debug.bind(this.logger) : this.logger.error.bind(this.logger);
      log('could not record publish outcomes in the outbox; retrying in 1 s', {
        error,
        rows: completed.length + failed.length + released.length
      });
      this.completed = completed.concat(this.completed);
      this.failed = failed.concat(this.failed);
      this.released = released.concat(this.released);
      this.settleBackingOff = true;
      if (!this.settleTimer) this.settleTimer = setTimeout(() => this.settle(), 1000);
      // The drain loop's claim failed with it: the loop waits and tries again.
      if (claimLimit > 0) throw error;
      return [];
    }
    this.settled({ completed, failed, released }, dead);
    return rows;
  }

  /** What follows a committed settle: the rows are no longer ours, and the listeners hear of it. */
  private settled(outcome: { completed: Receipt[]; failed: Failure[]; released: string[] }, dead: number): void {
    const { completed, failed, released } = outcome;
    this.settleBackingOff = false;
    if (this.acksSinceSettle > 0) {
      this.acksSinceSettle = 0;
      this.resilience.record('publish', { ok: true });
    }
    if (dead > 0) {
      this.stats.dead += dead;
      this.logger.warn('messages moved to the dead-letter queue after their last attempt', { dead });
    }
    for (const r of completed) this.claimed.delete(r.id);
    for (const f of failed) this.claimed.delete(f.id);
    for (const id of released) this.claimed.delete(id);
    if (failed.length > 0 || released.length > 0) this.wake();
    const settledOutcome: SettledOutcome = { completed, failed };
    for (const listener of this.settledListeners) {
      try {
        listener(settledOutcome);
      } catch (error) {
        this.logger.error('outbox settle listener failed', { error });
      }
    }
  }
}
