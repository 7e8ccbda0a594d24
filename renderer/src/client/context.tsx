import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import type { SynosClient } from '../../../main/contract/client';
import type { EventChannel, InputOf, Method, OutputOf, PayloadOf } from '../../../main/contract';
import { ContractError } from '../../../main/contract/errors';
import type { AppConnection, LinkState } from './connect';

const AppContext = createContext<AppConnection | null>(null);

export function AppConnectionProvider({ connection, children }: { connection: AppConnection; children: ReactNode }) {
  return <AppContext.Provider value={connection}>{children}</AppContext.Provider>;
}

export function useConnection(): AppConnection {
  const value = useContext(AppContext);
  if (!value) throw new Error('useConnection outside AppConnectionProvider');
  return value;
}

export function useClient(): SynosClient {
  return useConnection().client;
}

/** The state of the pipe to the app (WebSocket in web mode). */
export function useLinkState(): LinkState {
  const connection = useConnection();
  const [state, setState] = useState<LinkState>('open');
  useEffect(() => connection.onLinkState(setState), [connection]);
  return state;
}

export interface QueryState<T> {
  data: T | undefined;
  error: ContractError | null;
  loading: boolean;
  reload: () => void;
}

function toContractError(error: unknown): ContractError {
  return error instanceof ContractError
    ? error
    : new ContractError('INTERNAL', String((error as Error)?.message ?? error));
}

/** Calls a procedure when the key changes (and on reload); keeps the last data while reloading. */
export function useQuery<M extends Method>(
  method: M,
  input: InputOf<M>,
  options: { refreshMs?: number } = {}
): QueryState<OutputOf<M>> {
  const client = useClient();
  const key = JSON.stringify(input);
  const [data, setData] = useState<OutputOf<M>>();
  const [error, setError] = useState<ContractError | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    let live = true;
    setLoading(true);
    (client.call as (m: Method, i: unknown) => Promise<OutputOf<M>>)(method, JSON.parse(key))
      .then((value) => {
        if (!live) return;
        setData(value);
        setError(null);
      })
      .catch((e: unknown) => live && setError(toContractError(e)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [client, method, key, tick]);
  useEffect(() => {
    if (!options.refreshMs) return;
    const timer = setInterval(reload, options.refreshMs);
    return () => clearInterval(timer);
  }, [options.refreshMs, reload]);
  return { data, error, loading, reload };
}

/** Runs a procedure on demand (buttons, forms), tracking its pending state and typed error. */
export function useAction<M extends Method>(method: M) {
  const client = useClient();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ContractError | null>(null);
  const run = useCallback(
    async (input: InputOf<M>): Promise<OutputOf<M> | undefined> => {
      setPending(true);
      setError(null);
      try {
        return await (client.call as (m: Method, i: unknown) => Promise<OutputOf<M>>)(method, input);
      } catch (e) {
        setError(toContractError(e));
        return undefined;
      } finally {
        setPending(false);
      }
    },
    [client, method]
  );
  return { run, pending, error };
}

/** The latest payload of a channel, or the procedure result when that is newer to arrive. */
export function useLatestEvent<C extends EventChannel>(
  channel: C,
  initial: PayloadOf<C> | undefined
): PayloadOf<C> | undefined {
  const client = useClient();
  const [value, setValue] = useState<PayloadOf<C> | undefined>(initial);
  // Every fresh query result counts, not only the first: a periodic refresh repairs a view whose
  // pushed events were dropped (a slow client's queue) or missed (a reconnect).
  useEffect(() => {
    if (initial !== undefined) setValue(initial);
  }, [initial]);
  useEffect(
    () =>
      client.subscribe(channel, (payloads) => {
        const last = payloads[payloads.length - 1];
        if (last !== undefined) setValue(last);
      }),
    [client, channel]
  );
  return value;
}
