/**
 * The arithmetic of benchmark results, kept free of I/O so it is unit tested on its own:
 * latency percentiles, per-role aggregation (as nats bench prints it: the combined rate over the
 * wall time from the first client's start to the last client's end, plus min/avg/max/stddev of
 * the clients' own rates), run summaries, comparisons and CSV.
 */
import {
  BENCH_METRICS,
  type BenchClientStats,
  type BenchComparison,
  type BenchGroup,
  type BenchLatency,
  type BenchParams,
  type BenchRate,
  type BenchRun,
  type BenchRunSummary
} from '../contract/bench';
import { toCsv, toCsvLine, type CsvCell } from '../core/csv';

/** What one client did: message and byte counts between two `performance.now()` instants. */
export interface ClientMeasurement {
  name: string;
  msgs: number;
  bytes: number;
  startMs: number;
  endMs: number;
}

function rate(msgs: number, bytes: number, durationMs: number): BenchRate {
  // A run that finished inside the timer's resolution still gets a finite rate.
  const seconds = Math.max(durationMs, 0.001) / 1000;
  return {
    msgs,
    bytes,
    durationMs: round(durationMs, 3),
    msgsPerSec: round(msgs / seconds, 1),
    bytesPerSec: round(bytes / seconds, 1)
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** The combined rate of several clients over the span they covered together. */
export function aggregateRate(clients: readonly ClientMeasurement[]): BenchRate {
  if (clients.length === 0) return rate(0, 0, 0);
  const start = Math.min(...clients.map((c) => c.startMs));
  const end = Math.max(...clients.map((c) => c.endMs));
  const msgs = clients.reduce((sum, c) => sum + c.msgs, 0);
  const bytes = clients.reduce((sum, c) => sum + c.bytes, 0);
  return rate(msgs, bytes, end - start);
}

export function clientStats(c: ClientMeasurement): BenchClientStats {
  return { name: c.name, ...rate(c.msgs, c.bytes, c.endMs - c.startMs) };
}

/** One role's figures: the aggregate, each client, and the spread of the clients' rates. */
export function groupStats(role: BenchGroup['role'], clients: readonly ClientMeasurement[]): BenchGroup {
  const stats = clients.map(clientStats);
  const rates = stats.map((s) => s.msgsPerSec);
  const avg = rates.length > 0 ? rates.reduce((a, b) => a + b, 0) / rates.length : 0;
  const variance = rates.length > 0 ? rates.reduce((sum, r) => sum + (r - avg) ** 2, 0) / rates.length : 0;
  return {
    role,
    aggregate: aggregateRate(clients),
    clients: stats,
    minMsgsPerSec: rates.length > 0 ? Math.min(...rates) : 0,
    avgMsgsPerSec: round(avg, 1),
    maxMsgsPerSec: rates.length > 0 ? Math.max(...rates) : 0,
    stddevMsgsPerSec: round(Math.sqrt(variance), 1)
  };
}

/**
 * The value at percentile `p` (0–100) of ascending `sorted` samples, by nearest rank — the
 * same definition HdrHistogram-based tools report, without interpolation between samples.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  if (p <= 0) return sorted[0] as number;
  if (p >= 100) return sorted[n - 1] as number;
  // The epsilon keeps float noise (99.9 / 100 × 1000 = 999.0000000000001) from skipping a rank.
  const rank = Math.ceil((p * n) / 100 - 1e-9);
  return sorted[Math.min(n - 1, Math.max(0, rank - 1))] as number;
}

/**
 * Latency figures from raw samples in milliseconds. Sorts a copy (a Float64Array sorts
 * numerically and fast even for millions of samples). Null without samples.
 */
export function latencySummary(measures: string, samples: ArrayLike<number>): BenchLatency | null {
  const n = samples.length;
  if (n === 0) return null;
  const sorted = Float64Array.from(samples as ArrayLike<number>).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i] as number;
  const r = (v: number): number => round(v, 4);
  return {
    measures,
    samples: n,
    minMs: r(sorted[0] as number),
    meanMs: r(sum / n),
    p50Ms: r(percentile(sorted, 50)),
    p90Ms: r(percentile(sorted, 90)),
    p99Ms: r(percentile(sorted, 99)),
    p999Ms: r(percentile(sorted, 99.9)),
    maxMs: r(sorted[n - 1] as number)
  };
}

/** Joins the samples of several clients into one array. */
export function mergeSamples(parts: readonly Float64Array[]): Float64Array {
  const total = parts.reduce((sum, p) => sum + p.length, 0);
  const out = new Float64Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function summarizeRun(run: BenchRun): BenchRunSummary {
  return {
    id: run.id,
    mode: run.mode,
    label: run.label,
    startedAt: run.startedAt,
    msgs: run.params.msgs,
    size: run.params.size,
    pub: run.params.pub,
    sub: run.params.sub,
    storage: run.params.storage,
    msgsPerSec: run.totals.msgsPerSec,
    bytesPerSec: run.totals.bytesPerSec,
    p50Ms: run.latency?.p50Ms ?? null,
    p99Ms: run.latency?.p99Ms ?? null,
    serverVersion: run.environment.serverVersion
  };
}

function metricValue(run: BenchRun, key: (typeof BENCH_METRICS)[number]['key']): number | null {
  const clients = run.groups.flatMap((g) => g.clients);
  switch (key) {
    case 'msgsPerSec':
      return run.totals.msgsPerSec;
    case 'bytesPerSec':
      return run.totals.bytesPerSec;
    case 'durationMs':
      return run.totals.durationMs;
    case 'minClientMsgsPerSec':
      return clients.length > 0 ? Math.min(...clients.map((c) => c.msgsPerSec)) : null;
    case 'maxClientMsgsPerSec':
      return clients.length > 0 ? Math.max(...clients.map((c) => c.msgsPerSec)) : null;
    case 'p50Ms':
      return run.latency?.p50Ms ?? null;
    case 'p90Ms':
      return run.latency?.p90Ms ?? null;
    case 'p99Ms':
      return run.latency?.p99Ms ?? null;
    case 'p999Ms':
      return run.latency?.p999Ms ?? null;
  }
}

/** The parameters (and environment facts) in which runs differ, as "size: 128 / 1024". */
export function parameterDifferences(runs: readonly BenchRun[]): string[] {
  const out: string[] = [];
  const keys: Array<keyof BenchParams> = [
    'mode',
    'msgs',
    'size',
    'pub',
    'sub',
    'storage',
    'window',
    'consumer',
    'batch'
  ];
  for (const key of keys) {
    const values = runs.map((r) => String(r.params[key]));
    if (new Set(values).size > 1) out.push(`${key}: ${values.join(' / ')}`);
  }
  const env: Array<[string, (r: BenchRun) => string]> = [
    ['server', (r) => r.environment.serverVersion],
    ['client', (r) => r.environment.clientVersion],
    ['app', (r) => r.environment.appVersion],
    ['node', (r) => r.environment.nodeVersion],
    ['cpus', (r) => String(r.environment.cpus)]
  ];
  for (const [name, get] of env) {
    const values = runs.map(get);
    if (new Set(values).size > 1) out.push(`${name}: ${values.join(' / ')}`);
  }
  return out;
}

/** Runs side by side: one series per metric, the first run as the baseline of `change`. */
export function compareRuns(runs: readonly BenchRun[]): BenchComparison {
  const series = BENCH_METRICS.map((m) => {
    const values = runs.map((r) => metricValue(r, m.key));
    const base = values[0] ?? null;
    const change = values.map((v) => (v === null || base === null || base === 0 ? null : round(v / base - 1, 4)));
    return { key: m.key, label: m.label, unit: m.unit, better: m.better, values, change };
  });
  return { runs: runs.map(summarizeRun), series, differences: parameterDifferences(runs) };
}

export const CSV_COLUMNS = [
  'id',
  'started_at',
  'finished_at',
  'mode',
  'label',
  'msgs',
  'size',
  'pub',
  'sub',
  'storage',
  'window',
  'consumer',
  'batch',
  'duration_ms',
  'msgs_per_sec',
  'bytes_per_sec',
  'client_min_msgs_per_sec',
  'client_avg_msgs_per_sec',
  'client_max_msgs_per_sec',
  'latency_measures',
  'latency_samples',
  'p50_ms',
  'p90_ms',
  'p99_ms',
  'p999_ms',
  'server_version',
  'client_version',
  'app_version',
  'node_version',
  'cpus',
  'cpu_model'
] as const;

/** One cell through the shared CSV writer (formula guard, RFC 4180 quoting). */
export function csvField(value: CsvCell): string {
  return toCsvLine([value]);
}

export function runToCsvRow(run: BenchRun): string {
  return toCsvLine(runCsvCells(run));
}

function runCsvCells(run: BenchRun): CsvCell[] {
  const measured = run.groups.find((g) => g.role !== 'repliers') ?? run.groups[0];
  return [
    run.id,
    run.startedAt,
    run.finishedAt,
    run.mode,
    run.label,
    run.params.msgs,
    run.params.size,
    run.params.pub,
    run.params.sub,
    run.params.storage,
    run.params.window,
    run.params.consumer,
    run.params.batch,
    run.totals.durationMs,
    run.totals.msgsPerSec,
    run.totals.bytesPerSec,
    measured?.minMsgsPerSec ?? null,
    measured?.avgMsgsPerSec ?? null,
    measured?.maxMsgsPerSec ?? null,
    run.latency?.measures ?? null,
    run.latency?.samples ?? null,
    run.latency?.p50Ms ?? null,
    run.latency?.p90Ms ?? null,
    run.latency?.p99Ms ?? null,
    run.latency?.p999Ms ?? null,
    run.environment.serverVersion,
    run.environment.clientVersion,
    run.environment.appVersion,
    run.environment.nodeVersion,
    run.environment.cpus,
    run.environment.cpuModel
  ];
}

/** A header line and one line per run, CRLF-terminated as RFC 4180 asks. */
export function runsToCsv(runs: readonly BenchRun[]): string {
  return toCsv([[...CSV_COLUMNS], ...runs.map(runCsvCells)], { eol: '\r\n' });
}
