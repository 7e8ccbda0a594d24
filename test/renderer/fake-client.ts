/**
 * A SynosClient over canned answers: the renderer's transport boundary, so views can be rendered in
 * jsdom without a core. Each answer is a value, a ContractError to reject with, a function of the
 * input, or `pending` (a request that never answers: the loading state). Pushed events are sent
 * with `push`, exactly as the real client delivers them (a batch per channel).
 */
import type { BatchListener, SynosClient } from '../../main/contract/client';
import type { EventChannel, InputOf, Method, OutputOf, PayloadOf } from '../../main/contract';
import { ContractError } from '../../main/contract/errors';

export const pending = Symbol('pending');

export type Answer<M extends Method> =
  OutputOf<M> | ContractError | typeof pending | ((input: InputOf<M>) => OutputOf<M> | Promise<OutputOf<M>>);

export type Answers = { [M in Method]?: Answer<M> };

export interface FakeClient extends SynosClient {
  /** Every call made, in order. */
  readonly calls: { method: Method; input: unknown }[];
  /** Replace (or add) canned answers; later calls see them. */
  answer(answers: Answers): void;
  push<C extends EventChannel>(channel: C, ...payloads: PayloadOf<C>[]): void;
  callsOf(method: Method): unknown[];
}

export function createFakeClient(initial: Answers = {}): FakeClient {
  const answers: Answers = { ...initial };
  const listeners = new Map<EventChannel, Set<BatchListener<EventChannel>>>();
  const calls: { method: Method; input: unknown }[] = [];
  const client: FakeClient = {
    calls,
    answer(more) {
      Object.assign(answers, more);
    },
    call(method: Method, ...args: unknown[]) {
      const input = args[0] ?? {};
      calls.push({ method, input });
      const answer = answers[method] as Answer<Method> | undefined;
      if (answer === undefined) {
        return Promise.reject(new ContractError('UNKNOWN_METHOD', `No canned answer for ${method}`));
      }
      if (answer === pending) return new Promise(() => undefined);
      if (answer instanceof ContractError) return Promise.reject(answer);
      if (typeof answer === 'function') {
        return Promise.resolve().then(() => (answer as (i: unknown) => unknown)(input));
      }
      return Promise.resolve(structuredClone(answer));
    },
    subscribe(channel, listener) {
      let set = listeners.get(channel);
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(listener as BatchListener<EventChannel>);
      return () => set.delete(listener as BatchListener<EventChannel>);
    },
    push(channel, ...payloads) {
      for (const l of listeners.get(channel) ?? []) l(payloads as PayloadOf<EventChannel>[], 0);
    },
    callsOf(method) {
      return calls.filter((c) => c.method === method).map((c) => c.input);
    },
    close() {
      listeners.clear();
    }
  } as FakeClient;
  return client;
}
