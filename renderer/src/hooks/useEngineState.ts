import type { EngineSnapshotView } from '../../../main/contract';
import { useLatestEvent, useQuery } from '../client/context';

/** The engine snapshot: fetched, then kept current by the pushed `engine.state` event. */
export function useEngineState(): {
  state: EngineSnapshotView | undefined;
  error: ReturnType<typeof useQuery<'engine.state'>>['error'];
} {
  const query = useQuery('engine.state', {}, { refreshMs: 30_000 });
  const state = useLatestEvent('engine.state', query.data);
  return { state, error: state ? null : query.error };
}
