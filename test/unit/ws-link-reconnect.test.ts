import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWebSocketLink, type WebSocketLike } from '../../main/contract/ws-link';

type Listener = (event: unknown) => void;

/** A socket the test opens and drops by hand (the link only needs WebSocketLike). */
class ScriptedSocket implements WebSocketLike {
  readyState = 0;
  private readonly listeners = new Map<string, Listener[]>();
  send(): void {}
  close(): void {
    this.fire('close');
  }
  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  fire(type: 'open' | 'close'): void {
    this.readyState = type === 'open' ? 1 : 3;
    for (const l of this.listeners.get(type) ?? []) l({});
  }
}

describe('WebSocket link reconnects', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits 400 ms doubling up to 5 s between tries, and starts over once a socket opened', () => {
    const sockets: ScriptedSocket[] = [];
    const createdAt: number[] = [];
    createWebSocketLink({
      createSocket: () => {
        const s = new ScriptedSocket();
        sockets.push(s);
        createdAt.push(Date.now());
        return s;
      }
    });
    const waits = (): number[] => createdAt.slice(1).map((t, i) => t - createdAt[i]!);
    for (let i = 0; i < 7; i++) {
      sockets.at(-1)!.fire('close');
      vi.advanceTimersToNextTimer();
    }
    expect(waits()).toEqual([400, 800, 1600, 3200, 5000, 5000, 5000]);
    sockets.at(-1)!.fire('open');
    sockets.at(-1)!.fire('close');
    vi.advanceTimersToNextTimer();
    expect(waits().at(-1)).toBe(400);
  });
});
