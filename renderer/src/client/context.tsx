import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import type { SynosClient } from '../../../main/contract/client';
import type { InputOf, Method, OutputOf } from '../../../main/contract';
import { ContractError } from '../../../main/contract/errors';
import {
  keepPreviousData,
  QueryClientProvider,
  useMutation,
  useQueries as useTanstackQueries,
  useQuery as useTanstackQuery,
  type QueryClient
} from '@tanstack/react-query';
import { queryKeyOf, syncCacheWithPushes } from './cache';
import type { AppConnection, LinkState } from './connect';

const AppContext = createContext<AppConnection | null>(null);

/**
 * The app's transport and its answer cache. Pushed events are wired into the cache here, once for
 * the whole app, so every view sees them without subscribing itself.
 */
export function AppConnectionProvider({
  connection,
  queryClient,
  children
}: {
  connection: AppConnection;
  queryClient: QueryClient;
  children: ReactNode;
}) {
  useEffect(
    () => syncCacheWithPushes(queryClient, connection.client, connection.onLinkState),
    [queryClient, connection]
  );
  return (
    <QueryClientProvider client={queryClient}>
      <AppContext.Provider value={connection}>{children}</AppContext.Provider>
    </QueryClientProvider>
  );
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

/**
 * Calls a procedure through the shared cache: the answer of `[method, input]` is fetched once per
 * key, refetched every `refreshMs` and kept current by pushed events; the last answer stays shown
 * while a new key or a refresh loads.
 */
export function useQuery<M extends Method>(
  method: M,
  input: InputOf<M>,
  options: { refreshMs?: number } = {}
): QueryState<OutputOf<M>> {
  const client = useClient();
  const query = useTanstackQuery<OutputOf<M>, ContractError>({
    queryKey: queryKeyOf(method, input),
    queryFn: async () => {
      try {
        return await (client.call as (m: Method, i: unknown) => Promise<OutputOf<M>>)(method, input);
      } catch (e) {
        throw toContractError(e);
      }
    },
    refetchInterval: options.refreshMs ?? false,
    placeholderData: keepPreviousData
  });
  const { refetch } = query;
  const reload = useCallback(() => void refetch(), [refetch]);
  return { data: query.data, error: query.error, loading: query.isFetching, reload };
}

/** The same procedure for several inputs at once (one cache entry each), in the order of `inputs`. */
export function useQueryList<M extends Method>(
  method: M,
  inputs: readonly InputOf<M>[],
  options: { refreshMs?: number } = {}
): QueryState<OutputOf<M>>[] {
  const client = useClient();
  const queries = useTanstackQueries({
    queries: inputs.map((input) => ({
      queryKey: queryKeyOf(method, input),
      queryFn: async (): Promise<OutputOf<M>> => {
        try {
          return await (client.call as (m: Method, i: unknown) => Promise<OutputOf<M>>)(method, input);
        } catch (e) {
          throw toContractError(e);
        }
      },
      refetchInterval: options.refreshMs ?? false
    }))
  });
  return queries.map((q) => ({
    data: q.data,
    error: (q.error as ContractError | null) ?? null,
    loading: q.isFetching,
    reload: () => void q.refetch()
  }));
}

/** Runs a procedure on demand (buttons, forms), tracking its pending state and typed error. */
export function useAction<M extends Method>(method: M) {
  const client = useClient();
  const mutation = useMutation<OutputOf<M>, ContractError, InputOf<M>>({
    mutationFn: async (input) => {
      try {
        return await (client.call as (m: Method, i: unknown) => Promise<OutputOf<M>>)(method, input);
      } catch (e) {
        throw toContractError(e);
      }
    }
  });
  const { mutateAsync } = mutation;
  const run = useCallback(
    (input: InputOf<M>): Promise<OutputOf<M> | undefined> => mutateAsync(input).catch(() => undefined),
    [mutateAsync]
  );
  return { run, pending: mutation.isPending, error: mutation.error };
}
