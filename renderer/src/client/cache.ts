/**
 * The renderer's cache of procedure answers (TanStack Query) and how pushed events keep it current:
 * a push that carries the data is written into the cache (no round trip); a push that only says
 * something changed marks the affected queries stale, coalesced so a burst costs one refetch.
 */
import { QueryClient, type QueryKey } from '@tanstack/react-query';
import type { SynosClient } from '../../../main/contract/client';
import type { EventChannel, InputOf, Method, OutputOf, PayloadOf } from '../../../main/contract';

/** The cache key of a procedure answer: the method, then its input. */
export function queryKeyOf<M extends Method>(method: M, input: InputOf<M>): QueryKey {
  return [method, input];
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // A typed error is shown at once with its next step; the periodic refresh and the pushed
        // events repair a view, not silent retries that would hide an outage for seconds.
        retry: false,
        refetchOnWindowFocus: false,
        // The core answers from the local store while NATS is down: no need to pause queries offline.
        networkMode: 'always'
      },
      mutations: { retry: false, networkMode: 'always' }
    }
  });
}

/**
 * Writes each pushed payload of `channel` into the cache entry of `method` with `input`
 * (`merge` turns the payload and the cached answer into the new answer; by default the payload
 * replaces it). Only the newest payload of a batch counts. Returns the unsubscribe function.
 */
export function setQueryDataOnPush<C extends EventChannel, M extends Method>(
  queryClient: QueryClient,
  client: SynosClient,
  channel: C,
  method: M,
  input: InputOf<M>,
  merge: (payload: PayloadOf<C>, previous: OutputOf<M> | undefined) => OutputOf<M> | undefined = (payload) =>
    payload as unknown as OutputOf<M>
): () => void {
  const key = queryKeyOf(method, input);
  return client.subscribe(channel, (payloads) => {
    for (const payload of payloads) {
      const next = merge(payload, queryClient.getQueryData<OutputOf<M>>(key));
      if (next === undefined) void queryClient.invalidateQueries({ queryKey: key });
      else queryClient.setQueryData<OutputOf<M>>(key, next);
    }
  });
}

/**
 * Marks every cached answer of `methods` (any input) stale when `channel` pushes, at most once per
 * `minMs`: events in between are folded into the pending invalidation, and the last one is never lost.
 */
export function invalidateOnPush(
  queryClient: QueryClient,
  client: SynosClient,
  channel: EventChannel,
  methods: readonly Method[],
  minMs = 500
): () => void {
  let last = -Infinity;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const off = client.subscribe(channel, () => {
    if (timer) return;
    timer = setTimeout(
      () => {
        timer = null;
        last = Date.now();
        for (const method of methods) void queryClient.invalidateQueries({ queryKey: [method] });
      },
      Math.max(0, last + minMs - Date.now())
    );
  });
  return () => {
    off();
    if (timer) clearTimeout(timer);
    timer = null;
  };
}

/** The link to the app (WebSocket in web mode) reopening. */
export type LinkStateSource = (listener: (state: 'open' | 'closed') => void) => () => void;

/**
 * Wires every pushed event the views rely on into the cache, and refetches every active query when
 * the link to the app reopens or NATS comes back (a view that showed the cache swaps to live data).
 */
export function syncCacheWithPushes(
  queryClient: QueryClient,
  client: SynosClient,
  onLinkState: LinkStateSource
): () => void {
  const offs: (() => void)[] = [
    // Pushes that carry the whole answer.
    setQueryDataOnPush(queryClient, client, 'engine.state', 'engine.state', {}),
    setQueryDataOnPush(queryClient, client, 'engine.leadership', 'engine.leadership', {}),
    // A sample that reached no server does not hide the servers in hand: a cached snapshot stays, and
    // live servers going silent means asking for the overview (offline, the core answers with the last
    // kept snapshot, which the push does not carry).
    setQueryDataOnPush(queryClient, client, 'servers.sample', 'servers.overview', {}, (payload, previous) => {
      if (payload.servers.length > 0 || !previous || previous.servers.length === 0) return payload;
      return previous.cached ? previous : undefined;
    }),
    setQueryDataOnPush(queryClient, client, 'outbox.stats', 'outbox.stats', {}),
    setQueryDataOnPush(queryClient, client, 'resilience.breakers', 'resilience.breakers', {}),
    // A snapshot older than the answer in hand (a slow push) does not replace it.
    setQueryDataOnPush(queryClient, client, 'streams.snapshot', 'streams.list', {}, (payload, previous) =>
      previous && previous.snapshotTime > payload.snapshotTime ? previous : payload
    ),
    // One recording changed: replace its row; a recording not in the list yet means a refetch.
    setQueryDataOnPush(queryClient, client, 'recordings.updated', 'recordings.list', {}, (payload, previous) => {
      if (!previous || !previous.recordings.some((r) => r.id === payload.id)) return undefined;
      return { ...previous, recordings: previous.recordings.map((r) => (r.id === payload.id ? payload : r)) };
    }),
    // Pushes that only say something changed (a transition, one more row of a filtered list).
    // Consumers are sampled with the streams: a new stream snapshot means their lists changed too.
    invalidateOnPush(queryClient, client, 'streams.snapshot', ['consumers.list'], 2000),
    invalidateOnPush(queryClient, client, 'alerts.transition', ['alerts.list']),
    // Each sample of the servers is also a new point of their history.
    invalidateOnPush(queryClient, client, 'servers.sample', ['servers.series'], 5000),
    invalidateOnPush(queryClient, client, 'engine.event', ['engine.problems', 'engine.events'], 1000),
    invalidateOnPush(queryClient, client, 'security.event', ['security.events']),
    invalidateOnPush(queryClient, client, 'bridge.invalidMessage', ['bridge.invalidMessages'], 1000),
    invalidateOnPush(queryClient, client, 'outbox.stats', ['dlq.list', 'outbox.list'], 2000)
  ];

  let linkState: 'open' | 'closed' = 'open';
  offs.push(
    onLinkState((state) => {
      if (state === 'open' && linkState === 'closed') void queryClient.invalidateQueries();
      linkState = state;
    })
  );

  const statusKey = queryKeyOf('connection.status', {});
  offs.push(
    client.subscribe('connection.state', (payloads) => {
      for (const status of payloads) {
        const was = queryClient.getQueryData<OutputOf<'connection.status'>>(statusKey)?.state;
        queryClient.setQueryData(statusKey, status);
        if (status.state === 'connected' && was !== undefined && was !== 'connected') {
          void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] !== 'connection.status' });
        }
      }
    })
  );
  return () => {
    for (const off of offs) off();
  };
}

/**
 * The system picture's push, written into the `overview.picture` answer. Subscribed by the view
 * that shows the picture, not at the root: the core assembles and pushes the picture (and samples
 * JetStream faster) only while someone listens. Returns the unsubscribe function.
 */
export function watchSystemPicture(queryClient: QueryClient, client: SynosClient): () => void {
  return setQueryDataOnPush(queryClient, client, 'overview.picture', 'overview.picture', {});
}
