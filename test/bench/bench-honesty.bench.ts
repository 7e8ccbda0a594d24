/**
 * Are the runner's numbers honest? Runs, against one fresh nats-server and back to back, a plain
 * loop of the official client and the BenchmarkRunner with the same parameters, several rounds
 * alternating (so a change in machine load hits both), and prints each figure and the ratio:
 *
 *   - JetStream async publish: a raw @nats-io/jetstream loop with `window` publishes in flight
 *     (publish a window, await it, repeat) vs the runner's `js-pub-async` (sliding window).
 *   - Core publish: nats.js's own `Bench` (pub) vs the runner's `pub`.
 *
 * The runner must agree with the raw loop within ±30 % (median of the rounds); the exit code is 1
 * otherwise. Usage: `npm run bench:runner` (env BENCH_MSGS, BENCH_SIZE, BENCH_WINDOW,
 * BENCH_STORAGE, BENCH_ROUNDS change the defaults: 100000, 128, 256, file, 3).
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Bench, connect } from '@nats-io/transport-node';
import { BenchmarkRunner, natsClientVersion } from '../../main/bench/runner';
import { BenchParamsSchema } from '../../main/contract/bench';
import { loadConfig } from '../../main/core/config';
import { createLogger } from '../../main/core/logger';
import { APP_VERSION } from '../../main/core/version';
import { natsServerVersion, startNatsServer } from '../harness/nats-server';
import { tempDir } from '../harness/temp';

const MSGS = Number(process.env.BENCH_MSGS ?? 100_000);
const SIZE = Number(process.env.BENCH_SIZE ?? 128);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 256);
const STORAGE = (process.env.BENCH_STORAGE ?? 'file') as 'file' | 'memory';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TOLERANCE = 0.3;

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The plain loop: publish a window of messages, await all their PubAcks, repeat. */
async function rawJsPublish(url: string, round: number): Promise<number> {
  const nc = await connect({ servers: url, name: 'raw-baseline' });
  const jsm = await jetstreamManager(nc);
  const stream = `RAW_BASELINE_${process.pid}_${round}`;
  const subject = `raw_baseline.${process.pid}.${round}`;
  await jsm.streams.add({ name: stream, subjects: [subject], storage: STORAGE, num_replicas: 1 });
  const js = jetstream(nc);
  const payload = new Uint8Array(SIZE);
  try {
    const start = performance.now();
    let pending: Promise<unknown>[] = [];
    for (let i = 0; i < MSGS; i++) {
      pending.push(js.publish(subject, payload));
      if (pending.length >= WINDOW) {
        await Promise.all(pending);
        pending = [];
      }
    }
    await Promise.all(pending);
    const seconds = (performance.now() - start) / 1000;
    return MSGS / seconds;
  } finally {
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  }
}

/** nats.js's own Bench utility, publish side. */
async function rawCorePublish(url: string): Promise<number> {
  const nc = await connect({ servers: url, name: 'raw-baseline' });
  try {
    const metrics = await new Bench(nc, { msgs: MSGS, size: SIZE, pub: true, subject: `raw_baseline.core.${process.pid}` }).run();
    const pub = metrics.find((m) => m.name === 'pub');
    if (!pub) throw new Error('nats.js Bench returned no pub metric');
    return pub.msgs / (pub.duration / 1000);
  } finally {
    await nc.close();
  }
}

async function main(): Promise<number> {
  const server = await startNatsServer();
  try {
    const config = loadConfig({ mode: 'cli', env: {}, overrides: { dataDir: tempDir(), servers: [server.url], embedded: false } });
    const runner = new BenchmarkRunner({
      nats: config.nats,
      servers: [server.url],
      logger: createLogger({ level: 'warn' }),
      appVersion: APP_VERSION
    });
    const cpus = os.cpus();
    process.stdout.write(
      `bench honesty: ${fmt(MSGS)} msgs × ${SIZE} B, window ${WINDOW}, ${STORAGE} storage, ${ROUNDS} rounds\n` +
        `nats-server ${natsServerVersion()}, nats.js ${natsClientVersion()}, node ${process.version}, ` +
        `${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n\n`
    );

    const js = { raw: [] as number[], runner: [] as number[] };
    const core = { raw: [] as number[], runner: [] as number[] };
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate which goes first, so a trend in machine load does not favour one side.
      const order = round % 2 === 1 ? ['raw', 'runner'] : ['runner', 'raw'];
      for (const side of order) {
        if (side === 'raw') {
          js.raw.push(await rawJsPublish(server.url, round));
          core.raw.push(await rawCorePublish(server.url));
        } else {
          const a = await runner.run(`honesty${round}a`, BenchParamsSchema.parse({ mode: 'js-pub-async', msgs: MSGS, size: SIZE, window: WINDOW, storage: STORAGE }));
          js.runner.push(a.totals.msgsPerSec);
          const p = await runner.run(`honesty${round}p`, BenchParamsSchema.parse({ mode: 'pub', msgs: MSGS, size: SIZE }));
          core.runner.push(p.totals.msgsPerSec);
        }
      }
      process.stdout.write(
        `round ${round}: js-pub-async raw ${fmt(js.raw.at(-1) ?? 0)} / runner ${fmt(js.runner.at(-1) ?? 0)} msgs/s; ` +
          `pub raw ${fmt(core.raw.at(-1) ?? 0)} / runner ${fmt(core.runner.at(-1) ?? 0)} msgs/s\n`
      );
    }

    const jsRatio = median(js.runner) / median(js.raw);
    const coreRatio = median(core.runner) / median(core.raw);
    const ok = Math.abs(jsRatio - 1) <= TOLERANCE;
    process.stdout.write(
      `\nmedian js-pub-async: raw @nats-io/jetstream loop ${fmt(median(js.raw))} msgs/s, runner ${fmt(median(js.runner))} msgs/s, ` +
        `ratio ${jsRatio.toFixed(2)} — ${ok ? 'within' : 'OUTSIDE'} ±${TOLERANCE * 100} %\n` +
        `median core pub:     nats.js Bench ${fmt(median(core.raw))} msgs/s, runner ${fmt(median(core.runner))} msgs/s, ratio ${coreRatio.toFixed(2)}\n`
    );
    process.stdout.write(
      `${JSON.stringify({ msgs: MSGS, size: SIZE, window: WINDOW, storage: STORAGE, js_raw: median(js.raw), js_runner: median(js.runner), js_ratio: jsRatio, core_raw: median(core.raw), core_runner: median(core.runner), core_ratio: coreRatio })}\n`
    );
    return ok ? 0 : 1;
  } finally {
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench-honesty failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  }
);
