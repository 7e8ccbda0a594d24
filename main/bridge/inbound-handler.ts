/**
 * One inbound JetStream message, from pull to the open batch: a message pulled after the lease ran
 * out is given back; one the per-family durable settled before the handover is acked; while a
 * commit is blocked it is held for a nak; otherwise it is validated — an invalid one is recorded
 * and terminated after the commit, a valid one whose id is in the inbox is acked without stepping
 * the engine again, and a new one steps the engine, its outputs and provenance joining the batch.
 */
import type { JsMsg } from '@nats-io/jetstream';
import type { OutboundMessage } from '../core/outbound';
import type { ConsciousnessEngine, EngineEvent } from '../engine/engine';
import { hasDecision, provenanceOf } from '../engine/provenance';
import type { CommitBlock } from './commit-block';
import type { EventBus } from './event-bus';
import type { GroupCommit } from './group-commit';
import { inboxScope, settledBeforeHandover, validateInbound, type InboundConsumerSpec } from './inbound';
import type { ConsumerState } from './inbound-loop';
import { InboxStore, inputDigest } from './inbox';
import type { BridgeOptions } from './options';
import type { OutputCause } from './outputs';
import type { BridgeCounters } from './stats';

export interface InboundHandlerDeps {
  options: BridgeOptions;
  counters: BridgeCounters;
  bus: EventBus;
  group: GroupCommit;
  block: CommitBlock;
  /** Whether this core leads now (checked for every message). */
  leading: () => boolean;
  /** The current engine (replaced when rebuilt). */
  engine: () => ConsciousnessEngine;
  /** Puts the outputs of engine events into the open batch (none while not leading). */
  collectOutputs: (events: EngineEvent[], cause: OutputCause | null) => void;
}

export class InboundHandler {
  private readonly options: BridgeOptions;
  private readonly counters: BridgeCounters;
  private readonly bus: EventBus;
  private readonly group: GroupCommit;
  private readonly block: CommitBlock;

  constructor(private readonly deps: InboundHandlerDeps) {
    this.options = deps.options;
    this.counters = deps.counters;
    this.bus = deps.bus;
    this.group = deps.group;
    this.block = deps.block;
  }

  /**
   * Handles one JetStream message: validate, step the engine into the open batch (or record it as
   * invalid), and settle it once the batch committed. Never throws.
   */
  handle(msg: JsMsg, consumer: ConsumerState | InboundConsumerSpec): void {
    const { counters, group, block, options, bus } = this;
    const spec = 'spec' in consumer ? consumer.spec : consumer;
    if (!this.deps.leading()) {
      // Pulled before the lease ran out: give it back at once for the new leader.
      try {
        msg.nak();
      } catch {
        // the consumer is closing; the server redelivers after ack_wait
      }
      return;
    }
    if ('spec' in consumer) consumer.received++;
    counters.received++;
    // Parsing msg.info (its reply subject) costs about 2 µs: only where it is used.
    if (spec.handover && settledBeforeHandover(spec, msg.subject, msg.info?.streamSequence)) {
      // Settled by the per-family durable this one replaced: nothing to decide again.
      counters.duplicates++;
      group.batch.settle.push({ msg, action: 'ack', started: performance.now(), invalidReason: null });
      group.schedule();
      return;
    }
    const started = performance.now();
    if (bus.hasListeners('received')) bus.emit('received', { stream: spec.stream });
    const now = options.clock();
    if (now < block.blockedUntil) {
      // The database could not write a moment ago: nothing is acked or terminated until it can.
      block.hold(msg, now);
      return;
    }
    const subject = msg.subject;
    const validation = validateInbound(spec.family, subject, msg.data, {
      inboundMapping: options.inboundMapping,
      maxMessageBytes: options.maxMessageBytes
    });
    const batch = group.batch;
    if (!validation.ok) {
      const stream = msg.info?.stream ?? spec.stream;
      const key = InboxStore.key(inputDigest(`invalid\u0000${stream}\u0000${msg.info?.streamSequence ?? msg.seq}`));
      const name = key.toString('hex');
      if (group.seen(key, name)) {
        batch.settle.push({ msg, action: 'term', started, invalidReason: null });
      } else {
        group.rejectInvalid(msg, spec, key, name, started, validation.reason, validation.message, validation.issues);
      }
      group.schedule();
      return;
    }
    const envelope = validation.envelope;
    const digest = inputDigest(`${inboxScope(spec, subject)}\u0000${envelope.source}\u0000${envelope.id}`);
    const key = InboxStore.key(digest);
    const name = key.toString('hex');
    if (group.seen(key, name)) {
      // Already committed (or in this batch): its effects exist, only the ack is missing.
      // Under a lease its effect may not have reached the shared engine state yet (its ack was
      // held, and this is the redelivery after ack_wait): the ack waits for the next write too.
      counters.duplicates++;
      batch.settle.push({ msg, action: 'ack', started, invalidReason: null, shares: true });
      group.schedule();
      return;
    }
    try {
      batch.inputs.push({ envelope, subject, stream: spec.stream, receivedAt: now });
      const engine = this.deps.engine();
      const version = engine.decisionStateVersion();
      const events = engine.step({ type: envelope.type, data: envelope.data, id: envelope.id, validated: true }, now);
      if (spec.family === 'security') group.keepSecurityEvent(envelope, now);
      const first = batch.outbound.length;
      const firstOutput = batch.outputs.length;
      if (events.length > 0) {
        const streamTime = msg.info ? Math.floor(msg.info.timestampNanos / 1e6) : now;
        this.deps.collectOutputs(events, { digest, time: streamTime });
      }
      if (hasDecision(events))
        batch.provenance.push(
          ...provenanceOf({
            envelope,
            msg,
            stream: spec.stream,
            durable: spec.durable,
            outputs: batch.outputs.slice(firstOutput).map((o) => o.bus),
            outbound: batch.outbound.slice(first),
            engine,
            now
          })
        );
      batch.keys.set(name, key);
      const outputs: string[] = [];
      for (let k = first; k < batch.outbound.length; k++) outputs.push((batch.outbound[k] as OutboundMessage).id);
      batch.settle.push({
        msg,
        action: 'ack',
        started,
        invalidReason: null,
        stepped: { id: envelope.id, outputs },
        shares: engine.decisionStateVersion() !== version
      });
      group.schedule();
    } catch (error) {
      // The engine threw part-way: its state is no longer one the database knows. Give up the
      // whole batch (nak with back-off, engine rebuilt from what is persisted).
      batch.settle.push({ msg, action: 'ack', started, invalidReason: null });
      group.fail(error, 'handling an inbound message failed');
    }
  }
}
