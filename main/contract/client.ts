/**
 * The typed client every UI and test uses, over any link (Electron preload, WebSocket, in-memory).
 * Calls resolve with the procedure's output or reject with a ContractError; event listeners get
 * each flushed batch of a channel at once. Imports nothing from Node or Electron.
 */
import { ContractError, type ErrorShape } from './errors';
import type { EventChannel, InputOf, Method, OutputOf, PayloadOf } from './index';
import type { EventBatch } from './wire';

export type LinkOutcome = { ok: true; value: unknown } | { ok: false; error: ErrorShape };

/** The raw, untyped pipe a transport offers. The preload exposes exactly this as `window.synos`. */
export interface ClientLink {
  request(method: string, input: unknown): Promise<LinkOutcome>;
  onEvents(listener: (batch: EventBatch) => void): () => void;
  /** Called after the link re-established itself (the client subscribes again). */
  onReopen?(listener: () => void): () => void;
  close?(): void;
}

/** What the Electron preload puts on `window.synos` (frozen). */
export type SynosBridge = Readonly<Pick<ClientLink, 'request' | 'onEvents'>>;

/** Procedures whose input has no required field may be called without one. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type OptionalIfEmpty<I> = {} extends I ? [input?: I] : [input: I];

export type BatchListener<C extends EventChannel> = (payloads: PayloadOf<C>[], dropped: number) => void;

export interface SynosClient {
  call<M extends Method>(method: M, ...args: OptionalIfEmpty<InputOf<M>>): Promise<OutputOf<M>>;
  subscribe<C extends EventChannel>(channel: C, listener: BatchListener<C>): () => void;
  close(): void;
}

export function createClient(link: ClientLink): SynosClient {
  const listeners = new Map<EventChannel, Set<BatchListener<EventChannel>>>();

  const offEvents = link.onEvents((batch) => {
    for (const entry of batch.entries) {
      const set = listeners.get(entry.channel as EventChannel);
      if (!set) continue;
      for (const listener of set) listener(entry.payloads as never, entry.dropped);
    }
  });

  const request = async (method: string, input: unknown): Promise<unknown> => {
    const outcome = await link.request(method, input);
    if (!outcome.ok) throw ContractError.fromShape(outcome.error);
    return outcome.value;
  };

  const resubscribe = (): void => {
    const channels = [...listeners.keys()];
    if (channels.length > 0) void request('events.subscribe', { channels }).catch(() => undefined);
  };
  const offReopen = link.onReopen?.(resubscribe);

  return {
    call(method, ...args) {
      return request(method, args[0] ?? {}) as never;
    },
    subscribe(channel, listener) {
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
        void request('events.subscribe', { channels: [channel] }).catch(() => undefined);
      }
      set.add(listener as BatchListener<EventChannel>);
      return () => {
        const current = listeners.get(channel);
        if (!current) return;
        current.delete(listener as BatchListener<EventChannel>);
        if (current.size === 0) {
          listeners.delete(channel);
          void request('events.unsubscribe', { channels: [channel] }).catch(() => undefined);
        }
      };
    },
    close() {
      offEvents();
      offReopen?.();
      link.close?.();
    }
  };
}
