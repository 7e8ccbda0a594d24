/**
 * Durability benchmarks (`npm run bench:durability`), each against a baseline measured in the same
 * run on the same nats-server:
 *  0. the real path, as `synos-cc bench pipeline` runs it (inbound CloudEvent → durable consumer →
 *     validation → engine → one SQLite transaction → ack; outputs → PubAck), with
 *     synchronous=NORMAL and FULL, at 1,000 events/s offered and flat out; next to `bench
 *     js-pub-async` (same runner, same server) and an async JetStream publisher written with the Go
 *     client (test/bench/go/js-pub-async; skipped with a message where Go is absent), and the
 *     floor under the path: the same JetStream traffic per event with nothing in between, written
 *     with nats.go (test/bench/go/pipeline-floor). Targets, printed not asserted: pipeline ≥ 0.8×
 *     js-pub-async, js-pub-async ≥ 0.6× Go, p99 < 5 ms at 1,000 events/s;
 *  1. the outbox publish path alone: engine event → envelope validation → outbox (SQLite, group
 *     commit) → JetStream PubAck, as a ratio of raw JetStream async publish with the official client;
 *  2. drain of a 100,000-message backlog after reconnect, as a ratio of raw (target ≥ 0.5);
 *  3. outbox insert rate with synchronous=NORMAL and FULL, group-committed and one transaction
 *     per message.
 * Prints the figures; exits non-zero only if something fails to run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BenchParamsSchema, type BenchParamsInput, type BenchRun } from '../../main/contract/bench';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { validateEnvelope } from '../../main/contract/messages';
import { silentLogger } from '../../main/core/logger';
import { newMessageId } from '../../main/core/message-id';
import type { OutboundMessage } from '../../main/core/outbound';
import { AsyncJetStreamPublisher } from '../../main/nats/messages/async-publisher';
import { buildConnectOptions } from '../../main/nats/connection/connect-options';
import { ResilienceManager } from '../../main/resilience/breakers';
import { OutboxPublisher } from '../../main/resilience/outbox-publisher';
import { OutboxStore } from '../../main/resilience/outbox-store';
import { ReplayManager } from '../../main/resilience/replay-manager';
import { startBackgroundCheckpoints } from '../../main/store/checkpointer';
import { openDatabase, type Database } from '../../main/store/database';
import { nativeBinding } from '../../main/store/native-binding';
import { realPathRunner } from './real-path';
import { MIGRATIONS } from '../../main/store/migrations';
import { startNatsServer, natsServerVersion } from '../harness/nats-server';
import { cpuMs } from '../harness/proc-stat';
import { tempDir } from '../harness/temp';

const PIPELINE_MESSAGES = Number(process.env.BENCH_PIPELINE_MESSAGES ?? 30_000);
const BACKLOG_MESSAGES = Number(process.env.BENCH_BACKLOG_MESSAGES ?? 100_000);
const INSERT_MESSAGES = Number(process.env.BENCH_INSERT_MESSAGES ?? 50_000);
const SINGLE_TX_MESSAGES = Number(process.env.BENCH_SINGLE_TX_MESSAGES ?? 2_000);
const WINDOW = 1024;
const REAL_FIXED_EVENTS = Number(process.env.BENCH_REAL_FIXED_EVENTS ?? 5_000);
const REAL_FLAT_EVENTS = Number(process.env.BENCH_REAL_FLAT_EVENTS ?? 20_000);
const JS_PUB_MESSAGES = Number(process.env.BENCH_JS_PUB_MESSAGES ?? 100_000);
const GO_BINARY = path.resolve('out/bench/js-pub-async-go');
const GO_FLOOR_BINARY = path.resolve('out/bench/pipeline-floor-go');
/** Outputs per input event of the real path's workload: two memory updates, a decision or a learning event, and the orchestrator forward of each. */
const FLOOR_OUTPUTS = 6;
/** One encoder, as the bridge has (main/bridge/bridge.ts). */
const encoder = new TextEncoder();
const STREAM = 'BENCH_DURABILITY';

function rate(n: number, ms: number): number {
  return Math.round((n / ms) * 1000);
}

function stateChange(i: number): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: newMessageId(),
    source: 'synos-control-center/engine',
    type: 'consciousness.state_change',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    priority: 'normal',
    data: {
      focus: `service-${i % 17}`,
      valence: 0.1,
      arousal: 0.4,
      confidence: 0.6,
      curiosity: 0.5,
      load: 0.3,
      mode: 'adaptive',
      open_problems: i % 3
    }
  };
}

/** Raw JetStream async publish with the official client: a window of WINDOW PubAcks in flight. */
async function rawPublish(js: JetStreamClient, n: number, subject: string, payload: Uint8Array): Promise<number> {
  return windowed(n, () => js.publish(subject, payload));
}

/** The app's PubAck publisher alone, same window, no outbox: what durability itself costs. */
async function publisherOnly(nc: NatsConnection, n: number, subject: string, payload: Uint8Array): Promise<number> {
  const publisher = new AsyncJetStreamPublisher(nc);
  try {
    return await windowed(n, () => publisher.publish(subject, payload, { msgID: newMessageId() }));
  } finally {
    publisher.close();
  }
}

/** Runs `n` sends keeping WINDOW of them in flight; returns the elapsed ms. */
async function windowed(n: number, send: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  const inflight = new Set<Promise<unknown>>();
  for (let i = 0; i < n; i++) {
    const p: Promise<unknown> = send().then(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= WINDOW) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  return performance.now() - started;
}

interface Pipeline {
  db: Database;
  store: OutboxStore;
  replay: ReplayManager;
  publisher: OutboxPublisher;
  setConnection(nc: NatsConnection | null): void;
  delivered(): number;
  close(): Promise<void>;
}

function buildPipeline(synchronous: 'NORMAL' | 'FULL', nc: NatsConnection | null): Pipeline {
  const dir = tempDir('synos-bench-');
  const { db } = openDatabase(path.join(dir, 'synos.db'), {
    migrations: MIGRATIONS,
    logger: silentLogger,
    synchronous
  });
  // As a long-running core runs it (create-core.ts): WAL checkpoints in a worker thread.
  const checkpointer = startBackgroundCheckpoints(db, {
    file: path.join(dir, 'synos.db'),
    synchronous,
    nativeBinding: nativeBinding(),
    logger: silentLogger
  });
  const store = new OutboxStore(db);
  const resilience = new ResilienceManager({ db, logger: silentLogger, owner: store.owner });
  let connection = nc;
  const listeners = new Set<(s: { state: string }) => void>();
  const replay = new ReplayManager({
    store,
    resilience,
    logger: silentLogger,
    maxInFlight: WINDOW,
    nats: {
      connection: () => connection,
      onStatus: (l) => {
        listeners.add(l as never);
        return () => listeners.delete(l as never);
      }
    }
  });
  const publisher = new OutboxPublisher(store, { onCommitted: () => replay.wake() });
  replay.start();
  return {
    db,
    store,
    replay,
    publisher,
    setConnection(next) {
      connection = next;
      replay.wake();
    },
    delivered: () => replay.getStats().deliveredTotal,
    async close() {
      publisher.close();
      await replay.stop();
      await checkpointer.stop();
      db.close();
    }
  };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 2));
}

/** Engine events in ticks of 500: each validated, wrapped and handed to the outbox publisher. */
async function pipelineRun(pipeline: Pipeline, n: number, subject: string): Promise<{ ms: number; invalid: number }> {
  const base = pipeline.delivered();
  let invalid = 0;
  const started = performance.now();
  const pending: Array<Promise<void>> = [];
  for (let i = 0; i < n; i++) {
    const envelope = stateChange(i);
    const checked = validateEnvelope(envelope, { subject });
    if (!checked.ok) {
      invalid++;
      continue;
    }
    const message: OutboundMessage = {
      id: checked.envelope.id,
      subject,
      payload: encoder.encode(JSON.stringify(checked.envelope)),
      priority: checked.envelope.priority ?? 'normal'
    };
    pending.push(pipeline.publisher.publish(message));
    if (i % 500 === 499) {
      await Promise.all(pending.splice(0));
    }
  }
  await Promise.all(pending);
  await until(() => pipeline.delivered() - base >= n - invalid);
  return { ms: performance.now() - started, invalid };
}

async function insertRate(synchronous: 'NORMAL' | 'FULL'): Promise<{ grouped: number; single: number }> {
  const pipeline = buildPipeline(synchronous, null);
  try {
    const payload = new TextEncoder().encode(JSON.stringify(stateChange(0)));
    const message = (): OutboundMessage => ({
      id: newMessageId(),
      subject: 'benchdur.insert',
      payload,
      priority: 'normal'
    });
    let started = performance.now();
    const all: Array<Promise<void>> = [];
    for (let i = 0; i < INSERT_MESSAGES; i++) all.push(pipeline.publisher.publish(message()));
    await Promise.all(all);
    const grouped = rate(INSERT_MESSAGES, performance.now() - started);
    started = performance.now();
    for (let i = 0; i < SINGLE_TX_MESSAGES; i++) pipeline.store.enqueue([message()]);
    const single = rate(SINGLE_TX_MESSAGES, performance.now() - started);
    return { grouped, single };
  } finally {
    await pipeline.close();
  }
}

/** Builds a Go program of test/bench/go; null (with the reason printed) where Go or nats.go is missing. */
function buildGo(what: string, dir: string, binary: string): string | null {
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.status !== 0) {
    console.log(
      `${what} skipped: no \`go\` on PATH (Debian: apt-get install golang-go golang-github-nats-io-go-nats-dev)`
    );
    return null;
  }
  try {
    fs.mkdirSync(path.dirname(binary), { recursive: true });
    execFileSync('go', ['build', '-o', binary, dir], {
      env: { ...process.env, GO111MODULE: 'off', GOPATH: process.env.GOPATH ?? '/usr/share/gocode' },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    return binary;
  } catch (error) {
    console.log(
      `${what} skipped: building it failed (${String((error as { stderr?: unknown }).stderr ?? error).trim()})`
    );
    return null;
  }
}

interface FloorRun {
  events_per_sec: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  errors: number;
}

/**
 * The floor under the real path (test/bench/go/pipeline-floor): the same JetStream traffic per
 * event — an input of the bench's size stored and read by a durable with the product's limits,
 * `outputs` JetStream publishes of the outputs' mean size with Nats-Msg-Id, the ack — written with
 * nats.go and nothing in between (no validation, engine or SQLite). `rate` 0 is flat out.
 */
function floorRun(binary: string, serverUrl: string, events: number, rate: number, outputs: number): FloorRun {
  const out = execFileSync(binary, [
    '-server',
    serverUrl,
    '-prefix',
    `benchfloor${Date.now().toString(36)}`,
    '-events',
    String(events),
    '-rate',
    String(rate),
    '-window',
    '256',
    '-outputs',
    String(outputs)
  ]).toString();
  return JSON.parse(out) as FloorRun;
}

/** The real path and its baselines (section 0). */
async function realPath(serverUrl: string, nc: NatsConnection, serverPid: number | undefined): Promise<void> {
  const dataDir = tempDir('synos-bench-real-');
  let runs = 0;
  const run = async (synchronous: 'NORMAL' | 'FULL', input: BenchParamsInput): Promise<BenchRun> => {
    const runner = realPathRunner(serverUrl, dataDir, synchronous);
    return runner.run(`real${Date.now().toString(36)}${++runs}`, BenchParamsSchema.parse(input));
  };
  const ms = (n: number): string => `${n.toFixed(2)} ms`;
  const jsPub = await run('NORMAL', { mode: 'js-pub-async', msgs: JS_PUB_MESSAGES, window: 256 });
  const jsRate = jsPub.totals.msgsPerSec;
  console.log(`bench js-pub-async (${JS_PUB_MESSAGES} × 128 B, window 256): ${Math.round(jsRate)} msg/s`);
  const goBinary = buildGo('Go baseline', './test/bench/go/js-pub-async', GO_BINARY);
  let goRate: number | null = null;
  if (goBinary) {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'BENCH_GO', subjects: ['benchgo.>'], storage: 'file' as never });
    try {
      const out = execFileSync(goBinary, [
        '-server',
        serverUrl,
        '-subject',
        'benchgo.pub',
        '-msgs',
        String(JS_PUB_MESSAGES),
        '-size',
        '128',
        '-window',
        '256'
      ]).toString();
      const result = JSON.parse(out) as { msgs_per_sec: number; errors: number };
      goRate = result.msgs_per_sec;
      console.log(
        `Go nats.go ${'PublishAsync'} (${JS_PUB_MESSAGES} × 128 B, window 256): ${Math.round(goRate)} msg/s${result.errors ? `, ${result.errors} errors` : ''}`
      );
    } finally {
      await jsm.streams.delete('BENCH_GO').catch(() => undefined);
    }
  }
  // CPU per input of this process (the app's path, plus the bench's own publishing of the inputs)
  // and of nats-server (from /proc; Linux only), over one run.
  const cpuPerEvent = async (events: number, measure: () => Promise<BenchRun>): Promise<[BenchRun, string]> => {
    const server = (): number | null => {
      const ms = cpuMs(`/proc/${serverPid}/stat`);
      return ms === null ? null : ms * 1000;
    };
    const s0 = server();
    const c0 = process.cpuUsage();
    const result = await measure();
    const c = process.cpuUsage(c0);
    const s1 = server();
    const own = `${Math.round((c.user + c.system) / events)} µs`;
    const srv = s0 !== null && s1 !== null ? `, nats-server ${Math.round((s1 - s0) / events)} µs` : '';
    return [result, `; CPU per event: this process ${own}${srv}`];
  };
  // The floor, measured right before the app's own runs (its outputs per event as the app's).
  const floorBinary = buildGo(
    'Go floor (test/bench/go/pipeline-floor)',
    './test/bench/go/pipeline-floor',
    GO_FLOOR_BINARY
  );
  const floor = floorBinary
    ? {
        fixed: floorRun(floorBinary, serverUrl, REAL_FIXED_EVENTS, 1000, FLOOR_OUTPUTS),
        flat: floorRun(floorBinary, serverUrl, REAL_FLAT_EVENTS, 0, FLOOR_OUTPUTS)
      }
    : null;
  if (floor) {
    const errors = floor.fixed.errors + floor.flat.errors;
    console.log(
      `Go floor (nats.go, the same JetStream traffic per event — input stored and read by a durable, ${FLOOR_OUTPUTS} outputs with Nats-Msg-Id, ack — and nothing in between): at 1,000 events/s (${REAL_FIXED_EVENTS} events) latency p50 ${ms(floor.fixed.p50_ms)}, p99 ${ms(floor.fixed.p99_ms)}, max ${ms(floor.fixed.max_ms)}; flat out (${REAL_FLAT_EVENTS} events, 256 in flight) ${Math.round(floor.flat.events_per_sec)} events/s${errors ? `, ${errors} errors` : ''}`
    );
  }
  for (const synchronous of ['NORMAL', 'FULL'] as const) {
    const [fixed, fixedCpu] = await cpuPerEvent(REAL_FIXED_EVENTS, () =>
      run(synchronous, { mode: 'pipeline', msgs: REAL_FIXED_EVENTS, rate: 1000 })
    );
    const [flat, flatCpu] = await cpuPerEvent(REAL_FLAT_EVENTS, () =>
      run(synchronous, { mode: 'pipeline', msgs: REAL_FLAT_EVENTS, rate: 0, window: 256 })
    );
    const l = fixed.latency;
    const f = flat.latency;
    const perEvent = /([\d.]+) outputs per event/.exec(flat.latency?.measures ?? '')?.[1] ?? '?';
    // The first part of each latency: publish → delivery → engine → SQLite commit and ack sent.
    const toAck = (run: BenchRun): string => {
      const m = /commit and ack p50 ([\d.]+) ms, p99 ([\d.]+) ms/.exec(run.latency?.measures ?? '');
      return m ? `; to the commit and ack p50 ${m[1]} ms, p99 ${m[2]} ms` : '';
    };
    console.log(
      `bench pipeline, synchronous=${synchronous}: at 1,000 events/s offered (${REAL_FIXED_EVENTS} events): ${Math.round(fixed.totals.msgsPerSec)} events/s done, latency p50 ${ms(l?.p50Ms ?? NaN)}, p99 ${ms(l?.p99Ms ?? NaN)}, max ${ms(l?.maxMs ?? NaN)}${toAck(fixed)}${fixedCpu} (target p99 < 5 ms)`
    );
    console.log(
      `  flat out (${REAL_FLAT_EVENTS} events, 256 in flight): ${Math.round(flat.totals.msgsPerSec)} events/s (${perEvent} outputs each: ${Math.round(flat.totals.msgsPerSec * Number(perEvent))} output msg/s), latency p50 ${ms(f?.p50Ms ?? NaN)}, p99 ${ms(f?.p99Ms ?? NaN)}, max ${ms(f?.maxMs ?? NaN)}${toAck(flat)}${flatCpu}`
    );
    console.log(
      `  pipeline events/s ÷ js-pub-async msg/s = ${(flat.totals.msgsPerSec / jsRate).toFixed(2)} (target ≥ 0.8); output msg/s ÷ js-pub-async = ${((flat.totals.msgsPerSec * Number(perEvent)) / jsRate).toFixed(2)}`
    );
    if (floor)
      console.log(
        `  against the Go floor: p99 at 1,000 events/s ${((l?.p99Ms ?? NaN) / floor.fixed.p99_ms).toFixed(1)}× the floor's, p50 ${((l?.p50Ms ?? NaN) / floor.fixed.p50_ms).toFixed(1)}×; flat-out events/s ${(flat.totals.msgsPerSec / floor.flat.events_per_sec).toFixed(2)}× the floor's`
      );
  }
  if (goRate !== null) console.log(`js-pub-async ÷ Go PublishAsync = ${(jsRate / goRate).toFixed(2)} (target ≥ 0.6)`);
  fs.rmSync(dataDir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const server = await startNatsServer();
  // The pipeline runs on a connection made exactly as the app makes it; the raw baseline uses the
  // same options (so the ratio is the cost of durability alone), and is also measured once with
  // the client's defaults for reference.
  const nc = await connect(
    buildConnectOptions({ name: 'synos-bench', connectTimeoutMs: 5000, auth: {}, tls: null }, [server.url])
  );
  const ncDefaults = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: STREAM,
      subjects: ['benchdur.>'],
      storage: 'file' as never,
      duplicate_window: 120_000_000_000,
      max_msgs: -1
    });
    const js = jetstream(nc);
    const sample = new TextEncoder().encode(JSON.stringify(stateChange(0)));
    console.log(
      `durability bench: nats-server ${natsServerVersion()}, node ${process.versions.node}, ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}`
    );
    console.log(`load: ${fs.readFileSync('/proc/loadavg', 'utf8').trim()}`);
    // 0. The real path, with its baselines.
    if (process.env.BENCH_REAL !== '0') await realPath(server.url, nc, server.pid);
    // BENCH_REAL_ONLY=1: the real path and its baselines only (the before/after of a change to it).
    if (process.env.BENCH_REAL_ONLY === '1') return;
    console.log(`message ≈ ${sample.length} bytes, window ${WINDOW} PubAcks in flight`);

    // 1. Pipeline vs raw, interleaved in slices so load from other processes on a shared machine
    //    hits both alike; the totals give the rates.
    const pipeline = buildPipeline('NORMAL', nc);
    const ROUNDS = 5;
    const slice = Math.ceil(PIPELINE_MESSAGES / ROUNDS);
    let rawMs = 0;
    let defaultsMs = 0;
    let publisherMs = 0;
    let pipeMs = 0;
    let pipeCount = 0;
    try {
      await rawPublish(js, 2000, 'benchdur.warmup', sample);
      await rawPublish(jetstream(ncDefaults), 2000, 'benchdur.warmup', sample);
      await pipelineRun(pipeline, 2000, 'benchdur.warmup');
      for (let round = 1; round <= ROUNDS; round++) {
        const r = await rawPublish(js, slice, 'benchdur.raw', sample);
        const p = await pipelineRun(pipeline, slice, 'benchdur.pipeline');
        const d = await rawPublish(jetstream(ncDefaults), slice, 'benchdur.rawdefaults', sample);
        const o = await publisherOnly(nc, slice, 'benchdur.publisher', sample);
        rawMs += r;
        defaultsMs += d;
        publisherMs += o;
        pipeMs += p.ms;
        pipeCount += slice - p.invalid;
        console.log(
          `  slice ${round}: raw ${rate(slice, r)} msg/s, pipeline ${rate(slice - p.invalid, p.ms)} msg/s, raw with client defaults ${rate(slice, d)} msg/s, app publisher without outbox ${rate(slice, o)} msg/s`
        );
      }
    } finally {
      await pipeline.close();
    }
    const rawRate = rate(slice * ROUNDS, rawMs);
    const defaultsRate = rate(slice * ROUNDS, defaultsMs);
    const publisherRate = rate(slice * ROUNDS, publisherMs);
    const pipeRate = rate(pipeCount, pipeMs);
    console.log(
      `outbox publish path alone (event → validate → outbox → PubAck): ${pipeRate} msg/s; raw JetStream async publish (same client options): ${rawRate} msg/s; ratio ${(pipeRate / rawRate).toFixed(2)} (target ≥ 0.6, aim 0.8)`
    );
    console.log(
      `  for reference, raw with nats.js defaults (async stack traces on): ${defaultsRate} msg/s; pipeline / that = ${(pipeRate / defaultsRate).toFixed(2)}`
    );
    console.log(
      `  the app's PubAck publisher (PublishAsync style) without the outbox: ${publisherRate} msg/s; pipeline / that = ${(pipeRate / publisherRate).toFixed(2)} (the cost of validation + SQLite outbox alone)`
    );

    // 2. Backlog drain after reconnect vs raw publish of the same count.
    const backlog = buildPipeline('NORMAL', null);
    try {
      const messages: OutboundMessage[] = [];
      for (let i = 0; i < BACKLOG_MESSAGES; i++)
        messages.push({
          id: newMessageId(),
          subject: 'benchdur.backlog',
          payload: sample,
          priority: 'normal'
        });
      for (let i = 0; i < messages.length; i += 5000) backlog.store.enqueue(messages.slice(i, i + 5000));
      // Raw is measured half before and half after the drain, to even out load drift.
      const half = Math.ceil(BACKLOG_MESSAGES / 2);
      let rawMs = await rawPublish(js, half, 'benchdur.rawbacklog', sample);
      const started = performance.now();
      backlog.setConnection(nc);
      await until(() => backlog.delivered() >= BACKLOG_MESSAGES);
      const drainMs = performance.now() - started;
      rawMs += await rawPublish(js, half, 'benchdur.rawbacklog', sample);
      const drain = rate(BACKLOG_MESSAGES, drainMs);
      const raw = rate(half * 2, rawMs);
      console.log(
        `backlog drain of ${BACKLOG_MESSAGES} after reconnect: ${drain} msg/s (${(drainMs / 1000).toFixed(1)} s); raw: ${raw} msg/s; ratio ${(drain / raw).toFixed(2)} (target ≥ 0.5)`
      );
      // Outcomes are group-committed a few ms after the last PubAck.
      await until(() => backlog.store.stats().counts.processing === 0);
      const left = backlog.store.stats().counts;
      if (left.pending + left.retrying + left.processing > 0)
        throw new Error(`backlog not fully drained: ${JSON.stringify(left)}`);
      // The counts the UI and the alert rules read, with the outbox full of completed rows.
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t = performance.now();
        backlog.store.stats();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      console.log(
        `outbox stats with ${left.completed} completed rows: median ${times[10]?.toFixed(1)} ms, max ${times[19]?.toFixed(1)} ms per call`
      );
    } finally {
      await backlog.close();
    }

    // 3. Insert rates.
    for (const mode of ['NORMAL', 'FULL'] as const) {
      const r = await insertRate(mode);
      console.log(
        `outbox insert, synchronous=${mode}: ${r.grouped} msg/s group-committed (batches ≤ 1000, ${INSERT_MESSAGES} msgs); ${r.single} msg/s one transaction per message (${SINGLE_TX_MESSAGES} msgs)`
      );
    }
  } finally {
    await nc.close();
    await ncDefaults.close();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
