import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { BENCH_MODES, type BenchMode, type BenchProgress, type BenchRunSummary } from '../../../main/contract';
import { LineChart } from '../components/Chart';
import { DataTable, type Column } from '../components/DataTable';
import { EmptyState } from '../components/EmptyState';
import { ErrorNote } from '../components/ErrorNote';
import { ViewHeader } from '../components/ViewHeader';
import { useAction, useClient, useQuery } from '../client/context';
import { formatBytes, formatNumber, formatPercent, formatTime } from '../lib/format';
import { useNotify } from '../lib/notify';

/** The running benchmark's progress: asked once, then pushed. */
function useBenchProgress(onFinished: () => void) {
  const client = useClient();
  const notify = useNotify();
  const active = useQuery('bench.active', {});
  const [progress, setProgress] = useState<BenchProgress | null>(null);
  useEffect(() => {
    if (active.data) setProgress(active.data.progress);
  }, [active.data]);
  useEffect(() => {
    const offProgress = client.subscribe('bench.progress', (payloads) => {
      const last = payloads[payloads.length - 1];
      if (last) setProgress(last);
    });
    const offFinished = client.subscribe('bench.finished', (payloads) => {
      for (const f of payloads) {
        setProgress((p) => (p?.runId === f.runId ? null : p));
        if (f.status === 'completed' && f.run)
          notify(`Benchmark ${f.mode} finished: ${formatNumber(f.run.msgsPerSec)} msgs/s`);
        else notify(`Benchmark ${f.mode} ${f.status}`, f.error ?? undefined);
      }
      onFinished();
    });
    return () => {
      offProgress();
      offFinished();
    };
  }, [client, notify, onFinished]);
  return progress;
}

function RunForm({ progress }: { progress: BenchProgress | null }) {
  const start = useAction('bench.start');
  const cancel = useAction('bench.cancel');
  const [mode, setMode] = useState<BenchMode>('pub');
  const [msgs, setMsgs] = useState('100000');
  const [size, setSize] = useState('128');
  const [pub, setPub] = useState('1');
  const [sub, setSub] = useState('1');
  const [label, setLabel] = useState('');
  const onSubmit = (e: FormEvent): void => {
    e.preventDefault();
    void start.run({
      mode,
      msgs: Number(msgs),
      size: Number(size),
      pub: Number(pub),
      sub: Number(sub),
      label: label.trim() || undefined
    });
  };
  return (
    <article className="card">
      <h2>Run a benchmark</h2>
      <form className="form-row" onSubmit={onSubmit} aria-label="Run a benchmark">
        <label>
          Mode{' '}
          <select value={mode} onChange={(e) => setMode(e.target.value as BenchMode)}>
            {BENCH_MODES.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
        <label>
          Messages{' '}
          <input className="short" type="number" min={1} value={msgs} onChange={(e) => setMsgs(e.target.value)} />
        </label>
        <label>
          Size (bytes){' '}
          <input className="short" type="number" min={0} value={size} onChange={(e) => setSize(e.target.value)} />
        </label>
        <label>
          Publishers{' '}
          <input
            className="short"
            type="number"
            min={1}
            max={64}
            value={pub}
            onChange={(e) => setPub(e.target.value)}
          />
        </label>
        <label>
          Subscribers{' '}
          <input
            className="short"
            type="number"
            min={1}
            max={64}
            value={sub}
            onChange={(e) => setSub(e.target.value)}
          />
        </label>
        <label>
          Note{' '}
          <input className="short" style={{ width: 160 }} value={label} onChange={(e) => setLabel(e.target.value)} />
        </label>
        <button type="submit" disabled={start.pending || progress !== null}>
          Start
        </button>
      </form>
      <ErrorNote error={start.error ?? cancel.error} />
      {progress && (
        <div className="form-row" data-testid="bench-progress" style={{ marginTop: 12 }}>
          <progress max={progress.total} value={progress.done} aria-label="Benchmark progress" />
          <span>
            {progress.mode} {progress.phase}: {formatNumber(progress.done)} / {formatNumber(progress.total)} (
            {formatPercent(progress.total ? progress.done / progress.total : 0)}), {formatNumber(progress.msgsPerSec)}{' '}
            msgs/s
          </span>
          <button type="button" onClick={() => void cancel.run({ runId: progress.runId })}>
            Cancel
          </button>
        </div>
      )}
    </article>
  );
}

/**
 * The kept runs over time, one series per mode: throughput and p99 latency. Modes measure different
 * things, so each keeps its own line and a run is compared with earlier runs of the same mode.
 */
function HistoryCharts({ runs }: { runs: readonly BenchRunSummary[] }) {
  const charts = useMemo(() => {
    const modes = [...new Set(runs.map((r) => r.mode))].sort();
    const per = (pick: (r: BenchRunSummary) => number | null) =>
      modes.map((mode) => ({
        label: mode,
        points: runs
          .filter((r) => r.mode === mode)
          .map((r) => ({ x: Date.parse(r.startedAt), y: pick(r) }))
          .sort((a, b) => a.x - b.x)
      }));
    return { rate: per((r) => r.msgsPerSec), p99: per((r) => r.p99Ms) };
  }, [runs]);
  return (
    <article className="card" data-testid="bench-history-charts">
      <h2>Over time, per mode</h2>
      <div className="chart-grid">
        <LineChart label="Benchmark throughput over time (msgs/s)" yLabel="msgs/s" series={charts.rate} showPoints />
        <LineChart label="Benchmark p99 latency over time (ms)" yLabel="ms" series={charts.p99} showPoints />
      </div>
    </article>
  );
}

function Comparison({ ids }: { ids: string[] }) {
  const compare = useQuery('bench.compare', { ids });
  const data = compare.data;
  const charts = useMemo(() => {
    if (!data) return [];
    const labels = data.runs.map((r, i) => `${i + 1}. ${r.mode}${r.label ? ` (${r.label})` : ''}`);
    const pick = (keys: string[]) => data.series.filter((s) => keys.includes(s.key));
    return [
      { title: 'Throughput (msgs/s)', labels, series: pick(['msgsPerSec']) },
      { title: 'Latency (ms)', labels, series: pick(['p50Ms', 'p99Ms']) }
    ];
  }, [data]);
  return (
    <article className="card" data-testid="bench-compare">
      <h2>Comparison (the first selected run is the baseline)</h2>
      <ErrorNote error={compare.error} />
      {data && data.differences.length > 0 && <p className="hint">Parameters differ: {data.differences.join('; ')}.</p>}
      <div className="chart-grid">
        {charts.map((c) =>
          c.series.every((s) => s.values.every((v) => v === null)) ? null : (
            <LineChart
              key={c.title}
              kind="bar"
              label={c.title}
              xLabels={c.labels}
              xTime={false}
              yLabel={c.title}
              series={c.series.map((s) => ({ label: s.label, points: s.values.map((v, i) => ({ x: i, y: v })) }))}
            />
          )
        )}
      </div>
      {data && (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Benchmark comparison (scrollable)">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Figure</th>
                {data.runs.map((r, i) => (
                  <th key={r.id} scope="col" className="num">
                    {i + 1}. {r.mode}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.series.map((s) => (
                <tr key={s.key}>
                  <th scope="row">
                    {s.label} <span className="hint">({s.better} is better)</span>
                  </th>
                  {s.values.map((v, i) => (
                    <td key={i} className="num">
                      {formatNumber(v, 2)}
                      {i > 0 && s.change[i] != null && (
                        <span className="hint">
                          {' '}
                          ({s.change[i]! >= 0 ? '+' : ''}
                          {formatPercent(s.change[i])})
                        </span>
                      )}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </article>
  );
}

export function BenchmarksView() {
  const history = useQuery('bench.history', { limit: 200 });
  const progress = useBenchProgress(history.reload);
  const [selected, setSelected] = useState<string[]>([]);
  const toggle = (id: string): void => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  const columns: Column<BenchRunSummary>[] = [
    {
      id: 'pick',
      label: 'Compare',
      render: (r) => (
        <input
          type="checkbox"
          checked={selected.includes(r.id)}
          onChange={() => toggle(r.id)}
          aria-label={`Compare run ${r.mode} of ${formatTime(r.startedAt)}`}
        />
      )
    },
    { id: 'started', label: 'Started', sortValue: (r) => r.startedAt, render: (r) => formatTime(r.startedAt) },
    { id: 'mode', label: 'Mode', sortValue: (r) => r.mode, render: (r) => r.mode },
    { id: 'label', label: 'Note', sortValue: (r) => r.label ?? '', render: (r) => r.label ?? '' },
    {
      id: 'params',
      label: 'Msgs × size, clients',
      render: (r) =>
        `${formatNumber(r.msgs)} × ${formatBytes(r.size)}, ${r.pub} pub / ${r.sub} sub${r.mode.startsWith('js') || r.mode === 'pipeline' ? `, ${r.storage}` : ''}`
    },
    {
      id: 'rate',
      label: 'msgs/s',
      numeric: true,
      sortValue: (r) => r.msgsPerSec,
      render: (r) => formatNumber(r.msgsPerSec)
    },
    {
      id: 'bytes',
      label: 'Throughput',
      numeric: true,
      sortValue: (r) => r.bytesPerSec,
      render: (r) => `${formatBytes(r.bytesPerSec)}/s`
    },
    { id: 'p50', label: 'p50 ms', numeric: true, sortValue: (r) => r.p50Ms, render: (r) => formatNumber(r.p50Ms, 3) },
    { id: 'p99', label: 'p99 ms', numeric: true, sortValue: (r) => r.p99Ms, render: (r) => formatNumber(r.p99Ms, 3) },
    { id: 'server', label: 'Server', sortValue: (r) => r.serverVersion, render: (r) => r.serverVersion }
  ];
  return (
    <section>
      <ViewHeader title="Benchmarks" />
      <RunForm progress={progress} />
      <article className="card">
        <h2>History</h2>
        <ErrorNote error={history.error} />
        {history.data && (
          <DataTable
            label="Benchmark history"
            rows={history.data.runs}
            columns={columns}
            rowKey={(r) => r.id}
            rowTestId="bench-row"
            initialSort={{ id: 'started', dir: 'desc' }}
            empty={
              <EmptyState title="No benchmark has run yet.">
                Start one above (or with synos-cc bench MODE); results are kept for comparison.
              </EmptyState>
            }
          />
        )}
        {selected.length === 1 && <p className="hint">Select one more run to compare.</p>}
      </article>
      {history.data && history.data.runs.length > 0 && <HistoryCharts runs={history.data.runs} />}
      {selected.length >= 2 && <Comparison ids={selected} />}
    </section>
  );
}
