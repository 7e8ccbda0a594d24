/**
 * Are the runner's numbers honest? Runs, against one fresh nats-server and back to back, a plain
 * loop of the official client and the BenchmarkRunner with the same parameters, several rounds
 * alternating (so a change in machine load hits both), and prints each figure and the ratio:
 *
 *   - JetStream async publish: a plain loop of the same PubAck publisher the runner's
 *     `js-pub-async` uses (main/nats/messages/async-publisher.ts, as nats bench uses nats.go's
 *     PublishAsync) with `window` publishes in flight vs the runner's `js-pub-async`; a
 *     batch-await loop of nats.js's `js.publish()` is printed too, for reference.
 *   - Core publish: nats.js's own `Bench` (pub) vs the runner's `pub`.
 *
 * The runner must agree with the raw loop within ±30 % (median of the paired ratios); the exit code is 1
 * otherwise. Usage: `npm run bench:runner` (env BENCH_MSGS, BENCH_SIZE, BENCH_WINDOW,
 * BENCH_STORAGE, BENCH_ROUNDS change the defaults: 100000, 128, 256, file, 5).
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Bench, connect } from '@nats-io/transport-node';
import { BenchmarkRunner, natsClientVersion } from '../../main/bench/runner';
import { AsyncJetStreamPublisher } from '../../main/nats/messages';
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
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TOLERANCE = 0.3;

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/**
 * A plain loop keeping `window` publishes in flight: when the window is full it waits for one
 * PubAck, then sends the next (the runner's semantics and publisher, written plainly), or —
 * `batch` — nats.js's `js.publish()` sending a window, awaiting all of it, repeating (the most
 * common hand-written loop; printed for reference, it pays for the slowest ack of every batch).
 */
async function rawJsPublish(url: string, tag: string, style: 'sliding' | 'batch'): Promise<number> {
  // The runner connects with the app's options, which turn nats.js's per-request async stack
  // traces off (main/nats/connection/connection.ts); the baseline does the same so both measure the server.
  const nc = await connect({ servers: url, name: 'raw-baseline', noAsyncTraces: true });
  const jsm = await jetstreamManager(nc);
  const stream = `RAW_BASELINE_${process.pid}_${tag}`;
  const subject = `raw_baseline.${process.pid}.${tag}`;
  await jsm.streams.add({ name: stream, subjects: [subject], storage: STORAGE, num_replicas: 1 });
  const js = jetstream(nc);
  const payload = new Uint8Array(SIZE);
  try {
    const start = performance.now();
    if (style === 'batch') {
      let pending: Promise<unknown>[] = [];
      for (let i = 0; i < MSGS; i++) {
        pending.push(js.publish(subject, payload));
        if (pending.length >= WINDOW) {
          await Promise.all(pending);
          pending = [];
        }
      }
      await Promise.all(pending);
    } else {
      const publisher = new AsyncJetStreamPublisher(nc);
      let inFlight = 0;
      let release: (() => void) | null = null;
      let failed: unknown = null;
      const done = (error: Error | null): void => {
        if (error) failed = error;
        inFlight--;
        const r = release;
        release = null;
        r?.();
      };
      try {
        for (let i = 0; i < MSGS; i++) {
          if (inFlight >= WINDOW) await new Promise<void>((resolve) => (release = resolve));
          if (failed) throw failed;
          inFlight++;
          publisher.send(subject, payload, undefined, null, done);
        }
        while (inFlight > 0) await new Promise<void>((resolve) => (release = resolve));
      } finally {
        publisher.close();
      }
      if (failed) throw failed;
    }
    return MSGS / ((performance.now() - start) / 1000);
  } finally {
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  }
}

/** nats.js's own Bench utility, publish side. */
async function rawCorePublish(url: string): Promise<number> {
  const nc = await connect({ servers: url, name: 'raw-baseline' });
  try {
    const metrics = await new Bench(nc, {
      msgs: MSGS,
      size: SIZE,
      pub: true,
      subject: `raw_baseline.core.${process.pid}`
    }).run();
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
    const config = loadConfig({
      mode: 'cli',
      env: {},
      overrides: { dataDir: tempDir(), servers: [server.url], embedded: false }
    });
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
        `${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'}, load ${os
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}\n\n`
    );

    const js = { raw: [] as number[], runner: [] as number[], batch: [] as number[], ratio: [] as number[] };
    const core = { raw: [] as number[], runner: [] as number[], ratio: [] as number[] };
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate which goes first, so a trend in machine load does not favour one side; each
      // round's pair runs back to back, and the verdict uses the median of the paired ratios.
      const rawFirst = round % 2 === 1;
      const measureRunnerJs = async (): Promise<number> =>
        (
          await runner.run(
            `honesty${round}a`,
            BenchParamsSchema.parse({ mode: 'js-pub-async', msgs: MSGS, size: SIZE, window: WINDOW, storage: STORAGE })
          )
        ).totals.msgsPerSec;
      const measureRunnerPub = async (): Promise<number> =>
        (await runner.run(`honesty${round}p`, BenchParamsSchema.parse({ mode: 'pub', msgs: MSGS, size: SIZE }))).totals
          .msgsPerSec;
      let rawJs: number;
      let runnerJs: number;
      if (rawFirst) {
        rawJs = await rawJsPublish(server.url, `${round}s`, 'sliding');
        runnerJs = await measureRunnerJs();
      } else {
        runnerJs = await measureRunnerJs();
        rawJs = await rawJsPublish(server.url, `${round}s`, 'sliding');
      }
      js.raw.push(rawJs);
      js.runner.push(runnerJs);
      js.ratio.push(runnerJs / rawJs);
      js.batch.push(await rawJsPublish(server.url, `${round}b`, 'batch'));
      let rawPub: number;
      let runnerPub: number;
      if (rawFirst) {
        rawPub = await rawCorePublish(server.url);
        runnerPub = await measureRunnerPub();
      } else {
        runnerPub = await measureRunnerPub();
        rawPub = await rawCorePublish(server.url);
      }
      core.raw.push(rawPub);
      core.runner.push(runnerPub);
      core.ratio.push(runnerPub / rawPub);
      process.stdout.write(
        `round ${round}: js-pub-async raw ${fmt(rawJs)} / runner ${fmt(runnerJs)} msgs/s (ratio ${(runnerJs / rawJs).toFixed(2)}; ` +
          `js.publish() batch-await loop ${fmt(js.batch.at(-1) ?? 0)}); pub nats.js Bench ${fmt(rawPub)} / runner ${fmt(runnerPub)} msgs/s (ratio ${(runnerPub / rawPub).toFixed(2)})\n`
      );
    }

    const jsRatio = median(js.ratio);
    const coreRatio = median(core.ratio);
    const ok = Math.abs(jsRatio - 1) <= TOLERANCE;
    process.stdout.write(
      `\njs-pub-async, median of ${ROUNDS}: plain PubAck-publisher loop ${fmt(median(js.raw))} msgs/s, runner ${fmt(median(js.runner))} msgs/s, ` +
        `paired ratio ${jsRatio.toFixed(2)} — ${ok ? 'within' : 'OUTSIDE'} ±${TOLERANCE * 100} %` +
        ` (js.publish() batch-await loop for reference: ${fmt(median(js.batch))} msgs/s)\n` +
        `core pub, median of ${ROUNDS}:     nats.js Bench ${fmt(median(core.raw))} msgs/s, runner ${fmt(median(core.runner))} msgs/s, paired ratio ${coreRatio.toFixed(2)}\n` +
        `load average after: ${os
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}\n`
    );
    process.stdout.write(
      `${JSON.stringify({ msgs: MSGS, size: SIZE, window: WINDOW, storage: STORAGE, rounds: ROUNDS, js_raw: median(js.raw), js_runner: median(js.runner), js_batch_loop: median(js.batch), js_ratio: jsRatio, core_raw: median(core.raw), core_runner: median(core.runner), core_ratio: coreRatio })}\n`
    );
    return ok ? 0 : 1;
  } finally {
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench-honesty failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
    );
    process.exit(1);
  }
);
