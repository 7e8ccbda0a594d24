import type { EngineSnapshotView } from '../../../main/contract';
import { useQuery } from '../client/context';

/** The engine snapshot: fetched, then kept current by the pushed `engine.state` (written into the cache). */
export function useEngineState(): {
  state: EngineSnapshotView | undefined;
  error: ReturnType<typeof useQuery<'engine.state'>>['error'];
} {
  const query = useQuery('engine.state', {}, { refreshMs: 30_000 });
  return { state: query.data, error: query.data ? null : query.error };
}
