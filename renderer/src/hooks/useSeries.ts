import { useMemo, useState } from 'react';
import type { SeriesPoint } from '../../../main/contract';
import { useQuery } from '../client/context';

/** How far back sparklines look. */
export const SPARK_WINDOW_MS = 60 * 60 * 1000;

/**
 * The sampled stream/consumer series of the last hour from the local store (it answers offline too),
 * grouped by `STREAM` and `STREAM/consumer`.
 */
export function useSeriesByKey(filter: { stream?: string; consumer?: string } = {}, refreshMs = 15_000) {
  // Fixed per mount so the query key stays stable; the refresh re-reads newer points anyway.
  const [since] = useState(() => new Date(Date.now() - SPARK_WINDOW_MS).toISOString());
  const query = useQuery('streams.series', { ...filter, since, limit: 10_000 }, { refreshMs });
  const grouped = useMemo(() => {
    const map = new Map<string, SeriesPoint[]>();
    for (const p of query.data?.points ?? []) {
      const key = p.consumer ? `${p.stream}/${p.consumer}` : p.stream;
      let list = map.get(key);
      if (!list) map.set(key, (list = []));
      list.push(p);
    }
    return map;
  }, [query.data]);
  return { grouped, error: query.error, reload: query.reload };
}

export function valuesOf(
  points: readonly SeriesPoint[] | undefined,
  field: 'messages' | 'bytes' | 'pending' | 'ackPending'
): number[] {
  return (points ?? []).map((p) => p[field]).filter((v): v is number => v !== null);
}
