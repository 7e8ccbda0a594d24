/**
 * What the p99 of `bench pipeline` at a fixed rate is made of (docs/benchmarks/durable-path.md,
 * "what the p99 at 1,000 inputs/s is made of"): the real path (`realPathRunner`, as
 * `synos-cc bench pipeline` runs it), with the main thread watched by a 1 ms
 * interval timer. Every gap of more than 4 ms between its turns is split, from the thread's
 * /proc/…/schedstat, into time on a CPU, time waiting for one, and the rest: blocked in a system call.
 *
 * Runs alternate between the SQLite database on the default temporary directory (a disk) and on
 * tmpfs (/dev/shm), nats-server's store staying on the default one, so the difference is what the
 * database's writes cost in stalls, measured side by side in the same run. Linux only.
 *
 *   npm run bench:pipeline-stalls [-- --rate 1000 --events 8000 --pairs 3]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BenchParamsSchema } from '../../main/contract/bench';
import { startNatsServer } from '../harness/nats-server';
import { arg, median } from './args';
import { realPathRunner } from './real-path';

const RATE = arg('rate', 1000);
const EVENTS = arg('events', 8000);
const PAIRS = arg('pairs', 3);
const GAP_MS = 4;
const TMPFS = '/dev/shm';

interface Run {
  p50: number;
  p99: number;
  gaps: number;
  onCpuMs: number;
  waitingMs: number;
  blockedGaps: number;
  blockedMs: number;
}

/** [ns on a CPU, ns waiting for one] of the main thread. */
function schedstat(): [number, number] {
  const [run, wait] = fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ').map(Number);
  return [run!, wait!];
}

async function main(): Promise<void> {
  if (process.platform !== 'linux' || !fs.existsSync(TMPFS)) {
    console.log(`bench:pipeline-stalls needs Linux with ${TMPFS} (the thread's schedstat and a tmpfs); skipped`);
    return;
  }
  const server = await startNatsServer();
  let n = 0;

  async function measure(where: 'disk' | 'tmpfs'): Promise<Run> {
    const dataDir = fs.mkdtempSync(path.join(where === 'tmpfs' ? TMPFS : os.tmpdir(), 'synos-stalls-'));
    const runner = realPathRunner(server.url, dataDir, 'NORMAL');
    const totals = { gaps: 0, onCpuMs: 0, waitingMs: 0, blockedGaps: 0, blockedMs: 0 };
    let last = performance.now();
    let lastStat = schedstat();
    const watch = setInterval(() => {
      const now = performance.now();
      const stat = schedstat();
      const gap = now - last;
      if (gap > GAP_MS) {
        const onCpu = (stat[0] - lastStat[0]) / 1e6;
        const waiting = (stat[1] - lastStat[1]) / 1e6;
        // The timer's own 1 ms is neither: what is left past it was spent blocked.
        const blocked = gap - 1 - onCpu - waiting;
        totals.gaps++;
        totals.onCpuMs += onCpu;
        totals.waitingMs += waiting;
        if (blocked > 2) {
          totals.blockedGaps++;
          totals.blockedMs += blocked;
        }
      }
      last = now;
      lastStat = stat;
    }, 1);
    try {
      const result = await runner.run(
        `stalls${++n}`,
        BenchParamsSchema.parse({ mode: 'pipeline', msgs: EVENTS, rate: RATE, window: 256 })
      );
      return { p50: result.latency!.p50Ms, p99: result.latency!.p99Ms, ...totals };
    } finally {
      clearInterval(watch);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }

  const runs: Record<'disk' | 'tmpfs', Run[]> = { disk: [], tmpfs: [] };
  try {
    for (let pair = 0; pair < PAIRS; pair++) {
      for (const where of ['disk', 'tmpfs'] as const) {
        const r = await measure(where);
        runs[where].push(r);
        console.log(
          `${where.padEnd(5)} p50 ${r.p50.toFixed(2)} p99 ${r.p99.toFixed(2)} ms; gaps > ${GAP_MS} ms: ${r.gaps} ` +
            `(on a CPU ${r.onCpuMs.toFixed(0)} ms, waiting for one ${r.waitingMs.toFixed(0)} ms); ` +
            `with > 2 ms blocked: ${r.blockedGaps}, ${r.blockedMs.toFixed(0)} ms`
        );
      }
    }
  } finally {
    await server.stop();
  }
  const m = (where: 'disk' | 'tmpfs', key: keyof Run): number => median(runs[where].map((r) => r[key]));
  console.log(
    `\n${RATE} events/s, ${EVENTS} events, ${PAIRS} alternating pairs (database on ${os.tmpdir()} / on ${TMPFS}), ` +
      `load ${os.loadavg()[0]!.toFixed(1)}; medians:`
  );
  console.log(`  blocked gaps per run: ${m('disk', 'blockedGaps')} / ${m('tmpfs', 'blockedGaps')}`);
  console.log(`  blocked ms per run:   ${m('disk', 'blockedMs').toFixed(0)} / ${m('tmpfs', 'blockedMs').toFixed(0)}`);
  console.log(
    `  p99 ms:               ${m('disk', 'p99').toFixed(2)} / ${m('tmpfs', 'p99').toFixed(2)} ` +
      `(tmpfs ÷ disk ${(m('tmpfs', 'p99') / m('disk', 'p99')).toFixed(2)})`
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  }
);
