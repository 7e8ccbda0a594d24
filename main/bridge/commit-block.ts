/**
 * What the bridge does when a batch cannot be committed: every inbound message is nak'ed with
 * back-off until `blockedUntil`, and consumption pauses (./database-pause.ts) — the durables are
 * unbound and the failed batch, with whatever arrives while they close, is nak'ed once they are
 * closed — until a write probe succeeds.
 */
import type { JsMsg } from '@nats-io/jetstream';
import type { Logger } from '../core/logger';
import { DatabasePause } from './database-pause';
import type { InboundBatch } from './inbound-batch';
import { PULL_EXPIRES_MS, type InboundLoop } from './inbound-loop';
import type { BridgeOptions } from './options';
import type { Settler } from './settle';

export interface CommitBlockOptions {
  loop: InboundLoop;
  settler: Settler;
  logger: Logger;
  options: Pick<BridgeOptions, 'clock' | 'nakBaseDelayMs' | 'nakMaxDelayMs'>;
  /** One committed write into the database; never throws. */
  probe: () => { writable: boolean; reason: string | null };
  /** The database writes again: bind the durables again (when still wanted). */
  onResume: () => void;
}

export class CommitBlock {
  /**
   * Consecutive failed commits; while `blockedUntil` is ahead every inbound message is nak'ed (it
   * stays infinite while consumption is paused for the database, see {@link pause}).
   */
  private failures = 0;
  blockedUntil = 0;
  private blockedSince: number | null = null;
  /** Consumption paused after a failed commit until a write probe succeeds. */
  readonly pause: DatabasePause;
  /** Messages to nak once the consumers closed for the pause (see pauseConsumption). */
  private heldWhilePausing: JsMsg[] | null = null;

  constructor(private readonly options: CommitBlockOptions) {
    this.pause = new DatabasePause({
      probe: options.probe,
      onWritable: (pausedMs) => this.resumeAfterPause(pausedMs),
      baseMs: options.options.nakBaseDelayMs,
      maxMs: Math.min(options.options.nakMaxDelayMs, 5000),
      logger: options.logger,
      clock: options.options.clock
    });
  }

  /** A message that arrived while blocked: held for the pause's nak, or nak'ed now. */
  hold(msg: JsMsg, now: number): void {
    if (this.heldWhilePausing) this.heldWhilePausing.push(msg);
    else this.options.settler.nak(msg, this.pause.active ? PULL_EXPIRES_MS + 1000 : this.blockedUntil - now);
  }

  /** A commit succeeded. */
  committed(now: number): void {
    this.failures = 0;
    if (this.blockedSince !== null) {
      this.options.logger.info('the database writes again; inbound messages are taken again', {
        blockedMs: now - this.blockedSince
      });
      this.blockedSince = null;
    }
  }

  /** A commit failed: block with back-off and say why (the caller rebuilds the engine, then pauses). */
  failed(batch: InboundBatch, error: unknown): void {
    this.failures++;
    const now = this.options.options.clock();
    const delay = this.options.settler.delayMs(this.failures);
    this.blockedUntil = now + delay;
    const code = (error as { code?: unknown }).code;
    const full = code === 'SQLITE_FULL';
    if (this.blockedSince === null) this.blockedSince = now;
    this.options.logger.error(
      full
        ? "the database is full (no space left on the disk of the data directory): the batch is nak'ed and consumption pauses until a write succeeds; free disk space"
        : "could not commit inbound messages; the batch is nak'ed and consumption pauses until a write succeeds",
      { error, messages: batch.settle.length, retryInMs: delay, failures: this.failures }
    );
  }

  /**
   * The database could not commit: stop pulling (no nak loop that would use up max_deliver) until
   * it writes again. The failed batch, and whatever arrives while the consumers close, is nak'ed
   * only once they are closed: a nak'ed message redelivered to a pull that is closing would sit
   * unacknowledged until ack_wait instead of waiting for the next pull.
   */
  pauseConsumption(msgs: JsMsg[], error: unknown): void {
    const { loop, settler } = this.options;
    this.blockedUntil = Number.POSITIVE_INFINITY;
    if (this.pause.active) {
      for (const m of msgs) settler.nak(m, PULL_EXPIRES_MS + 1000);
      return;
    }
    const reason = `paused: the database cannot be written (${(error as Error)?.message ?? String(error)}); consumption resumes once a write succeeds`;
    this.pause.start(reason);
    loop.generation++;
    loop.setLastError(reason);
    const held = msgs;
    this.heldWhilePausing = held;
    void loop.unbind().finally(() => {
      if (this.heldWhilePausing === held) this.heldWhilePausing = null;
      for (const m of held) settler.nak(m, PULL_EXPIRES_MS + 1000);
    });
  }

  private resumeAfterPause(pausedMs: number): void {
    this.blockedUntil = 0;
    this.failures = 0;
    this.options.logger.info('the database writes again; inbound consumption resumes', { pausedMs });
    this.options.loop.setLastError(null);
    this.options.onResume();
  }

  /** Whether inbound consumption is paused because the database cannot be written, why, and how many probes failed. */
  status(): { paused: boolean; reason: string | null; failedProbes: number } {
    return { paused: this.pause.active, reason: this.pause.reason, failedProbes: this.pause.failedProbes };
  }
}
