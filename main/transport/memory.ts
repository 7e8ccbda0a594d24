/**
 * An in-memory ClientLink straight onto a core, through the same ClientSession the other
 * transports use. Used by the contract tests and by in-process callers.
 */
import type { ClientLink } from '../contract/client';
import type { EventBatch } from '../contract';
import type { CoreApi } from '../api/core-api';
import { ClientSession } from './session';

export function createMemoryLink(api: CoreApi, flushIntervalMs?: number): ClientLink {
  const listeners = new Set<(batch: EventBatch) => void>();
  // Structured clone mimics what crossing a real transport does to values.
  const session = new ClientSession(
    api,
    'memory',
    (batch) => {
      const copy = structuredClone(batch);
      for (const l of listeners) l(copy);
    },
    flushIntervalMs
  );
  let nextId = 1;
  return {
    async request(method, input) {
      const result = await session.handle(nextId++, method, structuredClone(input));
      return result.ok ? { ok: true, value: structuredClone(result.value) } : { ok: false, error: result.error };
    },
    onEvents(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      session.close();
    }
  };
}
