/**
 * Where the inbound commit could run (`npm run bench:commit-thread`): the SQLite part of the
 * bridge's inbound commit, on the main thread as today, and on a worker thread of its own.
 *
 * Per event, as the pipeline bench's workload commits it (docs/benchmarks/durable-path.md): an
 * inbox id, 6 outbox rows written claimed (360-byte envelopes with two headers), the PubAck
 * completions of 6 earlier rows, and for every second event a decision — its problem and strategy
 * weight (EngineStore) and its provenance row (ProvenanceStore). Through the product's own stores,
 * on a real file with the app's pragmas (openDatabase), at a fixed rate (default 1,000 events/s),
 * one transaction per turn of the event loop as the bridge commits.
 *
 * - inline: the main thread runs the transaction (today's design);
 * - worker: the main thread posts each turn's rows to a worker thread that owns the connection and
 *   runs the same transaction, and takes the outbox rowids back (what the drain needs to publish
 *   and complete the rows).
 *
 * Prints per mode the main thread's CPU per event (`/proc/self/task/<pid>/stat`; Linux only), the
 * worker's, and the commit latency from an event's due time until the main thread knows it is
 * committed, p50/p99. Modes alternate; the median of `--reps` pairs is printed. Other load moves
 * the latency, little the CPU.
 *
 *   npm run bench:commit-thread                   # 3 pairs × 5,000 events at 1,000/s, NORMAL
 *   npm run bench:commit-thread -- --rate 2000 --events 10000 --reps 5
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { InboxStore } from '../../main/bridge/inbox';
import { silentLogger } from '../../main/core/logger';
import { derivedMessageId } from '../../main/core/message-id';
import type { OutboundMessage } from '../../main/core/outbound';
import { ProvenanceStore, type ProvenanceRow } from '../../main/engine/provenance';
import { EngineStore } from '../../main/engine/store';
import type { Problem, StrategyWeight } from '../../main/engine/types';
import { OutboxStore, type Receipt } from '../../main/resilience/outbox-store';
import { startBackgroundCheckpoints } from '../../main/store/checkpointer';
import { openDatabase } from '../../main/store/database';
import { nativeBinding } from '../../main/store/native-binding';
import { MIGRATIONS } from '../../main/store/migrations';
import { arg, median } from './args';
import { cpuMs } from '../harness/proc-stat';
import { tempDir } from '../harness/temp';

const RATE = arg('rate', 1000);
const EVENTS = arg('events', 5000);
const REPS = arg('reps', 3);
const OUTPUTS = 6;
const encoder = new TextEncoder();
const ENVELOPE = encoder.encode(
  JSON.stringify({
    specversion: '1.0',
    id: '0190b3c2-7a4e-7000-8000-000000000000',
    source: 'synos-control-center/engine',
    type: 'consciousness.memory_update',
    time: new Date(0).toISOString(),
    datacontenttype: 'application/json',
    data: { op: 'store', key: 'service:svc-17', touches: 1, cause: 'x'.repeat(150) }
  })
);

/** One turn's writes: what the bridge's open batch holds when it commits. */
interface Turn {
  turn: number;
  now: number;
  keys: Uint8Array[];
  messages: OutboundMessage[];
  completed: Receipt[];
  problems: Problem[];
  weights: StrategyWeight[];
  provenance: ProvenanceRow[];
}

/** What a commit gives back: the outbox rows' ids and rowids (the drain publishes and completes by them). */
interface Committed {
  turn: number;
  rows: Array<{ id: string; rowid: number }>;
}

/**
 * The stores on one connection, and the transaction the bridge's group commit runs; WAL checkpoints
 * from a worker thread of their own, as the core runs its database (create-core.ts).
 */
function committer(file: string): { commit: (t: Turn) => Committed; close: () => Promise<void> } {
  const { db } = openDatabase(file, { migrations: MIGRATIONS, logger: silentLogger, synchronous: 'NORMAL' });
  const checkpoints = startBackgroundCheckpoints(db, {
    file,
    synchronous: 'NORMAL',
    nativeBinding: nativeBinding(),
    logger: silentLogger
  });
  const inbox = new InboxStore(db);
  const outbox = new OutboxStore(db, { owner: 'bench-commit-thread' });
  const engine = new EngineStore(db, 1000);
  const provenance = new ProvenanceStore(db);
  const tx = db.transaction((t: Turn): Committed => {
    // A worker receives plain Uint8Arrays: the inbox reads its keys as Buffers.
    inbox.addNew(
      t.keys.map((k) => Buffer.from(k.buffer, k.byteOffset, k.byteLength)),
      t.now
    );
    engine.save(t.weights, { upserts: [], removed: [] }, t.problems);
    provenance.write(t.provenance);
    const rows = outbox.enqueueClaimed(t.messages, t.messages.length);
    outbox.settle({ completed: t.completed, failed: [], released: [] });
    return { turn: t.turn, rows: rows.map((r) => ({ id: r.id, rowid: r.rowid as number })) };
  });
  return {
    commit: (t) => {
      try {
        const done = tx.immediate(t);
        inbox.committed();
        return done;
      } catch (error) {
        inbox.rolledBack();
        throw error;
      }
    },
    close: async () => {
      await checkpoints.stop();
      db.close();
    }
  };
}

if (!isMainThread) {
  // The worker: owns the connection, commits each turn it is sent, answers with the rowids.
  const c = committer((workerData as { file: string }).file);
  // Its CPU from here on: opening and migrating the database is not part of a commit.
  const cpu0 = threadCpuMs('thread-self');
  parentPort?.on('message', (message: Turn | 'stop') => {
    if (message === 'stop') {
      const cpuMs = threadCpuMs('thread-self') - cpu0;
      void c.close().then(() => parentPort?.postMessage({ cpuMs }));
      return;
    }
    parentPort?.postMessage(c.commit(message));
  });
  parentPort?.postMessage({ ready: true });
}

/** CPU ms of a thread so far: `/proc/self/task/<tid>/stat` (or `/proc/thread-self/stat`). */
function threadCpuMs(which: number | 'thread-self'): number {
  return cpuMs(which === 'thread-self' ? '/proc/thread-self/stat' : `/proc/self/task/${which}/stat`) ?? NaN;
}

/** Builds the writes of `n` events, numbered from `first`, for the turn `turn`. */
function buildTurn(turn: number, first: number, n: number, completed: Receipt[]): Turn {
  const now = Date.now();
  const t: Turn = { turn, now, keys: [], messages: [], completed, problems: [], weights: [], provenance: [] };
  for (let e = first; e < first + n; e++) {
    const digest = new Uint8Array(32);
    const view = new DataView(digest.buffer);
    view.setFloat64(0, Math.random());
    view.setUint32(8, e);
    view.setFloat64(16, Math.random());
    t.keys.push(digest.subarray(0, 16));
    const ids: string[] = [];
    for (let k = 0; k < OUTPUTS; k++) {
      const id = derivedMessageId(digest, now, `${k}\u0000bench`);
      ids.push(id);
      t.messages.push({
        id,
        subject: k % 2 === 0 ? 'consciousness.memory_update' : 'orchestrator.consciousness.memory',
        payload: ENVELOPE,
        headers: { 'Synos-Epoch': '1', 'Synos-Cause': `bench-${e}` },
        priority: 'normal'
      });
    }
    if (e % 2 === 0) {
      const problemId = `problem-${turn}-${e}`;
      t.problems.push({
        id: problemId,
        kind: 'service_unhealthy',
        key: `svc-${e % 100}`,
        target: `svc-${e % 100}`,
        trigger: 'service svc reported unhealthy',
        openedAt: now,
        status: 'open',
        resolvedAt: null,
        action: 'restart_service',
        confidence: 0.73,
        rationale: 'restart has the highest learned weight for service_unhealthy',
        outcome: null,
        judgedAt: null,
        weightAfter: null
      } as Problem);
      t.weights.push({
        problemKind: 'service_unhealthy',
        action: 'restart_service',
        weight: 0.5 + (e % 7) / 100,
        successes: e,
        failures: 1,
        updatedAt: now
      } as StrategyWeight);
      t.provenance.push({
        problemId,
        messageId: ids[0] as string,
        decidedAt: now,
        decision: {
          problem_id: problemId,
          kind: 'service_unhealthy',
          target: `svc-${e % 100}`,
          action: 'restart_service'
        },
        inputs: [
          {
            id: `bench-${e}`,
            source: 'synos-cc/bench',
            type: 'service.health.update',
            time: new Date(now).toISOString(),
            subject: 'bench.in.service.health',
            stream: 'BENCH',
            seq: e,
            durable: 'pipeline_in',
            deliveryCount: 1
          }
        ],
        state: {
          state: 'focused',
          attention: Array.from({ length: 5 }, (_, i) => ({ target: `svc-${i}`, weight: 0.1 * i })),
          inputRatePerSecond: RATE
        },
        kind: 'service_unhealthy',
        action: 'restart_service',
        weight: 0.55,
        alternatives: [
          { action: 'scale_out', weight: 0.31 },
          { action: 'notify_operator', weight: 0.2 }
        ],
        outputs: ids.map((id) => ({ id, type: 'consciousness.memory_update', subject: 'consciousness.memory_update' }))
      } as unknown as ProvenanceRow);
    }
  }
  return t;
}

interface RunResult {
  mainUsPerEvent: number;
  workerUsPerEvent: number;
  p50Ms: number;
  p99Ms: number;
  commits: number;
}

/**
 * Offers `EVENTS` events at `RATE` per second; the events due by a turn are committed together on
 * the next turn (setImmediate), as the bridge commits a read's messages. Completions are those of
 * rows committed earlier (their PubAcks, as if in already).
 */
async function run(mode: 'inline' | 'worker', dir: string, index: number): Promise<RunResult> {
  const file = path.join(dir, `${mode}-${index}.db`);
  const due = new Float64Array(EVENTS);
  const latency = new Float64Array(EVENTS);
  let sent = 0;
  let done = 0;
  let turn = 0;
  let commits = 0;
  let acked: Receipt[] = [];
  const firstOfTurn = new Map<number, [number, number]>();
  const onCommitted = (c: Committed): void => {
    const [first, n] = firstOfTurn.get(c.turn) as [number, number];
    firstOfTurn.delete(c.turn);
    const now = performance.now();
    for (let e = first; e < first + n; e++) latency[e] = now - (due[e] as number);
    done += n;
    commits++;
    for (const r of c.rows) acked.push({ id: r.id, rowid: r.rowid, stream: 'BENCH', seq: r.rowid, duplicate: false });
  };
  let inline: ReturnType<typeof committer> | null = null;
  let worker: Worker | null = null;
  let workerCpuMs: number | null = null;
  if (mode === 'inline') inline = committer(file);
  else {
    const w = new Worker(fileURLToPath(import.meta.url), { workerData: { file } });
    worker = w;
    // Its connection opened (and migrated) before the clock starts.
    await new Promise<void>((resolve, reject) => {
      w.once('error', reject);
      w.on('message', (m: Committed | { cpuMs: number } | { ready: true }) => {
        if ('ready' in m) resolve();
        else if ('cpuMs' in m) workerCpuMs = m.cpuMs;
        else onCommitted(m);
      });
    });
  }
  const w = worker;
  const cpu0 = threadCpuMs(process.pid);
  const start = performance.now();
  let pending = false;
  let committedUpTo = 0;
  const commitTurn = (): void => {
    pending = false;
    const from = committedUpTo;
    const n = sent - from;
    if (n === 0) return;
    committedUpTo = sent;
    turn++;
    firstOfTurn.set(turn, [from, n]);
    const t = buildTurn(turn, from, n, acked);
    acked = [];
    if (inline) onCommitted(inline.commit(t));
    else w?.postMessage(t);
  };
  while (sent < EVENTS) {
    const now = performance.now();
    const upTo = Math.min(EVENTS, Math.floor(((now - start) * RATE) / 1000) + 1);
    for (; sent < upTo; sent++) due[sent] = start + (sent * 1000) / RATE;
    if (!pending && sent > committedUpTo) {
      pending = true;
      setImmediate(commitTurn);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  while (done < EVENTS) await new Promise((r) => setTimeout(r, 5));
  const mainMs = threadCpuMs(process.pid) - cpu0;
  if (inline) await inline.close();
  if (w) {
    w.postMessage('stop');
    while (workerCpuMs === null) await new Promise((r) => setTimeout(r, 10));
    await w.terminate();
  }
  const sorted = Array.from(latency).sort((a, b) => a - b);
  return {
    mainUsPerEvent: (mainMs * 1000) / EVENTS,
    workerUsPerEvent: ((workerCpuMs ?? 0) * 1000) / EVENTS,
    p50Ms: sorted[Math.floor(EVENTS * 0.5)] as number,
    p99Ms: sorted[Math.floor(EVENTS * 0.99)] as number,
    commits
  };
}

async function main(): Promise<void> {
  if (process.platform !== 'linux') {
    console.log('bench:commit-thread reads per-thread CPU from /proc: Linux only');
    return;
  }
  const dir = tempDir('synos-commit-thread-');
  console.log(
    `inbound commit on the main thread or on a worker: ${EVENTS} events at ${RATE}/s, ${OUTPUTS} outbox rows each, a decision every second event; ${REPS} alternating pairs; load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`
  );
  const results: Record<'inline' | 'worker', RunResult[]> = { inline: [], worker: [] };
  for (let i = 0; i < REPS; i++) {
    for (const mode of i % 2 === 0 ? (['inline', 'worker'] as const) : (['worker', 'inline'] as const)) {
      const r = await run(mode, dir, i);
      results[mode].push(r);
      console.log(
        `  ${mode.padEnd(6)} main thread ${r.mainUsPerEvent.toFixed(0)} µs/event, worker ${r.workerUsPerEvent.toFixed(0)} µs/event, commit latency p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, ${r.commits} commits`
      );
    }
  }
  const m = (mode: 'inline' | 'worker', f: (r: RunResult) => number): number => median(results[mode].map(f));
  const inlineMain = m('inline', (r) => r.mainUsPerEvent);
  const workerMain = m('worker', (r) => r.mainUsPerEvent);
  console.log(
    `medians: main thread per event inline ${inlineMain.toFixed(0)} µs, with the worker ${workerMain.toFixed(0)} µs (${(workerMain / inlineMain).toFixed(2)}×; the worker itself ${m('worker', (r) => r.workerUsPerEvent).toFixed(0)} µs); commit latency p99 inline ${m('inline', (r) => r.p99Ms).toFixed(2)} ms, worker ${m('worker', (r) => r.p99Ms).toFixed(2)} ms`
  );
  fs.rmSync(dir, { recursive: true, force: true });
}

if (isMainThread) await main();
