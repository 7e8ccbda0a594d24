/**
 * Message browser benchmark: fills a stream with 1,000,000 small messages on a fresh nats-server,
 * then times random pages of 100 (from a sequence, from a time, the last N, with a subject
 * filter) and prints p50/p95/p99 in ms, next to the raw round trip of one direct get measured in
 * the same run. Target: any page of 100 under 100 ms p95.
 *
 * Run: npm run bench:browser   (env: BENCH_MESSAGES, BENCH_ROUNDS to change the size)
 */
import fs from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { MessageBrowser, type BrowseOptions } from '../../main/nats/messages/browser';
import { startNatsServer } from '../harness/nats-server';

const TOTAL = Number(process.env.BENCH_MESSAGES ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const PAGE = 100;
const BATCH = 2000; // publishes per flush
const SUBJECTS = 10; // bench.0 … bench.9: a one-subject filter matches 1 message in 10
const STREAM = 'BROWSE_BENCH';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function report(name: string, samples: number[]): { p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p95 = percentile(sorted, 95);
  const p99 = percentile(sorted, 99);
  process.stdout.write(
    `${name.padEnd(58)} p50 ${p50.toFixed(2).padStart(7)} ms  p95 ${p95.toFixed(2).padStart(7)} ms  p99 ${p99.toFixed(2).padStart(7)} ms\n`
  );
  return { p95 };
}

const rand = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo + 1));

async function main(): Promise<void> {
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: STREAM, subjects: ['bench.>'], allow_direct: true });
    const started = Date.now();
    // Core publishes in flushed batches fill fastest; the stream count is checked afterwards.
    const enc = new TextEncoder();
    for (let i = 1; i <= TOTAL; i++) {
      nc.publish(`bench.${i % SUBJECTS}`, enc.encode(`{"n":${i},"kind":"sample","value":${i % 997}}`));
      if (i % BATCH === 0) await nc.flush();
      if (i % 100_000 === 0) {
        const secs = (Date.now() - started) / 1000;
        process.stdout.write(
          `filled ${i.toLocaleString('en')} / ${TOTAL.toLocaleString('en')} (${Math.round(i / secs)} msg/s)\n`
        );
      }
    }
    await nc.flush();
    for (let tries = 0; ; tries++) {
      const { state } = await jsm.streams.info(STREAM);
      if (state.messages >= TOTAL) break;
      if (tries > 600) throw new Error(`the stream holds ${state.messages} of ${TOTAL} messages after a minute`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const info = await jsm.streams.info(STREAM);
    process.stdout.write(
      `stream ${STREAM}: ${info.state.messages.toLocaleString('en')} messages, ${(info.state.bytes / 1e6).toFixed(1)} MB, filled in ${((Date.now() - started) / 1000).toFixed(1)} s\n\n`
    );
    const first = info.state.first_seq;
    const last = info.state.last_seq;
    const t0 = Date.parse(info.state.first_ts);
    const t1 = Date.parse(info.state.last_ts);

    // Raw baseline: one direct get round trip (nats.js request()).
    const raw: number[] = [];
    for (let i = 0; i < ROUNDS * 5; i++) {
      const s = performance.now();
      await jsm.direct.getMessage(STREAM, { seq: rand(first, last) });
      raw.push(performance.now() - s);
    }
    const baseline = report('raw: one direct get round trip', raw);

    const cases: Array<[string, () => BrowseOptions]> = [
      ['page of 100 from a random seq', () => ({ from: { seq: rand(first, last - PAGE) }, limit: PAGE })],
      [
        'page of 100 from a random time',
        () => ({ from: { time: new Date(rand(t0, t1 - 1000)).toISOString() }, limit: PAGE })
      ],
      ['last 100', () => ({ from: { last: PAGE }, limit: PAGE })],
      [
        'page of 100, subject bench.3, random seq',
        () => ({ from: { seq: rand(first, last - PAGE * SUBJECTS) }, subject: 'bench.3', limit: PAGE })
      ],
      [
        'page of 100, subject bench.*, random seq',
        () => ({ from: { seq: rand(first, last - PAGE) }, subject: 'bench.*', limit: PAGE })
      ],
      [
        'page of 100, subject bench.3, random time',
        () => ({ from: { time: new Date(rand(t0, t1 - 60_000)).toISOString() }, subject: 'bench.3', limit: PAGE })
      ],
      ['last 100 on subject bench.3', () => ({ from: { last: PAGE }, subject: 'bench.3', limit: PAGE })]
    ];
    const worst: Array<[string, number]> = [];
    const allowDirect = (on: boolean) => () => jsm.streams.update(STREAM, { allow_direct: on });
    const passes: Array<[string, MessageBrowser, (() => Promise<unknown>) | null]> = [
      [
        'allow_direct on: pipelined direct gets (Syn_OS streams, any stream with direct get)',
        new MessageBrowser(nc),
        null
      ],
      [
        'allow_direct off, Limits stream: ephemeral consumer unfiltered, STREAM.MSG.GET filtered',
        new MessageBrowser(nc),
        allowDirect(false)
      ],
      [
        'allow_direct off, WorkQueue/Interest path: STREAM.MSG.GET only',
        new MessageBrowser(nc, { consumers: false }),
        null
      ]
    ];
    for (const [title, browser, prepare] of passes) {
      await prepare?.();
      process.stdout.write(`\n${title}:\n`);
      for (const [name, options] of cases) {
        // Warm-up, then measure.
        for (let i = 0; i < 3; i++) await browser.browse(STREAM, options());
        const samples: number[] = [];
        const methods = new Set<string>();
        for (let i = 0; i < ROUNDS; i++) {
          const o = options();
          const s = performance.now();
          const page = await browser.browse(STREAM, o);
          samples.push(performance.now() - s);
          methods.add(page.method);
          if (page.messages.length !== PAGE)
            throw new Error(`${name}: got ${page.messages.length} messages, expected ${PAGE}`);
        }
        const { p95 } = report(`${name} [${[...methods].join(',')}]`, samples);
        worst.push([`${title}: ${name}`, p95]);
      }
    }
    for (const [title] of passes) {
      const mine = worst.filter(([n]) => n.startsWith(`${title}:`));
      const [worstName, worstP95] = mine.reduce((x, y) => (y[1] > x[1] ? y : x));
      process.stdout.write(
        `\nworst p95 of "${title}": ${worstP95.toFixed(2)} ms (${worstName.slice(title.length + 2)}) = ${(worstP95 / baseline.p95).toFixed(1)}x one raw direct get p95; target < 100 ms: ${worstP95 < 100 ? 'met' : 'NOT met'}`
      );
    }
    process.stdout.write('\n');
  } finally {
    await nc.close();
    await server.stop();
    fs.rmSync(server.storeDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
