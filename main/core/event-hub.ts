/**
 * In-process fan-out of pushed events. Producers emit synchronously; each transport session
 * subscribes and does its own coalescing (see transport/event-queue.ts), so a slow client never
 * slows a producer.
 */
import type { EventChannel, PayloadOf } from '../contract';

export type EventListener<C extends EventChannel> = (payload: PayloadOf<C>) => void;

export class EventHub {
  private readonly listeners = new Map<EventChannel, Set<(payload: unknown) => void>>();
  private readonly onListenerError: (channel: EventChannel, error: unknown) => void;

  constructor(onListenerError: (channel: EventChannel, error: unknown) => void = () => undefined) {
    this.onListenerError = onListenerError;
  }

  emit<C extends EventChannel>(channel: C, payload: PayloadOf<C>): void {
    const set = this.listeners.get(channel);
    if (!set) return;
    for (const listener of set) {
      try {
        listener(payload);
      } catch (error) {
        this.onListenerError(channel, error);
      }
    }
  }

  on<C extends EventChannel>(channel: C, listener: EventListener<C>): () => void {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    const wrapped = listener as (payload: unknown) => void;
    set.add(wrapped);
    return () => {
      set.delete(wrapped);
    };
  }

  /** Whether anyone listens (producers may skip building expensive payloads). */
  hasListeners(channel: EventChannel): boolean {
    return (this.listeners.get(channel)?.size ?? 0) > 0;
  }
}
