/**
 * The benchmark runner against a real nats-server: every mode runs small and returns sane
 * figures, cancelling mid-run cleans up, the product streams are untouched, and the results are
 * kept, compared and exported — through the contract and through the built CLI.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchFinished, BenchParamsInput, BenchProgress, BenchRun } from '../../main/contract';
import { BENCH_STREAM_PREFIX, streamDescription } from '../../main/bench/runner';
import type { Core } from '../../main/app/create-core';
import { desiredStreams } from '../../main/nats/topology/topology';
import { useServerAndCore } from '../harness/server-and-core';
import { createTestCore } from '../harness/core';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { usePrivateCli } from '../harness/private-cli';
import { tempDir, waitFor } from '../harness/temp';

/** Only the areas under test: the rest of the core is built by other work in progress. */

async function benchStreams(jsm: JetStreamManager): Promise<string[]> {
  const names: string[] = [];
  for await (const name of jsm.streams.names()) if (name.startsWith(BENCH_STREAM_PREFIX)) names.push(name);
  return names;
}

/** Everything about the product streams a benchmark could disturb: config, counts, sequences. */
async function productStreamsState(jsm: JetStreamManager): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const s of desiredStreams()) {
    const info = await jsm.streams.info(s.name);
    out[s.name] = {
      config: info.config,
      messages: info.state.messages,
      bytes: info.state.bytes,
      first: info.state.first_seq,
      last: info.state.last_seq,
      consumers: info.state.consumer_count
    };
  }
  return out;
}

/** Starts a run through the contract and waits for its end. */
async function runThroughContract(
  core: Core,
  params: BenchParamsInput,
  onProgress?: (p: BenchProgress) => void
): Promise<{ finished: BenchFinished; run: BenchRun | null; progress: BenchProgress[] }> {
  const finishedById = new Map<string, BenchFinished>();
  const progress: BenchProgress[] = [];
  const offF = core.api.subscribe('bench.finished', (f) => finishedById.set(f.runId, f));
  const offP = core.api.subscribe('bench.progress', (p) => {
    progress.push(p);
    onProgress?.(p);
  });
  try {
    const { runId } = await core.api.invoke('bench.start', params);
    const finished = await waitFor(() => finishedById.get(runId), {
      timeoutMs: 120_000,
      message: `run ${runId} to finish`
    });
    const run = finished.status === 'completed' ? await core.api.invoke('bench.get', { id: runId }) : null;
    return { finished, run, progress };
  } finally {
    offF();
    offP();
  }
}

function expectSane(run: BenchRun, expectedMsgs: number): void {
  expect(run.totals.msgs).toBe(expectedMsgs);
  expect(run.totals.msgsPerSec).toBeGreaterThan(0);
  expect(run.totals.bytesPerSec).toBeGreaterThan(0);
  expect(run.totals.durationMs).toBeGreaterThan(0);
  for (const g of run.groups) {
    expect(g.clients.reduce((sum, c) => sum + c.msgs, 0)).toBe(g.aggregate.msgs);
    expect(g.minMsgsPerSec).toBeLessThanOrEqual(g.avgMsgsPerSec);
    expect(g.avgMsgsPerSec).toBeLessThanOrEqual(g.maxMsgsPerSec + 0.1);
  }
  if (run.latency) {
    const l = run.latency;
    expect(l.minMs).toBeGreaterThan(0);
    expect(l.minMs).toBeLessThanOrEqual(l.p50Ms);
    expect(l.p50Ms).toBeLessThanOrEqual(l.p90Ms);
    expect(l.p90Ms).toBeLessThanOrEqual(l.p99Ms);
    expect(l.p99Ms).toBeLessThanOrEqual(l.p999Ms);
    expect(l.p999Ms).toBeLessThanOrEqual(l.maxMs);
  }
  expect(run.environment.serverVersion).toMatch(/^\d+\.\d+\.\d+/);
  expect(run.environment.clientVersion).toMatch(/^\d+\.\d+\.\d+/);
  expect(run.environment.cpus).toBeGreaterThan(0);
}

describe('benchmarks against a real nats-server', () => {
  let before: unknown;
  const env = useServerAndCore({
    // This core does not provision either: only the benchmarks act on the server.
    core: { overrides: { provision: false } },
    async prepare({ js, jsm }) {
      // The five product streams, with a message each: the benchmarks must leave them exactly so.
      for (const s of desiredStreams()) {
        await jsm.streams.add({ name: s.name, subjects: s.subjects, storage: s.storage, num_replicas: 1 });
        await js.publish((s.subjects[0] ?? '').replace('>', 'seed'), new TextEncoder().encode('{}'));
      }
      before = await productStreamsState(jsm);
    }
  });

  const cases: Array<{ name: string; params: BenchParamsInput; expected: number; latency: boolean; roles: string[] }> =
    [
      {
        name: 'core publish',
        params: { mode: 'pub', msgs: 5000, pub: 2 },
        expected: 5000,
        latency: false,
        roles: ['publishers']
      },
      {
        name: 'publish/subscribe (every subscriber gets every message)',
        params: { mode: 'pubsub', msgs: 3000, pub: 2, sub: 2 },
        expected: 3000 + 2 * 3000,
        latency: false,
        roles: ['publishers', 'subscribers']
      },
      {
        name: 'request/reply with a queue group of repliers',
        params: { mode: 'reqrep', msgs: 1000, pub: 2, sub: 2 },
        expected: 1000,
        latency: true,
        roles: ['requesters', 'repliers']
      },
      {
        name: 'JetStream publish, sync',
        params: { mode: 'js-pub-sync', msgs: 1000 },
        expected: 1000,
        latency: true,
        roles: ['publishers']
      },
      {
        name: 'JetStream publish, async window, memory storage',
        params: { mode: 'js-pub-async', msgs: 3000, pub: 2, window: 64, storage: 'memory' },
        expected: 3000,
        latency: true,
        roles: ['publishers']
      },
      {
        name: 'JetStream consume with ordered consumers (each reads the whole stream)',
        params: { mode: 'js-consume', msgs: 2000, sub: 2, consumer: 'ordered' },
        expected: 2 * 2000,
        latency: false,
        roles: ['consumers']
      },
      {
        name: 'JetStream consume with a shared fetch consumer',
        params: { mode: 'js-consume', msgs: 2000, sub: 2, consumer: 'fetch', batch: 100 },
        expected: 2000,
        latency: false,
        roles: ['consumers']
      },
      {
        name: "the app's pipeline (inbound CloudEvent → consumer → engine → outbox commit → ack; outputs → PubAck)",
        params: { mode: 'pipeline', msgs: 2000, window: 128 },
        expected: 2000,
        latency: true,
        roles: ['publishers']
      },
      {
        name: "the app's pipeline flat out (--rate 0, 128 events in flight)",
        params: { mode: 'pipeline', msgs: 2000, window: 128, rate: 0 },
        expected: 2000,
        latency: true,
        roles: ['publishers']
      }
    ];

  for (const c of cases) {
    it(`${c.name}: counts every message, positive rates, ordered percentiles, no stream left`, async () => {
      let sawStream = false;
      const { finished, run, progress } = await runThroughContract(env.core, c.params, (p) => {
        if (p.phase === 'running' && p.done > 0 && !sawStream) sawStream = true;
      });
      expect(finished.error).toBeNull();
      expect(finished.status).toBe('completed');
      expect(run).not.toBeNull();
      const r = run as BenchRun;
      expectSane(r, c.expected);
      expect(r.groups.map((g) => g.role)).toEqual(c.roles);
      expect(r.latency !== null).toBe(c.latency);
      if (r.latency) expect(r.latency.samples).toBe(c.params.msgs);
      if (r.latency && c.params.mode === 'pipeline') {
        // The split: each event's time to its commit and ack is part of its whole latency.
        const split = /commit and ack p50 ([\d.]+) ms, p99 ([\d.]+) ms/.exec(r.latency.measures);
        expect(split).not.toBeNull();
        expect(Number(split?.[1])).toBeLessThanOrEqual(r.latency.p50Ms + 0.01);
        expect(Number(split?.[2])).toBeLessThanOrEqual(r.latency.p99Ms + 0.01);
      }
      expect(finished.run?.msgsPerSec).toBe(r.totals.msgsPerSec);
      expect(progress.at(-1)?.phase).toBe('cleanup');
      if (r.mode.startsWith('js-') || r.mode === 'pipeline') expect(r.stream).toMatch(/^SYNOS_BENCH_/);
      else expect(r.stream).toBeNull();
      expect(await benchStreams(env.jsm)).toEqual([]);
      // The pipeline's temporary outbox is gone too.
      expect(fs.readdirSync(env.core.context.config.dataDir).filter((f) => f.startsWith('bench-pipeline-'))).toEqual(
        []
      );
    });
  }

  it('cancelling mid-run stops promptly, keeps nothing and deletes the temporary stream', async () => {
    const finishedById = new Map<string, BenchFinished>();
    const off = env.core.api.subscribe('bench.finished', (f) => finishedById.set(f.runId, f));
    let running: BenchProgress | null = null;
    const offP = env.core.api.subscribe('bench.progress', (p) => {
      if (p.phase === 'running' && p.done > 0) running = p;
    });
    try {
      const { runId, stream } = await env.core.api.invoke('bench.start', { mode: 'js-pub-async', msgs: 5_000_000 });
      expect(stream).toMatch(/^SYNOS_BENCH_/);
      await waitFor(() => running, { timeoutMs: 30_000, message: 'the run to be publishing' });
      expect(await benchStreams(env.jsm)).toEqual([stream]);
      // A second run while one is going would measure both: refused.
      await expect(env.core.api.invoke('bench.start', { mode: 'pub', msgs: 10 })).rejects.toMatchObject({
        code: 'CONFLICT'
      });
      expect((await env.core.api.invoke('bench.active', {})).progress?.runId).toBe(runId);
      const answer = await env.core.api.invoke('bench.cancel', { runId });
      expect(answer.cancelled).toBe(true);
      const finished = finishedById.get(runId);
      expect(finished?.status).toBe('cancelled');
      expect(finished?.error?.code).toBe('CANCELLED');
      expect(await benchStreams(env.jsm)).toEqual([]);
      expect((await env.core.api.invoke('bench.active', {})).progress).toBeNull();
      await expect(env.core.api.invoke('bench.get', { id: runId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await env.core.api.invoke('bench.cancel', { runId })).cancelled).toBe(false);
    } finally {
      off();
      offP();
    }
  });

  it('cancelling a pipeline run removes its temporary outbox and stream', async () => {
    let running = false;
    const offP = env.core.api.subscribe('bench.progress', (p) => {
      if (p.phase === 'running' && p.done > 0) running = true;
    });
    const finishedById = new Map<string, BenchFinished>();
    const offF = env.core.api.subscribe('bench.finished', (f) => finishedById.set(f.runId, f));
    try {
      const { runId } = await env.core.api.invoke('bench.start', { mode: 'pipeline', msgs: 2_000_000 });
      await waitFor(() => running, { timeoutMs: 30_000, message: 'the pipeline run to be publishing' });
      expect(fs.readdirSync(env.core.context.config.dataDir).some((f) => f.startsWith(`bench-pipeline-${runId}`))).toBe(
        true
      );
      expect((await env.core.api.invoke('bench.cancel', { runId })).cancelled).toBe(true);
      expect(finishedById.get(runId)?.status).toBe('cancelled');
      expect(await benchStreams(env.jsm)).toEqual([]);
      await waitFor(
        () => fs.readdirSync(env.core.context.config.dataDir).every((f) => !f.startsWith('bench-pipeline-')),
        {
          message: 'the temporary outbox files to be removed'
        }
      );
    } finally {
      offP();
      offF();
    }
  });

  it('keeps the runs: history, get, compare (series for charts), CSV export, delete', async () => {
    const a = await runThroughContract(env.core, { mode: 'pub', msgs: 2000, label: 'baseline' });
    const b = await runThroughContract(env.core, { mode: 'pub', msgs: 2000, size: 512 });
    const idA = a.finished.runId;
    const idB = b.finished.runId;

    const history = await env.core.api.invoke('bench.history', { mode: 'pub' });
    expect(history.runs.slice(0, 2).map((r) => r.id)).toEqual([idB, idA]);
    expect(history.runs[1]?.label).toBe('baseline');
    const all = await env.core.api.invoke('bench.history', {});
    expect(all.total).toBeGreaterThanOrEqual(cases.length + 2);

    const comparison = await env.core.api.invoke('bench.compare', { ids: [idA, idB] });
    expect(comparison.runs.map((r) => r.id)).toEqual([idA, idB]);
    const rate = comparison.series.find((s) => s.key === 'msgsPerSec');
    expect(rate?.values).toEqual([a.run?.totals.msgsPerSec, b.run?.totals.msgsPerSec]);
    expect(rate?.change[0]).toBe(0);
    expect(comparison.series.find((s) => s.key === 'p99Ms')?.values).toEqual([null, null]);
    expect(comparison.differences).toEqual(['size: 128 / 512']);

    const csv = await env.core.api.invoke('bench.exportCsv', { ids: [idA, idB] });
    expect(csv.rows).toBe(2);
    const lines = csv.csv.trimEnd().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('msgs_per_sec');
    expect(lines[1]).toContain(idA);
    expect(lines[1]).toContain('baseline');

    await expect(env.core.api.invoke('bench.compare', { ids: [idA, 'nope'] })).rejects.toMatchObject({
      code: 'NOT_FOUND'
    });
    expect((await env.core.api.invoke('bench.delete', { id: idB })).deleted).toBe(true);
    expect((await env.core.api.invoke('bench.delete', { id: idB })).deleted).toBe(false);
    await expect(env.core.api.invoke('bench.get', { id: idB })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('rejects bad parameters and sizes above max_payload with a next step', async () => {
    await expect(env.core.api.invoke('bench.start', { mode: 'pub', msgs: 0 } as never)).rejects.toMatchObject({
      code: 'INVALID_INPUT'
    });
    await expect(env.core.api.invoke('bench.start', { mode: 'warp' } as never)).rejects.toMatchObject({
      code: 'INVALID_INPUT'
    });
    // What the connection already tells (max_payload, JetStream) fails the request itself.
    await expect(
      env.core.api.invoke('bench.start', { mode: 'pub', msgs: 10, size: 2 * 1024 * 1024 })
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('max_payload')
    });
    await expect(env.core.api.invoke('bench.start', { mode: 'pipeline', msgs: 10, pub: 2 })).rejects.toMatchObject({
      code: 'INVALID_INPUT'
    });
    expect((await env.core.api.invoke('bench.active', {})).progress).toBeNull();
    expect(await benchStreams(env.jsm)).toEqual([]);
  });

  it('deletes streams left by a run whose process died on this host, and only those', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    await env.jsm.streams.add({
      name: 'SYNOS_BENCH_CRASHED',
      subjects: ['synos_bench.crashed.>'],
      description: streamDescription('crashed', 'js-pub-async', os.hostname(), dead)
    });
    await env.jsm.streams.add({
      name: 'SYNOS_BENCH_ALIVE',
      subjects: ['synos_bench.alive.>'],
      description: streamDescription('alive', 'js-pub-async', os.hostname(), process.pid)
    });
    await env.jsm.streams.add({
      name: 'SYNOS_BENCH_ELSEWHERE',
      subjects: ['synos_bench.elsewhere.>'],
      description: streamDescription('elsewhere', 'js-pub-async', 'another-host', dead)
    });
    try {
      const { finished } = await runThroughContract(env.core, { mode: 'js-pub-sync', msgs: 10 });
      expect(finished.status).toBe('completed');
      expect((await benchStreams(env.jsm)).sort()).toEqual(['SYNOS_BENCH_ALIVE', 'SYNOS_BENCH_ELSEWHERE']);
    } finally {
      for (const name of await benchStreams(env.jsm)) await env.jsm.streams.delete(name);
    }
  });

  it('never touched the product streams', async () => {
    expect(await productStreamsState(env.jsm)).toEqual(before);
  });
});

describe('benchmarks without a usable server', () => {
  it('refuses to start while disconnected, and JetStream modes on a server without JetStream', async () => {
    const server = await startNatsServer({ jetstream: false });
    const core = createTestCore({ servers: [server.url], overrides: { provision: false } });
    await core.start();
    try {
      await expect(core.api.invoke('bench.start', { mode: 'pub', msgs: 10 })).rejects.toMatchObject({
        code: 'NOT_CONNECTED'
      });
      await core.api.invoke('connection.connect', {});
      await expect(core.api.invoke('bench.start', { mode: 'js-pub-async', msgs: 10 })).rejects.toMatchObject({
        code: 'UNAVAILABLE',
        message: expect.stringContaining('JetStream')
      });
      // Core modes still work there.
      const core2 = await runThroughContract(core, { mode: 'pubsub', msgs: 100 });
      expect(core2.run?.totals.msgs).toBe(200);
      await expect(core.api.invoke('bench.start', { mode: 'pipeline', msgs: 10 })).rejects.toMatchObject({
        code: 'UNAVAILABLE'
      });
    } finally {
      await core.stop();
      await server.stop();
    }
  });
});

describe('a server that goes away mid-run', () => {
  it('fails the run with the NATS error instead of waiting forever', async () => {
    const server = await startNatsServer();
    const core = createTestCore({ servers: [server.url], overrides: { provision: false } });
    await core.start();
    try {
      await core.api.invoke('connection.connect', {});
      let killed = false;
      const { finished } = await runThroughContract(core, { mode: 'js-pub-async', msgs: 5_000_000 }, (p) => {
        if (!killed && p.phase === 'running' && p.done > 0) {
          killed = true;
          void server.kill9();
        }
      });
      expect(killed).toBe(true);
      expect(finished.status).toBe('failed');
      expect(finished.error?.code).toMatch(/^NATS_|^TIMEOUT$/);
      expect((await core.api.invoke('bench.active', {})).progress).toBeNull();
    } finally {
      await core.stop();
      await server.stop();
    }
  });
});

describe('synos-cc bench (the built CLI)', () => {
  let server: NatsServerHandle;
  let data: string;
  // The bundled binary, built from the current sources for this file alone (a shared out/cli
  // rebuilt here raced the other tests running it).
  const built = usePrivateCli();
  beforeAll(async () => {
    server = await startNatsServer();
    data = tempDir();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const cli = (...args: string[]) => built.run(['--nats', server.url, '--data', data, ...args], { timeoutMs: 120_000 });

  it('runs a mode as JSON with msgs_per_sec, lists, compares and exports the kept runs', () => {
    const first = cli('bench', 'js-pub-async', '--msgs', '2k', '--clients', '2', '--window', '32', '--json');
    expect(first.stderr).not.toContain('error');
    expect(first.code).toBe(0);
    const a = JSON.parse(first.stdout) as BenchRun & { msgs_per_sec: number };
    expect(a.msgs_per_sec).toBeGreaterThan(0);
    expect(a.params.pub).toBe(2);
    expect(a.totals.msgs).toBe(2000);

    const second = cli('bench', 'pub', '--msgs', '2000', '--size', '1KB');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('msgs/s');
    expect(second.stdout).toMatch(/publishers\s+aggregate\s+2,000/);
    const idB = /^pub run (\S+)/.exec(second.stdout)?.[1];
    expect(idB).toBeTruthy();

    const history = cli('bench', 'history', '--json');
    expect(history.code).toBe(0);
    const listed = JSON.parse(history.stdout) as { runs: Array<{ id: string; size: number }> };
    expect(listed.runs.map((r) => r.id)).toEqual([idB, a.id]);
    expect(listed.runs[0]?.size).toBe(1024);

    const table = cli('bench', 'history');
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+STARTED\s+MODE/);

    const compare = cli('bench', 'compare', a.id, idB as string);
    expect(compare.code).toBe(0);
    expect(compare.stdout).toContain('msgs/s');
    expect(compare.stdout).toContain('note: the runs differ in mode: js-pub-async / pub');

    const file = path.join(data, 'runs.csv');
    const exported = cli('bench', 'export', '--csv', file);
    expect(exported.code).toBe(0);
    expect(fs.readFileSync(file, 'utf8').trimEnd().split('\r\n')).toHaveLength(3);

    const bad = cli('bench', 'pub', '--msgs', 'lots');
    expect(bad.code).toBe(2);
    const missing = cli('bench', 'show', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NOT_FOUND');
  });

  it('Ctrl+C cancels a run and leaves no stream behind', async () => {
    const child = spawn(
      process.execPath,
      [built.file, '--nats', server.url, '--data', data, 'bench', 'js-pub-async', '--msgs', '5000000'],
      { env: { ...process.env, NATS_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] }
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor(() => /running: [1-9]/.test(stderr), {
      timeoutMs: 30_000,
      message: `a progress line, got: ${stderr}`
    });
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(1);
    expect(stderr).toContain('CANCELLED');
    const nc = await connect({ servers: server.url });
    try {
      expect(await benchStreams(await jetstreamManager(nc))).toEqual([]);
    } finally {
      await nc.close();
    }
  });
});
