import { useCallback, useEffect, useRef, useState } from 'react';
import type { TailInfo, TailMessage } from '../../../main/contract';
import { ContractError } from '../../../main/contract/errors';
import { useClient } from '../client/context';

/** Messages the view keeps for scrolling back; older ones leave the list (counted as trimmed). */

/** How long after a pause/resume reply a contradicting batch state counts as stale (several flushes). */
const STALE_BATCH_MS = 300;
export const VIEW_RING = 10_000;

export interface LiveTail {
  info: TailInfo | null;
  messages: readonly TailMessage[];
  /** Messages per second over the last second, as received by the core. */
  rate: number;
  /** Dropped by the core's ring (burst or pause) plus by the event channel on the way here. */
  dropped: number;
  /** Left out of the view's own ring (older than the newest VIEW_RING). */
  trimmed: number;
  received: number;
  paused: boolean;
  error: ContractError | null;
  start(subject: string, capacity: number): Promise<void>;
  stop(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  clear(): void;
}

function toError(e: unknown): ContractError {
  return e instanceof ContractError ? e : new ContractError('INTERNAL', String(e));
}

/**
 * A live tail of a subject. Pushed batches are buffered and applied once per animation frame, so
 * a burst of 20,000 msgs/s costs one React update per frame, not one per batch or message.
 */
export function useLiveTail(): LiveTail {
  const client = useClient();
  const [info, setInfo] = useState<TailInfo | null>(null);
  const [messages, setMessages] = useState<readonly TailMessage[]>([]);
  const [counters, setCounters] = useState({ received: 0, dropped: 0, trimmed: 0, rate: 0, paused: false });
  const [error, setError] = useState<ContractError | null>(null);
  const tailId = useRef<string | null>(null);
  const pending = useRef<TailMessage[]>([]);
  const latest = useRef({ received: 0, coreDropped: 0, channelDropped: 0, paused: false });
  /** The last pause/resume reply: when, and what it said. */
  const control = useRef({ at: -Infinity, paused: false });
  const trimmed = useRef(0);
  const frame = useRef<number | null>(null);
  const rateWindow = useRef<{ t: number; received: number }[]>([]);

  const flush = useCallback(() => {
    frame.current = null;
    const batch = pending.current;
    pending.current = [];
    if (batch.length > 0) {
      setMessages((list) => {
        const next =
          list.length + batch.length > VIEW_RING ? [...list, ...batch].slice(-VIEW_RING) : [...list, ...batch];
        trimmed.current += list.length + batch.length - next.length;
        return next;
      });
    }
    const now = performance.now();
    const l = latest.current;
    const win = rateWindow.current;
    win.push({ t: now, received: l.received });
    while (win.length > 2 && now - win[0]!.t > 1000) win.shift();
    const first = win[0]!;
    const rate = now - first.t > 0 ? ((l.received - first.received) * 1000) / (now - first.t) : 0;
    setCounters({
      received: l.received,
      dropped: l.coreDropped + l.channelDropped,
      trimmed: trimmed.current,
      rate,
      paused: l.paused
    });
  }, []);

  useEffect(
    () =>
      client.subscribe('tail.messages', (payloads, dropped) => {
        latest.current.channelDropped += dropped;
        for (const b of payloads) {
          if (b.tailId !== tailId.current) continue;
          for (const m of b.messages) pending.current.push(m);
          latest.current.received = b.received;
          latest.current.coreDropped = b.dropped;
          // A batch the core queued before the operator's pause/resume may arrive after its reply
          // (batches are flushed every 50 ms): the reply wins for a moment.
          const stale =
            performance.now() - control.current.at < STALE_BATCH_MS &&
            (b.state === 'paused') !== control.current.paused;
          if (!stale) latest.current.paused = b.state === 'paused';
        }
        if (frame.current === null) frame.current = requestAnimationFrame(flush);
      }),
    [client, flush]
  );

  // The rate decays to 0 when messages stop: sample it once a second even without batches.
  useEffect(() => {
    const timer = setInterval(() => {
      if (tailId.current && frame.current === null) frame.current = requestAnimationFrame(flush);
    }, 1000);
    return () => clearInterval(timer);
  }, [flush]);

  const stop = useCallback(async () => {
    const id = tailId.current;
    tailId.current = null;
    setInfo(null);
    // Nothing arrives any more: the shown rate drops to zero instead of freezing at its last value.
    setCounters((c) => ({ ...c, rate: 0, paused: false }));
    if (id) await client.call('tail.stop', { id }).catch(() => undefined);
  }, [client]);

  useEffect(
    () => () => {
      if (frame.current !== null) cancelAnimationFrame(frame.current);
      const id = tailId.current;
      tailId.current = null;
      if (id) void client.call('tail.stop', { id }).catch(() => undefined);
    },
    [client]
  );

  const start = useCallback(
    async (subject: string, capacity: number) => {
      setError(null);
      await stop();
      pending.current = [];
      trimmed.current = 0;
      latest.current = { received: 0, coreDropped: 0, channelDropped: 0, paused: false };
      rateWindow.current = [];
      setMessages([]);
      setCounters({ received: 0, dropped: 0, trimmed: 0, rate: 0, paused: false });
      try {
        const started = await client.call('tail.start', { subject, capacity, previewBytes: 2048 });
        tailId.current = started.id;
        setInfo(started);
      } catch (e) {
        setError(toError(e));
      }
    },
    [client, stop]
  );

  const setPaused = useCallback(
    async (paused: boolean) => {
      const id = tailId.current;
      if (!id) return;
      try {
        const next = await client.call(paused ? 'tail.pause' : 'tail.resume', { id });
        latest.current.paused = next.state === 'paused';
        control.current = { at: performance.now(), paused: next.state === 'paused' };
        setInfo(next);
        setCounters((c) => ({ ...c, paused: next.state === 'paused' }));
      } catch (e) {
        setError(toError(e));
      }
    },
    [client]
  );

  const clear = useCallback(() => {
    pending.current = [];
    trimmed.current = 0;
    setMessages([]);
  }, []);

  return {
    info,
    messages,
    ...counters,
    error,
    start,
    stop,
    pause: useCallback(() => setPaused(true), [setPaused]),
    resume: useCallback(() => setPaused(false), [setPaused]),
    clear
  };
}
