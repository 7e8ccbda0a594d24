/**
 * The EventBus: what the bridge tells in-process listeners (a recorder, the pipeline benchmark)
 * once a batch of inbound messages has committed: each input taken (`input`), each engine event
 * with its envelope (`output`), and each input settled — acked, with the ids of the outbox rows it
 * caused (`settled`). Nothing is told before its commit, so a listener never sees an effect a
 * failed commit took back. Listeners run synchronously; one that throws is logged and does not
 * stop the rest.
 */
import type { Envelope, EngineOutputType } from '../contract/messages';
import type { EngineEvent } from '../engine/engine';

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
}

/** An input whose effects committed and whose ack was sent, with the ids of the outbox rows it caused. */
export interface BusSettled {
  id: string;
  outputs: string[];
}

export interface BusTopics {
  input: BusInput;
  output: BusOutput;
  settled: BusSettled;
}

type Listener<T> = (value: T) => void;

export class EventBus {
  private readonly listeners: { [K in keyof BusTopics]: Set<Listener<BusTopics[K]>> } = {
    input: new Set(),
    output: new Set(),
    settled: new Set()
  };

  constructor(private readonly onListenerError: (topic: keyof BusTopics, error: unknown) => void = () => undefined) {}

  on<K extends keyof BusTopics>(topic: K, listener: Listener<BusTopics[K]>): () => void {
    const set = this.listeners[topic] as Set<Listener<BusTopics[K]>>;
    set.add(listener);
    return () => set.delete(listener);
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
