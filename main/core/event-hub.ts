/**
 * In-process fan-out of pushed events. Producers emit synchronously; each transport session
 * subscribes and does its own coalescing (see transport/event-queue.ts), so a slow client never
 * slows a producer.
 *
 * An event may be addressed to one client session (a live tail's messages go only to the window or
 * tab that started it): listeners of other sessions do not see it; in-process listeners without a
 * session (the CLI, tests) see everything.
 */
import type { EventChannel, PayloadOf } from '../contract';

export type EventListener<C extends EventChannel> = (payload: PayloadOf<C>) => void;

interface Listener {
  fn: (payload: unknown) => void;
  sessionId: string | undefined;
}

export class EventHub {
  private readonly listeners = new Map<EventChannel, Set<Listener>>();
  private readonly onListenerError: (channel: EventChannel, error: unknown) => void;

  constructor(onListenerError: (channel: EventChannel, error: unknown) => void = () => undefined) {
    this.onListenerError = onListenerError;
  }

  /** Delivers to every listener, or — with `sessionId` — to that session's and session-less ones. */
  emit<C extends EventChannel>(channel: C, payload: PayloadOf<C>, sessionId?: string): void {
    const set = this.listeners.get(channel);
    if (!set) return;
    for (const listener of set) {
      if (sessionId !== undefined && listener.sessionId !== undefined && listener.sessionId !== sessionId) continue;
      try {
        listener.fn(payload);
      } catch (error) {
        this.onListenerError(channel, error);
      }
    }
  }

  on<C extends EventChannel>(channel: C, listener: EventListener<C>, options: { sessionId?: string } = {}): () => void {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    const wrapped: Listener = { fn: listener as (payload: unknown) => void, sessionId: options.sessionId };
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
