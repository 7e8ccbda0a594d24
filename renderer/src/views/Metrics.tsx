import { useEffect, useMemo, useState } from 'react';
import type { MetricsSample } from '../../../main/contract';
import { LineChart, type ChartSeries } from '../components/Chart';
import { EmptyState } from '../components/EmptyState';
import { ErrorNote } from '../components/ErrorNote';
import { ViewHeader } from '../components/ViewHeader';
import { useClient, useQuery } from '../client/context';
import { formatNumber, formatTime } from '../lib/format';

const MAX_POINTS = 720;

function pick(samples: readonly MetricsSample[], field: keyof MetricsSample, scale = 1): ChartSeries['points'] {
  return samples.map((s) => {
    const v = s[field];
    return { x: new Date(s.time).getTime(), y: typeof v === 'number' ? v * scale : null };
  });
}

/** The metrics snapshot's series, extended by each pushed sample (bounded). */
export function useMetricsSeries() {
  const client = useClient();
  const snapshot = useQuery('metrics.snapshot', { seriesLimit: MAX_POINTS }, { refreshMs: 30_000 });
  const [live, setLive] = useState<MetricsSample[]>([]);
  useEffect(
    () =>
      client.subscribe('metrics.sample', (samples) => {
        setLive((list) => [...list, ...samples].slice(-MAX_POINTS));
      }),
    [client]
  );
  const series = useMemo(() => {
    const base = snapshot.data?.series ?? [];
    const lastBase = base.length > 0 ? base[base.length - 1]!.time : '';
    const newer = live.filter((s) => s.time > lastBase);
    return [...base, ...newer].slice(-MAX_POINTS);
  }, [snapshot.data, live]);
  return { snapshot, series };
}

export function MetricsView() {
  const { snapshot, series } = useMetricsSeries();
  const data = snapshot.data;
  const charts = useMemo(
    () => ({
      rates: [
        { label: 'published/s', points: pick(series, 'publishedPerSecond') },
        { label: 'received/s', points: pick(series, 'receivedPerSecond') },
        { label: 'invalid/s', points: pick(series, 'invalidPerSecond') }
      ],
      latency: [
        { label: 'publish p50 (ms)', points: pick(series, 'publishP50Seconds', 1000) },
        { label: 'publish p99 (ms)', points: pick(series, 'publishP99Seconds', 1000) },
        { label: 'handler p99 (ms)', points: pick(series, 'handlerP99Seconds', 1000) }
      ],
      backlog: [
        { label: 'outbox backlog', points: pick(series, 'outboxBacklog') },
        { label: 'dead letters', points: pick(series, 'outboxDead') },
        { label: 'breakers open', points: pick(series, 'breakersOpen'), right: true, stepped: true }
      ],
      engine: [
        { label: 'engine load', points: pick(series, 'engineLoad') },
        { label: 'valence', points: pick(series, 'engineValence') }
      ]
    }),
    [series]
  );
  return (
    <section>
      <ViewHeader title="Metrics" />
      <ErrorNote error={snapshot.error} />
      {data && (
        <div className="card">
          <dl className="facts facts-inline">
            <dt>Prometheus endpoint</dt>
            <dd className="mono" data-testid="metrics-endpoint">
              {data.endpoint ?? 'off (set a metrics port in Settings)'}
            </dd>
            <dt>Published</dt>
            <dd data-testid="metrics-published">{formatNumber(data.totals.published)}</dd>
            <dt>Received</dt>
            <dd data-testid="metrics-received">{formatNumber(data.totals.received)}</dd>
            <dt>Invalid</dt>
            <dd>{formatNumber(data.totals.invalid)}</dd>
            <dt>Sampled every</dt>
            <dd>{formatNumber(data.sampleIntervalMs / 1000, 1)} s</dd>
            <dt>Streams sampled</dt>
            <dd>{formatTime(data.snapshotAt)}</dd>
          </dl>
        </div>
      )}
      {data && series.length === 0 ? (
        <EmptyState title="No samples yet.">
          The first sample arrives after one sampling interval; the charts fill in from there.
        </EmptyState>
      ) : (
        data && (
          <div className="chart-grid">
            <article className="card">
              <h2>Message rates</h2>
              <LineChart
                label="Published, received and invalid messages per second"
                series={charts.rates}
                yLabel="msgs/s"
              />
            </article>
            <article className="card">
              <h2>Latencies</h2>
              <LineChart
                label="Publish and handler latency percentiles in milliseconds"
                series={charts.latency}
                yLabel="ms"
              />
            </article>
            <article className="card">
              <h2>Backlog and breakers</h2>
              <LineChart
                label="Outbox backlog, dead letters and open breakers"
                series={charts.backlog}
                yLabel="messages"
                yRightLabel="breakers open"
              />
            </article>
            <article className="card">
              <h2>Engine</h2>
              <LineChart label="Engine load and valence" series={charts.engine} />
            </article>
          </div>
        )
      )}
    </section>
  );
}
