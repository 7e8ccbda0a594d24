/**
 * Circuit breakers per operation (connect, publish, subscribe, jetstream-api) with cockatiel:
 * closed → open after consecutive failures → half-open after a growing back-off → closed on a
 * successful test call. While `publish` is open, the replay manager attempts no publish and the
 * outbox holds the messages.
 *
 * The emergency switch forces every breaker open (cockatiel's isolate) and releases them. It is
 * kept in SQLite (`resilience_control`), and every core polls it, so `synos-cc breakers open` run
 * from another process reaches the running core within one poll interval. Each core also writes
 * its breaker states to `breaker_states`, so that command can show what the running core sees.
 */
import os from 'node:os';
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  IsolatedCircuitError,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy
} from 'cockatiel';
import {
  ContractError,
  type BreakerOperation,
  type BreakerStateName,
  type BreakerStatus,
  type BreakersReport
} from '../contract';
import type { Logger } from '../core/logger';
import type { Database } from '../store/database';

export const BREAKER_OPERATIONS: readonly BreakerOperation[] = ['connect', 'publish', 'subscribe', 'jetstream-api'];

const STATE_NAMES: Record<CircuitState, BreakerStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated'
};

/**
 * Whether a failure says something about the path to NATS (it counts for the breaker) rather than
 * about one message (no stream for its subject, a server-side rejection), which must not stop
 * every other message.
 */
export function isInfrastructureFailure(error: Error): boolean {
  const name = error.name ?? '';
  const message = error.message ?? '';
  // No responders: no stream (or no stream leader yet) takes this subject — a per-subject matter.
  if (
    name === 'NoRespondersError' ||
    name === 'JetStreamNotEnabled' ||
    /no responders|jetstream is not enabled/i.test(message)
  )
    return false;
  if (name === 'JetStreamApiError') return false;
  // This process stopping its drain says nothing about the server.
  if (name === 'DrainStopped') return false;
  if (/maximum payload|wrong last|expected stream|message size/i.test(message)) return false;
  return true;
}

interface BreakerRecord {
  policy: CircuitBreakerPolicy;
  since: number;
  consecutiveFailures: number;
  openedCount: number;
  lastError: string | null;
  isolation: { dispose(): void } | null;
}

export interface EmergencyState {
  active: boolean;
  since: number | null;
  reason: string | null;
}

export interface ResilienceManagerOptions {
  db: Database;
  logger: Logger;
  /** The id this core reports its breaker states under (the outbox drainer id). */
  owner: string;
  /** Consecutive failures that open a breaker. */
  failureThreshold?: number;
  /** First half-open delay and its cap; the delay grows while test calls keep failing. */
  halfOpenAfter?: { initialMs: number; maxMs: number };
  /** How often the shared emergency switch is read from SQLite. */
  pollMs?: number;
}

const EMERGENCY_KEY = 'emergency';

/** Lists breaker states, runs operations through them, and holds the emergency switch. */
export class ResilienceManager {
  readonly owner: string;
  private readonly db: Database;
  private readonly logger: Logger;
  private readonly records = new Map<BreakerOperation, BreakerRecord>();
  private readonly listeners = new Set<(report: BreakersReport) => void>();
  private emergency: EmergencyState = { active: false, since: null, reason: null };
  private timer: NodeJS.Timeout | null = null;
  private readonly pollMs: number;
  private readonly stmts;

  constructor(options: ResilienceManagerOptions) {
    this.db = options.db;
    this.logger = options.logger.child({ part: 'breakers' });
    this.owner = options.owner;
    this.pollMs = options.pollMs ?? 1000;
    const threshold = options.failureThreshold ?? 5;
    const halfOpen = options.halfOpenAfter ?? { initialMs: 500, maxMs: 30_000 };
    this.stmts = {
      readControl: this.db.prepare<[string], { value: string }>(`SELECT value FROM resilience_control WHERE key = ?`),
      writeControl: this.db.prepare(
        `INSERT INTO resilience_control (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`
      ),
      writeState: this.db.prepare(
        `INSERT INTO breaker_states (owner, operation, state, since, failures, opened_count, last_error, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (owner, operation) DO UPDATE SET state = excluded.state, since = excluded.since,
           failures = excluded.failures, opened_count = excluded.opened_count, last_error = excluded.last_error,
           updated_at = excluded.updated_at`
      ),
      touchStates: this.db.prepare(`UPDATE breaker_states SET updated_at = ? WHERE owner = ?`),
      dropStates: this.db.prepare(`DELETE FROM breaker_states WHERE owner = ? OR updated_at < ?`),
      otherStates: this.db.prepare<
        [string, number],
        {
          owner: string;
          operation: BreakerOperation;
          state: BreakerStateName;
          since: number;
          failures: number;
          opened_count: number;
          last_error: string | null;
          updated_at: number;
        }
      >(`SELECT * FROM breaker_states WHERE owner <> ? AND updated_at >= ? ORDER BY owner, operation`)
    };

    for (const operation of BREAKER_OPERATIONS) {
      const policy = circuitBreaker(handleWhen(isInfrastructureFailure), {
        halfOpenAfter: new ExponentialBackoff({ initialDelay: halfOpen.initialMs, maxDelay: halfOpen.maxMs }),
        breaker: new ConsecutiveBreaker(threshold)
      });
      const record: BreakerRecord = {
        policy,
        since: Date.now(),
        consecutiveFailures: 0,
        openedCount: 0,
        lastError: null,
        isolation: null
      };
      policy.onFailure((event) => {
        if (!event.handled) return;
        record.consecutiveFailures++;
        const reason = event.reason;
        record.lastError = 'error' in reason ? reason.error.message : 'failed';
      });
      policy.onSuccess(() => {
        record.consecutiveFailures = 0;
      });
      policy.onBreak((reason) => {
        if (!('isolated' in reason)) record.openedCount++;
      });
      policy.onStateChange((state) => {
        record.since = Date.now();
        // Failures opening a breaker are news; the emergency switch (isolated) is logged once below.
        const level = state === CircuitState.Open || state === CircuitState.HalfOpen ? 'warn' : 'debug';
        this.logger[level](`${operation} breaker is ${STATE_NAMES[state]}`, {
          operation,
          lastError: record.lastError
        });
        this.changed();
      });
      this.records.set(operation, record);
    }
  }

  private rec(operation: BreakerOperation): BreakerRecord {
    const record = this.records.get(operation);
    if (!record) throw new ContractError('INVALID_INPUT', `unknown breaker operation "${operation}"`);
    return record;
  }

  /** The cockatiel policy of one operation. */
  policy(operation: BreakerOperation): CircuitBreakerPolicy {
    return this.rec(operation).policy;
  }

  state(operation: BreakerOperation): BreakerStateName {
    return STATE_NAMES[this.rec(operation).policy.state];
  }

  /**
   * Runs fn through the operation's breaker. When the breaker refuses (open or isolated), fn is
   * not called and an UNAVAILABLE ContractError says why.
   */
  async run<T>(operation: BreakerOperation, fn: () => PromiseLike<T> | T): Promise<T> {
    try {
      return await this.rec(operation).policy.execute(fn);
    } catch (error) {
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
        throw this.refusal(operation, error);
      }
      throw error;
    }
  }

  /** The error for a call the breaker refused. */
  refusal(operation: BreakerOperation, cause?: unknown): ContractError {
    const isolated = this.emergency.active || this.rec(operation).policy.state === CircuitState.Isolated;
    return new ContractError(
      'UNAVAILABLE',
      isolated
        ? `the ${operation} breaker is held open by the emergency switch; release it with "synos-cc breakers release"`
        : `the ${operation} breaker is open after repeated failures (${this.rec(operation).lastError ?? 'unknown error'}); it retries by itself after a back-off`,
      { operation, state: this.state(operation) },
      { cause }
    );
  }

  /**
   * Records an outcome observed elsewhere (the connection manager's connect attempts) as a call
   * through the breaker, so its state follows reality.
   */
  record(operation: BreakerOperation, outcome: { ok: true } | { ok: false; error: Error }): void {
    this.rec(operation)
      .policy.execute(() => {
        if (!outcome.ok) throw outcome.error;
      })
      .catch(() => undefined);
  }

  /** Whether the breaker refuses calls and for how long it has (for the replay manager's probe). */
  isRefusing(operation: BreakerOperation): boolean {
    const state = this.rec(operation).policy.state;
    return state === CircuitState.Open || state === CircuitState.Isolated;
  }

  isEmergency(): boolean {
    return this.emergency.active;
  }

  list(): BreakerStatus[] {
    return BREAKER_OPERATIONS.map((operation) => {
      const r = this.rec(operation);
      return {
        operation,
        state: STATE_NAMES[r.policy.state],
        since: new Date(r.since).toISOString(),
        consecutiveFailures: r.consecutiveFailures,
        openedCount: r.openedCount,
        lastError: r.lastError
      };
    });
  }

  report(): BreakersReport {
    const now = Date.now();
    const others = new Map<string, BreakersReport['others'][number]>();
    for (const row of this.stmts.otherStates.all(this.owner, now - Math.max(10_000, this.pollMs * 5))) {
      let entry = others.get(row.owner);
      if (!entry) {
        const [host = '', pid = '0'] = row.owner.split(':');
        entry = {
          owner: row.owner,
          pid: Number(pid) || 0,
          host,
          updatedAt: new Date(row.updated_at).toISOString(),
          breakers: []
        };
        others.set(row.owner, entry);
      }
      entry.breakers.push({
        operation: row.operation,
        state: row.state,
        since: new Date(row.since).toISOString(),
        consecutiveFailures: row.failures,
        openedCount: row.opened_count,
        lastError: row.last_error
      });
    }
    return {
      emergency: {
        active: this.emergency.active,
        since: this.emergency.since === null ? null : new Date(this.emergency.since).toISOString(),
        reason: this.emergency.reason
      },
      breakers: this.list(),
      others: [...others.values()],
      time: new Date(now).toISOString()
    };
  }

  /** A value shared by every process on the data directory (rate limit, …), or null. */
  readShared(key: string): string | null {
    return this.stmts.readControl.get(key)?.value ?? null;
  }

  writeShared(key: string, value: string): void {
    this.stmts.writeControl.run(key, value, Date.now());
  }

  /** Called with a fresh report on every state change. */
  onChange(listener: (report: BreakersReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Throws the emergency switch for every process on the data directory: stored in SQLite, applied
   * here at once and by other cores at their next poll.
   */
  setEmergency(active: boolean, reason?: string): BreakersReport {
    const state: EmergencyState = active
      ? { active: true, since: Date.now(), reason: reason ?? 'emergency switch thrown by the operator' }
      : { active: false, since: null, reason: null };
    this.stmts.writeControl.run(EMERGENCY_KEY, JSON.stringify(state), Date.now());
    this.applyEmergency(state);
    return this.report();
  }

  private applyEmergency(state: EmergencyState, atStart = false): void {
    if (state.active === this.emergency.active) {
      this.emergency = state;
      return;
    }
    this.emergency = state;
    for (const r of this.records.values()) {
      if (state.active && !r.isolation) r.isolation = r.policy.isolate();
      if (!state.active && r.isolation) {
        r.isolation.dispose();
        r.isolation = null;
      }
    }
    const text = state.active ? 'emergency switch: every breaker forced open' : 'emergency switch released';
    if (atStart) this.logger.info(text, { reason: state.reason });
    else this.logger.warn(text, { reason: state.reason });
    this.changed();
  }

  private readEmergency(): EmergencyState {
    const row = this.stmts.readControl.get(EMERGENCY_KEY);
    if (!row) return { active: false, since: null, reason: null };
    try {
      const parsed = JSON.parse(row.value) as Partial<EmergencyState>;
      return { active: parsed.active === true, since: parsed.since ?? null, reason: parsed.reason ?? null };
    } catch {
      return { active: false, since: null, reason: null };
    }
  }

  private persist(): void {
    const now = Date.now();
    const write = this.db.transaction(() => {
      for (const s of this.list()) {
        this.stmts.writeState.run(
          this.owner,
          s.operation,
          s.state,
          Date.parse(s.since),
          s.consecutiveFailures,
          s.openedCount,
          s.lastError,
          now
        );
      }
    });
    try {
      write();
    } catch (error) {
      this.logger.warn('could not store breaker states', { error });
    }
  }

  private changed(): void {
    this.persist();
    if (this.listeners.size === 0) return;
    const report = this.report();
    for (const listener of this.listeners) {
      try {
        listener(report);
      } catch (error) {
        this.logger.error('breaker listener failed', { error });
      }
    }
  }

  /** Reads the shared switch now and then every poll interval; reports this core's states. */
  start(): void {
    this.applyEmergency(this.readEmergency(), true);
    this.persist();
    this.timer = setInterval(() => this.poll(), this.pollMs);
    this.timer.unref();
  }

  private poll(): void {
    try {
      this.applyEmergency(this.readEmergency());
      this.stmts.touchStates.run(Date.now(), this.owner);
    } catch (error) {
      this.logger.warn('could not read the emergency switch', { error });
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    try {
      this.stmts.dropStates.run(this.owner, Date.now() - 24 * 60 * 60 * 1000);
    } catch (error) {
      this.logger.warn('could not remove breaker states', { error });
    }
  }
}

/** A readable id for this process (host:pid:random), shared by the outbox drainer and the breakers. */
export function processOwnerId(random: string): string {
  return `${os.hostname()}:${process.pid}:${random}`;
}
