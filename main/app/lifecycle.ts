/**
 * Starting and stopping the core's parts: in order, and in reverse. A part that fails to start
 * stops every part started before it (in reverse) and its error is thrown, so a half-started
 * core never keeps running timers, consumers or the outbox's drain loop behind the caller's back.
 */

export interface LifecyclePart {
  name: string;
  start?(): Promise<void> | void;
  stop?(): Promise<void> | void;
}

export interface LifecycleHooks {
  /**
   * Decides whether a failed start may be skipped (returns true) instead of failing the whole
   * start; the part then counts as started. The core skips a refused start-up write on a database
   * it opened read-only for a full disk.
   */
  tolerateStartFailure?(part: LifecyclePart, error: unknown): boolean;
  /** A part failed to start; the parts started before it are being stopped. */
  onStartFailure?(part: LifecyclePart, error: unknown): void;
  /** A part failed to stop; the others still stop. */
  onStopFailure?(part: LifecyclePart, error: unknown): void;
}

export class Lifecycle {
  private readonly started: LifecyclePart[] = [];
  private state: 'idle' | 'starting' | 'started' | 'stopping' | 'stopped' = 'idle';

  constructor(
    private readonly parts: readonly LifecyclePart[],
    private readonly hooks: LifecycleHooks = {}
  ) {}

  /** Names of the parts started so far, in start order. */
  startedParts(): string[] {
    return this.started.map((p) => p.name);
  }

  async start(): Promise<void> {
    if (this.state !== 'idle') return;
    this.state = 'starting';
    for (const part of this.parts) {
      try {
        await part.start?.();
      } catch (error) {
        if (this.hooks.tolerateStartFailure?.(part, error)) {
          this.started.push(part);
          continue;
        }
        this.hooks.onStartFailure?.(part, error);
        await this.stopStarted();
        this.state = 'stopped';
        // The part's own error (a ContractError keeps its code for the CLI and the UI).
        throw error;
      }
      this.started.push(part);
    }
    this.state = 'started';
  }

  /** Stops what started, in reverse order; a failing stop is reported and the others still stop. */
  async stop(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    await this.stopStarted();
    this.state = 'stopped';
  }

  private async stopStarted(): Promise<void> {
    for (const part of this.started.splice(0).reverse()) {
      try {
        await part.stop?.();
      } catch (error) {
        this.hooks.onStopFailure?.(part, error);
      }
    }
  }
}
