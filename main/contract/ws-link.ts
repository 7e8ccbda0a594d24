/**
 * A ClientLink over a WebSocket, for the browser (web mode) and for tests (with the `ws` package).
 * Reconnects with back-off when the socket drops; calls made meanwhile wait for it (up to a limit)
 * and calls in flight when it drops fail with TRANSPORT_CLOSED.
 */
import { ExponentialBackoff, noJitterGenerator, type IBackoff } from 'cockatiel';
import type { ClientLink, LinkOutcome } from './client';
import type { EventBatch, ServerMessage } from './wire';

/** The part of the WebSocket API this link uses (browser WebSocket and `ws` both have it). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error' | 'message', listener: (event: any) => void): void;
}

export interface WebSocketLinkOptions {
  createSocket: () => WebSocketLike;
  /** How long a call waits for the socket to (re)open. */
  openTimeoutMs?: number;
  reconnect?: boolean;
  onStateChange?: (state: 'open' | 'closed') => void;
}

const OPEN = 1;

/**
 * The reconnect waits: 400 ms doubling up to 5 s. cockatiel's exponential back-off, as in
 * main/core/backoff.ts, which the contract cannot import (it crosses into the browser and imports
 * nothing else from main/); no jitter, since one page reconnects to its own server.
 */
const RECONNECT_BACKOFF = new ExponentialBackoff({ initialDelay: 400, maxDelay: 5000, generator: noJitterGenerator });

export function createWebSocketLink(options: WebSocketLinkOptions): ClientLink {
  const openTimeoutMs = options.openTimeoutMs ?? 10_000;
  const eventListeners = new Set<(batch: EventBatch) => void>();
  const reopenListeners = new Set<() => void>();
  const pending = new Map<number, (outcome: LinkOutcome) => void>();
  let openWaiters: Array<() => void> = [];
  let nextId = 1;
  let socket: WebSocketLike;
  let closedByUser = false;
  /** The back-off since the socket last opened; null while it is open. */
  let backoff: IBackoff<unknown> | null = null;
  let everOpened = false;

  const connect = (): void => {
    socket = options.createSocket();
    socket.addEventListener('open', () => {
      backoff = null;
      options.onStateChange?.('open');
      const waiters = openWaiters;
      openWaiters = [];
      for (const w of waiters) w();
      if (everOpened) for (const l of reopenListeners) l();
      everOpened = true;
    });
    socket.addEventListener('message', (event: { data: unknown }) => {
      let message: ServerMessage;
      try {
        message = JSON.parse(String(event.data)) as ServerMessage;
      } catch {
        return;
      }
      if (message.kind === 'result') {
        const resolve = pending.get(message.id);
        if (!resolve) return;
        pending.delete(message.id);
        resolve(message.ok ? { ok: true, value: message.value } : { ok: false, error: message.error });
      } else if (message.kind === 'events') {
        for (const l of eventListeners) l(message);
      }
    });
    socket.addEventListener('close', () => {
      options.onStateChange?.('closed');
      for (const [id, resolve] of pending) {
        pending.delete(id);
        resolve({ ok: false, error: { code: 'TRANSPORT_CLOSED', message: 'the connection to the app closed' } });
      }
      if (!closedByUser && options.reconnect !== false) {
        backoff = backoff ? backoff.next(undefined) : RECONNECT_BACKOFF.next();
        setTimeout(connect, backoff.duration);
      }
    });
    socket.addEventListener('error', () => undefined);
  };
  connect();

  const waitOpen = (): Promise<boolean> =>
    new Promise((resolve) => {
      if (socket.readyState === OPEN) return resolve(true);
      const timer = setTimeout(() => {
        openWaiters = openWaiters.filter((w) => w !== done);
        resolve(false);
      }, openTimeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      openWaiters.push(done);
    });

  return {
    async request(method, input) {
      if (closedByUser) return { ok: false, error: { code: 'TRANSPORT_CLOSED', message: 'the client was closed' } };
      if (!(await waitOpen())) {
        return {
          ok: false,
          error: { code: 'TRANSPORT_CLOSED', message: 'cannot reach the app server (WebSocket not open)' }
        };
      }
      const id = nextId++;
      return new Promise<LinkOutcome>((resolve) => {
        pending.set(id, resolve);
        socket.send(JSON.stringify({ kind: 'call', id, method, input }));
      });
    },
    onEvents(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onReopen(listener) {
      reopenListeners.add(listener);
      return () => reopenListeners.delete(listener);
    },
    close() {
      closedByUser = true;
      socket.close(1000, 'client closed');
    }
  };
}
