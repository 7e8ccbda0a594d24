/**
 * Settling the inbound messages of a batch once it committed (ack, or term for an invalid one)
 * and telling the bus (under a lease, acks of inputs that changed the shared engine state wait for
 * it: ./held-acks.ts), and the nak with back-off for messages that cannot be taken now. The delay
 * is the project's one back-off (main/core/backoff.ts, no jitter): nakBaseDelayMs doubled per
 * delivery so far, capped at nakMaxDelayMs.
 */
import type { JsMsg } from '@nats-io/jetstream';
import type { EngineEventRecord } from '../contract/engine';
import type { Logger } from '../core/logger';
import { backoffDelayMs } from '../core/backoff';
import type { RingBuffer } from '../core/ring-buffer';
import type { EventBus } from './event-bus';
import type { InboundBatch, Settlement } from './inbound-batch';
import { HeldAcks } from './held-acks';
import type { BridgeOptions } from './options';
import type { BridgeCounters, BridgeStats } from './stats';

export interface SettlerOptions {
  bus: EventBus;
  stats: BridgeStats;
  logger: Logger;
  /** The Engine view's recent events, bounded (shared with the bridge's observer feed). */
  recent: RingBuffer<EngineEventRecord>;
  options: Pick<BridgeOptions, 'nakBaseDelayMs' | 'nakMaxDelayMs' | 'heldAckProgressMs'>;
}

export class Settler {
  private readonly counters: BridgeCounters;
  /** Acks that wait for the shared engine state while this core leads under a lease (./held-acks.ts). */
  readonly held: HeldAcks;

  constructor(private readonly options: SettlerOptions) {
    this.counters = options.stats.counters;
    this.held = new HeldAcks({
      ack: (s) => this.ack(s),
      giveBack: (s) => this.nak(s.msg, 0),
      progressEveryMs: options.options.heldAckProgressMs
    });
  }

  /**
   * Acks / terminates the batch's messages and tells the bus (the views and metrics listen there).
   * While a holder is installed, an input that changed the shared engine state is held instead
   * (acked once that state has landed, ./held-acks.ts).
   */
  settle(batch: InboundBatch): void {
    const { bus, stats, logger, recent } = this.options;
    let invalidAt = 0;
    let held = false;
    for (const s of batch.settle) {
      if (s.invalidReason) {
        try {
          if (s.action === 'ack') s.msg.ack();
          else s.msg.term();
        } catch (error) {
          logger.warn(`${s.action} failed`, { error });
        }
        const { reason, stream } = s.invalidReason;
        stats.countInvalid(reason);
        const record = batch.invalid[invalidAt++];
        if (record) bus.emit('invalid', { record, reason, stream });
      } else if (s.action === 'ack') {
        // Counted at its commit, held or not: `accepted` is what the database took, whenever the
        // ack goes out.
        this.counters.accepted++;
        if (s.shares && this.held.holding) {
          this.held.hold(s);
          held = true;
        } else this.ack(s);
      } else {
        try {
          s.msg.term();
        } catch (error) {
          logger.warn('term failed', { error });
        }
      }
    }
    for (const input of batch.inputs) bus.emit('input', input);
    for (const output of batch.outputs) {
      recent.push(output.bus.record);
      bus.emit('output', output.bus);
    }
    for (const r of batch.security) bus.emit('security', r);
    if (held) this.held.heldSome();
  }

  /** Acks a committed input and tells the bus it was settled. */
  private ack(s: Settlement): void {
    const bus = this.options.bus;
    try {
      s.msg.ack();
    } catch (error) {
      this.options.logger.warn('ack failed', { error });
    }
    if (bus.hasListeners('handled')) bus.emit('handled', { seconds: (performance.now() - s.started) / 1000 });
    if (s.stepped) bus.emit('settled', s.stepped);
  }

  /**
   * Naks with the back-off for the message's deliveries so far, and at least `atLeastMs` (which
   * may exceed the cap, up to `cap`).
   */
  nak(msg: JsMsg, atLeastMs: number, cap = this.options.options.nakMaxDelayMs): void {
    this.counters.naks++;
    const deliveries = Math.max(1, msg.info?.deliveryCount ?? 1);
    const backoff = this.delayMs(deliveries);
    try {
      msg.nak(Math.min(Math.max(cap, atLeastMs), Math.max(backoff, Math.ceil(atLeastMs))));
    } catch (error) {
      this.options.logger.warn('nak failed', { error });
    }
  }

  nakBatch(batch: InboundBatch, atLeastMs: number): void {
    for (const s of batch.settle) this.nak(s.msg, atLeastMs);
  }

  /** nakBaseDelayMs · 2^(attempts − 1), capped at nakMaxDelayMs. */
  delayMs(attempts: number): number {
    const { nakBaseDelayMs, nakMaxDelayMs } = this.options.options;
    return backoffDelayMs(attempts, { initialMs: nakBaseDelayMs, maxMs: nakMaxDelayMs });
  }
}
