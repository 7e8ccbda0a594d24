/**
 * Token guesses are throttled per client address: after `maxFailures` wrong or missing tokens in a
 * window the client gets 429 until the window ends, without its token being looked at. Refusals
 * are not logged one by one (a guessing client would flood the log); they are counted and summed
 * up in one line per interval.
 */
import type { Logger } from '../core/logger';

export interface AuthThrottleOptions {
  /** Failures a client may have in one window before it is refused outright. */
  maxFailures?: number;
  windowMs?: number;
  /** Clients remembered at most (the oldest is forgotten first). */
  maxClients?: number;
  now?: () => number;
}

interface Window {
  start: number;
  failures: number;
}

export class AuthThrottle {
  private readonly clients = new Map<string, Window>();
  readonly maxFailures: number;
  readonly windowMs: number;
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(options: AuthThrottleOptions = {}) {
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxClients = options.maxClients ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Milliseconds until this client may try a token again; 0 when it may now. */
  blockedFor(client: string): number {
    const entry = this.clients.get(client);
    if (!entry) return 0;
    const left = entry.start + this.windowMs - this.now();
    if (left <= 0) {
      this.clients.delete(client);
      return 0;
    }
    return entry.failures >= this.maxFailures ? left : 0;
  }

  fail(client: string): void {
    const now = this.now();
    const entry = this.clients.get(client);
    if (entry && entry.start + this.windowMs > now) {
      entry.failures += 1;
      return;
    }
    this.clients.delete(client);
    if (this.clients.size >= this.maxClients) this.prune(now);
    this.clients.set(client, { start: now, failures: 1 });
  }

  succeed(client: string): void {
    this.clients.delete(client);
  }

  get trackedClients(): number {
    return this.clients.size;
  }

  private prune(now: number): void {
    for (const [client, entry] of this.clients) {
      if (entry.start + this.windowMs <= now) this.clients.delete(client);
    }
    // Still full (many addresses at once): forget the oldest.
    while (this.clients.size >= this.maxClients) {
      const oldest = this.clients.keys().next().value;
      if (oldest === undefined) break;
      this.clients.delete(oldest);
    }
  }
}

/** Counts refusals by reason and client; writes one summary line per interval when there were any. */
export class RefusalSummary {
  private byReason = new Map<string, number>();
  private byClient = new Map<string, number>();
  private total = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 60_000
  ) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  add(reason: string, client: string): void {
    this.total += 1;
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + 1);
    // Bounded: past 1,000 distinct clients the rest are counted under one key.
    const key = this.byClient.has(client) || this.byClient.size < 1_000 ? client : 'other';
    this.byClient.set(key, (this.byClient.get(key) ?? 0) + 1);
  }

  flush(): void {
    if (this.total === 0) return;
    const top = [...this.byClient.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([client, count]) => ({ client, count }));
    this.logger.warn(`refused ${this.total} web request(s) in the last ${Math.round(this.intervalMs / 1000)} s`, {
      refused: this.total,
      reasons: Object.fromEntries(this.byReason),
      clients: this.byClient.size,
      top
    });
    this.byReason = new Map();
    this.byClient = new Map();
    this.total = 0;
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
