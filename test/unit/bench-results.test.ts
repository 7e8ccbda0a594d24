import { describe, expect, it } from 'vitest';
import { BenchParamsSchema, BenchRunSchema, type BenchRun } from '../../main/contract';
import {
  aggregateRate,
  compareRuns,
  csvField,
  groupStats,
  latencySummary,
  mergeSamples,
  parameterDifferences,
  percentile,
  runsToCsv,
  summarizeRun,
  CSV_COLUMNS
} from '../../main/bench/results';
import {
  benchStreamName,
  benchSubjectPrefix,
  parseStreamOwner,
  preflightProblem,
  streamDescription
} from '../../main/bench/runner';
import { splitMessages } from '../../main/bench/modes';
import { newRunId } from '../../main/bench/module';
import { PIPELINE_INPUT_TYPE, buildPipelineInput } from '../../main/bench/pipeline';
import { validateEnvelope } from '../../main/contract/messages';

function run(overrides: Partial<BenchRun> = {}, params: Record<string, unknown> = {}): BenchRun {
  const base: BenchRun = {
    id: 'r1',
    mode: 'js-pub-async',
    params: BenchParamsSchema.parse({ mode: 'js-pub-async', msgs: 1000, ...params }),
    label: null,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    stream: 'SYNOS_BENCH_R1',
    totals: { msgs: 1000, bytes: 128_000, durationMs: 1000, msgsPerSec: 1000, bytesPerSec: 128_000 },
    groups: [
      groupStats('publishers', [
        { name: 'pub-1', msgs: 500, bytes: 64_000, startMs: 0, endMs: 1000 },
        { name: 'pub-2', msgs: 500, bytes: 64_000, startMs: 0, endMs: 500 }
      ])
    ],
    latency: latencySummary('publish → PubAck', [1, 2, 3, 4]),
    environment: {
      serverVersion: '2.9.10',
      serverName: 'n',
      clientVersion: '3.4.0',
      appVersion: '0.1.0',
      nodeVersion: 'v20.0.0',
      platform: 'linux',
      arch: 'x64',
      cpus: 2,
      cpuModel: 'cpu',
      totalMemoryBytes: 1
    }
  };
  return BenchRunSchema.parse({ ...base, ...overrides });
}

describe('percentiles', () => {
  it('uses the nearest rank, so a reported percentile is always a measured sample', () => {
    const sorted = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(500);
    expect(percentile(sorted, 90)).toBe(900);
    expect(percentile(sorted, 99)).toBe(990);
    expect(percentile(sorted, 99.9)).toBe(999);
    expect(percentile(sorted, 100)).toBe(1000);
    expect(percentile(sorted, 0)).toBe(1);
    expect(percentile([7], 99.9)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('summarises unsorted samples in order, and nothing without samples', () => {
    const samples = [5, 1, 4, 2, 3, 100, 6, 7, 8, 9];
    const l = latencySummary('x', samples);
    expect(l).toMatchObject({
      samples: 10,
      minMs: 1,
      maxMs: 100,
      p50Ms: 5,
      p90Ms: 9,
      p99Ms: 100,
      p999Ms: 100,
      meanMs: 14.5
    });
    expect(samples[0]).toBe(5); // the input is not sorted in place
    expect(latencySummary('x', [])).toBeNull();
  });

  it('merges per-client samples', () => {
    expect(Array.from(mergeSamples([Float64Array.of(1, 2), new Float64Array(0), Float64Array.of(3)]))).toEqual([
      1, 2, 3
    ]);
  });
});

describe('aggregation like nats bench', () => {
  it('rates a group over the span from the first start to the last end, with the spread of client rates', () => {
    const g = groupStats('publishers', [
      { name: 'pub-1', msgs: 1000, bytes: 128_000, startMs: 100, endMs: 1100 },
      { name: 'pub-2', msgs: 1000, bytes: 128_000, startMs: 100, endMs: 2100 }
    ]);
    expect(g.aggregate).toEqual({
      msgs: 2000,
      bytes: 256_000,
      durationMs: 2000,
      msgsPerSec: 1000,
      bytesPerSec: 128_000
    });
    expect(g.clients.map((c) => c.msgsPerSec)).toEqual([1000, 500]);
    expect(g.minMsgsPerSec).toBe(500);
    expect(g.avgMsgsPerSec).toBe(750);
    expect(g.maxMsgsPerSec).toBe(1000);
    expect(g.stddevMsgsPerSec).toBe(250);
  });

  it('gives an empty or instantaneous group finite figures', () => {
    expect(aggregateRate([])).toEqual({ msgs: 0, bytes: 0, durationMs: 0, msgsPerSec: 0, bytesPerSec: 0 });
    const instant = aggregateRate([{ name: 'a', msgs: 1, bytes: 1, startMs: 5, endMs: 5 }]);
    expect(Number.isFinite(instant.msgsPerSec)).toBe(true);
  });

  it('splits messages over clients, the first ones taking the remainder', () => {
    expect(splitMessages(10, 3)).toEqual([4, 3, 3]);
    expect(splitMessages(2, 4)).toEqual([1, 1, 0, 0]);
    expect(splitMessages(100_000, 1)).toEqual([100_000]);
  });
});

describe('comparison and export', () => {
  it('lines up every metric per run with the change against the first', () => {
    const a = run({ id: 'a' });
    const b = run({
      id: 'b',
      totals: { msgs: 1000, bytes: 128_000, durationMs: 500, msgsPerSec: 2000, bytesPerSec: 256_000 },
      latency: null
    });
    const c = compareRuns([a, b]);
    expect(c.runs.map((r) => r.id)).toEqual(['a', 'b']);
    const rate = c.series.find((s) => s.key === 'msgsPerSec');
    expect(rate).toMatchObject({ values: [1000, 2000], change: [0, 1], better: 'higher' });
    expect(c.series.find((s) => s.key === 'p99Ms')).toMatchObject({
      values: [4, null],
      change: [0, null],
      better: 'lower'
    });
    expect(c.series.find((s) => s.key === 'minClientMsgsPerSec')?.values).toEqual([500, 500]);
    expect(c.differences).toEqual([]);
  });

  it('names the parameters and environment facts in which runs differ', () => {
    const a = run({ id: 'a' });
    const b = run(
      { id: 'b', environment: { ...a.environment, serverVersion: '2.10.0' } },
      { size: 1024, storage: 'memory' }
    );
    expect(parameterDifferences([a, b])).toEqual([
      'size: 128 / 1024',
      'storage: file / memory',
      'server: 2.9.10 / 2.10.0'
    ]);
  });

  it('writes RFC 4180 CSV with a header, quoting only where needed and defusing formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=SUM(A1)')).toBe("'=SUM(A1)");
    expect(csvField(null)).toBe('');
    expect(csvField(Number.NaN)).toBe('');
    expect(csvField(12.5)).toBe('12.5');
    const text = runsToCsv([run({ id: 'a', label: 'after upgrade, "fast"' })]);
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines[1]).toContain('"after upgrade, ""fast"""');
    expect(lines[1]?.split(',')[0]).toBe('a');
    expect(lines[2]).toBe('');
    expect(runsToCsv([])).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
  });

  it('summarises a run for the history list', () => {
    expect(summarizeRun(run({ id: 'a', label: 'x' }))).toEqual({
      id: 'a',
      mode: 'js-pub-async',
      label: 'x',
      startedAt: '2026-01-01T00:00:00.000Z',
      msgs: 1000,
      size: 128,
      pub: 1,
      sub: 1,
      storage: 'file',
      msgsPerSec: 1000,
      bytesPerSec: 128_000,
      p50Ms: 2,
      p99Ms: 4,
      serverVersion: '2.9.10'
    });
  });
});

describe('run identity', () => {
  it('gives each run a unique, time-ordered id usable in a stream name and a subject', () => {
    const ids = new Set(Array.from({ length: 200 }, () => newRunId()));
    expect(ids.size).toBe(200);
    expect(newRunId(1_700_000_000_000) < newRunId(1_700_000_000_001)).toBe(true);
    const id = newRunId();
    expect(id).toMatch(/^[a-z0-9]+$/);
    expect(benchStreamName(id)).toMatch(/^SYNOS_BENCH_[A-Z0-9]+$/);
    expect(benchSubjectPrefix(id)).toBe(`synos_bench.${id}`);
    expect(benchStreamName('a.b c')).toBe('SYNOS_BENCH_A_B_C');
  });

  it('applies nats bench defaults and bounds to the parameters', () => {
    expect(BenchParamsSchema.parse({ mode: 'pub' })).toMatchObject({
      msgs: 100_000,
      size: 128,
      pub: 1,
      sub: 1,
      storage: 'file',
      window: 256,
      consumer: 'ordered'
    });
    expect(BenchParamsSchema.safeParse({ mode: 'pub', msgs: 0 }).success).toBe(false);
    expect(BenchParamsSchema.safeParse({ mode: 'pub', pub: 65 }).success).toBe(false);
    expect(BenchParamsSchema.safeParse({ mode: 'pub', extra: 1 }).success).toBe(false);
  });
});

describe('leftover streams', () => {
  it('names the owner in the stream description and reads it back', () => {
    const text = streamDescription('abc', 'js-pub-async', 'host-1', 4242);
    expect(text).toContain('bench run abc');
    expect(parseStreamOwner(text)).toEqual({ host: 'host-1', pid: 4242 });
    expect(parseStreamOwner('a stream someone else made')).toBeNull();
  });
});

describe('pipeline messages', () => {
  it('builds valid service health inputs of at least the requested size, each with its own id', () => {
    const small = buildPipelineInput('r1', 1, 0);
    const big = buildPipelineInput('r1', 2, 4096);
    expect(small.id).not.toBe(big.id);
    expect(big.bytes.length).toBeGreaterThanOrEqual(4096);
    for (const m of [small, big]) {
      const checked = validateEnvelope(m.bytes, { expectedType: PIPELINE_INPUT_TYPE });
      expect(checked.ok).toBe(true);
      if (checked.ok) expect(checked.envelope.id).toBe(m.id);
    }
  });
});

describe('preflight', () => {
  const p = (input: Record<string, unknown>) => BenchParamsSchema.parse({ mode: 'pub', msgs: 10, ...input });
  const driver = (reason: string | null) => ({
    unavailableReason: () => reason,
    run: () => Promise.reject(new Error('not used'))
  });
  it('refuses what cannot run, with the reason, and lets the rest through', () => {
    const info = { max_payload: 1024, jetstream: true };
    expect(preflightProblem(p({ size: 1024 }), info, null)).toBeNull();
    expect(preflightProblem(p({ size: 1025 }), info, null)).toMatchObject({ code: 'INVALID_INPUT' });
    expect(preflightProblem(p({ mode: 'js-pub-sync' }), { max_payload: 1024, jetstream: false }, null)).toMatchObject({
      code: 'UNAVAILABLE'
    });
    expect(preflightProblem(p({ mode: 'pubsub' }), { max_payload: 1024, jetstream: false }, null)).toBeNull();
    // Without server info yet, the runner checks again on its own connection.
    expect(preflightProblem(p({ mode: 'js-pub-sync' }), null, null)).toBeNull();
    expect(preflightProblem(p({ mode: 'pipeline' }), info, null)).toMatchObject({ code: 'UNAVAILABLE' });
    expect(preflightProblem(p({ mode: 'pipeline' }), info, driver('disk gone'))?.message).toContain('disk gone');
    expect(preflightProblem(p({ mode: 'pipeline', pub: 2 }), info, driver(null))).toMatchObject({
      code: 'INVALID_INPUT'
    });
    expect(preflightProblem(p({ mode: 'pipeline' }), info, driver(null))).toBeNull();
  });
});
