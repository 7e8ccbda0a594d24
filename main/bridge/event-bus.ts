/**
 * The EventBus: the one way the bridge tells anything else what happened — the pushed contract
 * events for the views and the metrics (wired in ./module.ts), the pipeline benchmark, a recorder.
 * Apart from `received` (a message arrived) and `state` (time to push the engine state), every
 * topic is told once the batch of inbound messages has committed: each input taken (`input`), each
 * engine event with its envelope and view record (`output`), each input acked with the ids of the
 * outbox rows it caused (`settled`, `handled`), each invalid message recorded and terminated
 * (`invalid`), each security event stored (`security`). Nothing is told before its commit, so a
 * listener never sees an effect a failed commit took back. Listeners run synchronously; one that
 * throws is logged and does not stop the rest.
 */
import type { EngineEventRecord } from '../contract/engine';
import type { Envelope, EngineOutputType, InvalidReason } from '../contract/messages';
import type { EngineEvent } from '../engine/engine';
import type { NewInvalidMessage, SecurityEventRecord } from './store';

/** A validated inbound message, as the engine takes it. */
export interface BusInput {
  envelope: Envelope;
  subject: string;
  stream: string;
  /** Wall clock (ms) when the bridge received it. */
  receivedAt: number;
}

/** An engine event with the envelope it is published in. */
export interface BusOutput {
  event: EngineEvent;
  envelope: Envelope;
  type: EngineOutputType;
  /** The subjects it is handed to the publisher on (consciousness.<type> and the orchestrator subject). */
  subjects: string[];
  /** As the Engine view lists it. */
  record: EngineEventRecord;
}

/** An invalid message whose record committed and which was terminated. */
export interface BusInvalid {
  record: NewInvalidMessage;
  reason: InvalidReason;
  stream: string;
}

/** An input whose effects committed and whose ack was sent, with the ids of the outbox rows it caused. */
export interface BusSettled {
  id: string;
  outputs: string[];
}

export interface BusTopics {
  /** A message arrived from an inbound durable (before validation). */
  received: { stream: string };
  input: BusInput;
  output: BusOutput;
  settled: BusSettled;
  /** An input acked after its commit, with its handling time from arrival. */
  handled: { seconds: number };
  invalid: BusInvalid;
  security: SecurityEventRecord;
  /** The engine state changed enough to push (throttled by bridge.statePushIntervalMs). */
  state: Record<string, never>;
}

type Listener<T> = (value: T) => void;

export class EventBus {
  private readonly listeners: { [K in keyof BusTopics]: Set<Listener<BusTopics[K]>> } = {
    received: new Set(),
    input: new Set(),
    output: new Set(),
    settled: new Set(),
    handled: new Set(),
    invalid: new Set(),
    security: new Set(),
    state: new Set()
  };

  constructor(private readonly onListenerError: (topic: keyof BusTopics, error: unknown) => void = () => undefined) {}

  on<K extends keyof BusTopics>(topic: K, listener: Listener<BusTopics[K]>): () => void {
    const set = this.listeners[topic] as Set<Listener<BusTopics[K]>>;
    set.add(listener);
    return () => set.delete(listener);
  }

  hasListeners(topic: keyof BusTopics): boolean {
    return this.listeners[topic].size > 0;
  }

  emit<K extends keyof BusTopics>(topic: K, value: BusTopics[K]): void {
    for (const listener of this.listeners[topic] as Set<Listener<BusTopics[K]>>) {
      try {
        listener(value);
      } catch (error) {
        this.onListenerError(topic, error);
      }
    }
  }
}
