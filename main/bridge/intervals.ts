/** The bridge's periodic work (tick, heartbeat, metrics summary): unref'ed intervals whose failures are logged, never thrown. */
import type { Logger } from '../core/logger';

export class Intervals {
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly logger: Logger) {}

  every(ms: number, fn: () => void | Promise<void>): void {
    const timer = setInterval(() => {
      try {
        const result = fn();
        if (result instanceof Promise) result.catch((error) => this.logger.error('bridge timer failed', { error }));
      } catch (error) {
        this.logger.error('bridge timer failed', { error });
      }
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  clear(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }
}
