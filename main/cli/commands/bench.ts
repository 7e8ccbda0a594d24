/**
 * `bench MODE` — a benchmark like `nats bench` — and its history: `bench history`,
 * `bench show ID`, `bench compare A B …`, `bench export [--csv FILE]`, `bench delete ID`.
 * A run prints a progress line on stderr; Ctrl+C cancels it and its temporary stream is deleted.
 */
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  BENCH_MAX_CLIENTS,
  BENCH_MAX_MSGS,
  BENCH_MAX_SIZE,
  BENCH_MODES,
  ContractError,
  type BenchComparison,
  type BenchFinished,
  type BenchMode,
  type BenchParamsInput,
  type BenchProgress,
  type BenchRun,
  type BenchRunSummary
} from '../../contract';
import type { Core } from '../../app/create-core';
import { createExportFile } from '../../recordings/files';
import { connectOrThrow, globalsOf, openCore, parseIntOption, withCore } from '../context';
import { formatBytes, plural, printJson, printTable } from '../io';

const MODE_HELP: Record<BenchMode, string> = {
  pub: 'core NATS publish (fire and forget)',
  pubsub: 'core NATS publish with subscribers receiving every message',
  reqrep: 'core NATS request/reply round trips (requesters = --pub, repliers in a queue group = --sub)',
  'js-pub-sync': 'JetStream publish, waiting for each PubAck',
  'js-pub-async': 'JetStream publish with --window publishes in flight',
  'js-consume': 'JetStream consume of a pre-filled stream (--consumer ordered|fetch)',
  pipeline:
    "the app's real path: inbound CloudEvent → consumer → validate → engine → outbox commit → ack, outputs → PubAck (--rate events/s; --rate 0: flat out, --window in flight)"
};

/** Which role `--clients` counts in each mode (the measured one). */
const CLIENTS_ROLE: Record<BenchMode, 'pub' | 'sub'> = {
  pub: 'pub',
  pubsub: 'pub',
  reqrep: 'pub',
  'js-pub-sync': 'pub',
  'js-pub-async': 'pub',
  'js-consume': 'sub',
  pipeline: 'pub'
};

interface RunOptions {
  msgs: number;
  size: number;
  clients?: number;
  pub?: number;
  sub?: number;
  storage: 'file' | 'memory';
  window: number;
  rate: number;
  consumer: 'ordered' | 'fetch';
  batch: number;
  label?: string;
  json?: boolean;
  progress: boolean;
}

/** Parses `100000`, `100k`, `1m`, `1_000`. */
function parseCount(name: string, min: number, max: number) {
  return (value: string): number => {
    const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(value.trim().replace(/_/g, ''));
    const n = m ? Math.round(Number(m[1]) * ({ '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6 }[m[2] as ''] ?? 1)) : Number.NaN;
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a whole number such as 100000 or 100k.`);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}.`);
    return n;
  };
}

/** Parses `128`, `1KB`, `1KiB`, `64k`, `1MB` into bytes (nats bench's --size accepts these too). */
export function parseSize(value: string): number {
  const m = /^(\d+)\s*([kKmM]?)(i?[bB])?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('--size must be a byte count such as 128, 1KB or 64KiB.');
  const unit = (m[2] ?? '').toLowerCase();
  const n = Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 * 1024 : 1);
  if (n > BENCH_MAX_SIZE) throw new InvalidArgumentError(`--size must be at most ${BENCH_MAX_SIZE} bytes.`);
  return n;
}

export function paramsFrom(mode: BenchMode, o: RunOptions): BenchParamsInput {
  const params: BenchParamsInput = {
    mode,
    msgs: o.msgs,
    size: o.size,
    storage: o.storage,
    window: o.window,
    rate: o.rate,
    consumer: o.consumer,
    batch: o.batch
  };
  if (o.clients !== undefined) params[CLIENTS_ROLE[mode]] = o.clients;
  if (o.pub !== undefined) params.pub = o.pub;
  if (o.sub !== undefined) params.sub = o.sub;
  if (o.label !== undefined) params.label = o.label;
  return params;
}

const num = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '' : `${v.toFixed(3)} ms`);
const perSec = (bytes: number): string => `${formatBytes(Math.round(bytes))}/s`;

function printRun(run: BenchRun): void {
  const p = run.params;
  const e = run.environment;
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(`${run.mode} run ${run.id}${run.label ? ` "${run.label}"` : ''} at ${run.startedAt}`);
  out(
    `${num(p.msgs)} msgs × ${formatBytes(p.size)}, pub ${p.pub}, sub ${p.sub}` +
      (run.stream ? `, ${p.storage} storage on temporary stream ${run.stream} (deleted)` : '') +
      (run.mode === 'js-pub-async' || run.mode === 'pipeline' ? `, window ${p.window}` : '') +
      // Runs kept from before --rate existed have no rate.
      (run.mode === 'pipeline' && typeof p.rate === 'number'
        ? p.rate > 0
          ? `, ${num(p.rate)} events/s offered`
          : ', flat out'
        : '') +
      (run.mode === 'js-consume' ? `, ${p.consumer} consumer, batch ${p.batch}` : '')
  );
  out(
    `server ${e.serverVersion} (${e.serverName}), nats.js ${e.clientVersion}, app ${e.appVersion}, node ${e.nodeVersion}, ${e.cpus} × ${e.cpuModel}`
  );
  out('');
  const rows: Array<Array<string | number>> = [];
  for (const g of run.groups) {
    rows.push([
      g.role,
      'aggregate',
      num(g.aggregate.msgs),
      num(g.aggregate.msgsPerSec),
      perSec(g.aggregate.bytesPerSec),
      `${num(g.aggregate.durationMs / 1000, 3)} s`
    ]);
    if (g.clients.length > 1) {
      for (const c of g.clients) {
        rows.push([
          '',
          c.name,
          num(c.msgs),
          num(c.msgsPerSec),
          perSec(c.bytesPerSec),
          `${num(c.durationMs / 1000, 3)} s`
        ]);
      }
      rows.push([
        '',
        'min/avg/max',
        '',
        `${num(g.minMsgsPerSec)} / ${num(g.avgMsgsPerSec)} / ${num(g.maxMsgsPerSec)}`,
        `± ${num(g.stddevMsgsPerSec)}`,
        ''
      ]);
    }
  }
  printTable(['ROLE', 'CLIENT', 'MSGS', 'MSGS/S', 'BYTES/S', 'DURATION'], rows);
  out('');
  out(
    `total: ${num(run.totals.msgsPerSec)} msgs/s, ${perSec(run.totals.bytesPerSec)} over ${num(run.totals.durationMs / 1000, 3)} s`
  );
  const l = run.latency;
  if (l) {
    out(
      `latency (${l.measures}, ${num(l.samples)} samples): p50 ${ms(l.p50Ms)}, p90 ${ms(l.p90Ms)}, p99 ${ms(l.p99Ms)}, p99.9 ${ms(l.p999Ms)} (min ${ms(l.minMs)}, mean ${ms(l.meanMs)}, max ${ms(l.maxMs)})`
    );
  }
}

function printHistory(runs: BenchRunSummary[], total: number): void {
  printTable(
    ['ID', 'STARTED', 'MODE', 'MSGS', 'SIZE', 'PUB', 'SUB', 'STORAGE', 'MSGS/S', 'BYTES/S', 'P50', 'P99', 'LABEL'],
    runs.map((r) => [
      r.id,
      r.startedAt,
      r.mode,
      r.msgs,
      r.size,
      r.pub,
      r.sub,
      r.storage,
      num(r.msgsPerSec),
      perSec(r.bytesPerSec),
      ms(r.p50Ms),
      ms(r.p99Ms),
      r.label ?? ''
    ])
  );
  if (runs.length < total) process.stdout.write(`(${runs.length} of ${total} runs; --limit shows more)\n`);
}

function printComparison(c: BenchComparison): void {
  const headers = ['METRIC', ...c.runs.map((r, i) => `${String.fromCharCode(65 + (i % 26))} ${r.id}`)];
  const rows: Array<Array<string>> = [
    ['mode', ...c.runs.map((r) => r.mode)],
    ['started', ...c.runs.map((r) => r.startedAt)],
    ['msgs × size', ...c.runs.map((r) => `${num(r.msgs)} × ${r.size} B`)],
    ['pub / sub', ...c.runs.map((r) => `${r.pub} / ${r.sub}`)],
    ['server', ...c.runs.map((r) => r.serverVersion)]
  ];
  for (const s of c.series) {
    if (s.values.every((v) => v === null)) continue;
    rows.push([
      s.label,
      ...s.values.map((v, i) => {
        if (v === null) return '—';
        const text = s.unit === 'ms' ? ms(v) : s.unit === 'B/s' ? perSec(v) : num(v);
        const change = s.change[i];
        return i === 0 || change === null || change === undefined
          ? text
          : `${text} (${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)} %)`;
      })
    ]);
  }
  printTable(headers, rows);
  if (c.differences.length > 0) process.stdout.write(`\nnote: the runs differ in ${c.differences.join('; ')}\n`);
}

/** A progress line on stderr: rewritten in place on a terminal, a line a second when piped. */
function progressPrinter(enabled: boolean): { update(p: BenchProgress): void; end(): void } {
  const tty = Boolean(process.stderr.isTTY);
  let lastLine = 0;
  let shown = false;
  return {
    update(p) {
      if (!enabled) return;
      const pct = p.total > 0 ? ` (${Math.floor((p.done / p.total) * 100)} %)` : '';
      const text = `${p.mode} ${p.phase}: ${num(p.done)} / ${num(p.total)}${pct}, ${num(p.msgsPerSec)} msgs/s, ${num(p.elapsedMs / 1000, 1)} s`;
      if (tty) {
        process.stderr.write(`\r\x1b[K${text}`);
        shown = true;
      } else if (Date.now() - lastLine >= 1000) {
        lastLine = Date.now();
        process.stderr.write(`${text}\n`);
      }
    },
    end() {
      if (tty && shown) process.stderr.write('\r\x1b[K');
    }
  };
}

/** Starts a run on the core, follows it to the end (Ctrl+C cancels) and returns the stored result. */
export async function runBenchmark(core: Core, params: BenchParamsInput, showProgress: boolean): Promise<BenchRun> {
  const progress = progressPrinter(showProgress);
  const finished = new Map<string, BenchFinished>();
  let wanted: string | null = null;
  let resolveDone: ((f: BenchFinished) => void) | null = null;
  const offFinished = core.api.subscribe('bench.finished', (f) => {
    finished.set(f.runId, f);
    if (f.runId === wanted) resolveDone?.(f);
  });
  const offProgress = core.api.subscribe('bench.progress', (p) => {
    if (p.runId === wanted) progress.update(p);
  });
  let cancelling = false;
  let cancelRequested = false;
  const cancel = (runId: string): void => {
    if (cancelling) return;
    cancelling = true;
    progress.end();
    process.stderr.write('cancelling the benchmark; deleting its temporary stream…\n');
    void core.api.invoke('bench.cancel', { runId }).catch(() => undefined);
  };
  const onSignal = (): void => {
    // Ctrl+C while the run is being started: cancel it as soon as its id is known.
    if (wanted) cancel(wanted);
    else cancelRequested = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { runId } = await core.api.invoke('bench.start', params);
    wanted = runId;
    if (cancelRequested) cancel(runId);
    const outcome = finished.get(runId) ?? (await new Promise<BenchFinished>((resolve) => (resolveDone = resolve)));
    progress.end();
    if (outcome.status === 'cancelled') {
      throw new ContractError(
        'CANCELLED',
        `benchmark ${runId} was cancelled; nothing was kept and its temporary stream is deleted`
      );
    }
    if (outcome.status === 'failed' || !outcome.run) {
      const e = outcome.error ?? { code: 'INTERNAL' as const, message: 'the benchmark failed' };
      throw new ContractError(e.code, e.message, e.details);
    }
    return await core.api.invoke('bench.get', { id: runId });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    offFinished();
    offProgress();
  }
}

function withStoreCore<T>(command: Command, fn: (core: Core) => Promise<T>): Promise<T> {
  // History commands read SQLite only: they work offline and never touch the server.
  return withCore(
    openCore(globalsOf(command), { autoConnect: false, quiet: true, overrides: { provision: false } }),
    fn
  );
}

export function registerBench(program: Command): void {
  const bench = program
    .command('bench')
    .description('measure NATS and JetStream like nats bench, keep the results, compare them')
    .addHelpText(
      'after',
      '\nJetStream modes use a temporary stream SYNOS_BENCH_<ID> that is deleted when the run ends; the Syn_OS streams are never touched.'
    );

  for (const mode of BENCH_MODES) {
    bench
      .command(mode)
      .description(MODE_HELP[mode])
      .addOption(
        new Option('--msgs <n>', 'messages to send in total')
          .default(100_000)
          .argParser(parseCount('--msgs', 1, BENCH_MAX_MSGS))
      )
      .addOption(new Option('--size <bytes>', 'payload size (128, 1KB, 64KiB)').default(128).argParser(parseSize))
      .option(
        '--clients <n>',
        `clients of the measured role (${CLIENTS_ROLE[mode] === 'pub' ? 'publishers/requesters' : 'consumers'})`,
        parseIntOption('--clients', 1, BENCH_MAX_CLIENTS)
      )
      .option('--pub <n>', 'publishers (requesters for reqrep)', parseIntOption('--pub', 1, BENCH_MAX_CLIENTS))
      .option(
        '--sub <n>',
        'subscribers (repliers for reqrep, consumers for js-consume)',
        parseIntOption('--sub', 1, BENCH_MAX_CLIENTS)
      )
      .addOption(
        new Option('--storage <kind>', 'storage of the temporary stream').choices(['file', 'memory']).default('file')
      )
      .addOption(
        new Option('--window <n>', 'JetStream publishes in flight per publisher')
          .default(256)
          .argParser(parseIntOption('--window', 1, 100_000))
      )
      .addOption(
        new Option('--rate <n>', 'pipeline: input events offered per second; 0: flat out with --window in flight')
          .default(1000)
          .argParser(parseIntOption('--rate', 0, 1_000_000))
      )
      .addOption(
        new Option('--consumer <kind>', 'js-consume: ordered consumers or a shared fetch consumer')
          .choices(['ordered', 'fetch'])
          .default('ordered')
      )
      .addOption(
        new Option('--batch <n>', 'js-consume: messages per pull')
          .default(500)
          .argParser(parseIntOption('--batch', 1, 10_000))
      )
      .option('--label <text>', 'a note kept with the result')
      .option('--no-progress', 'no progress line on stderr')
      .option('--json', 'print the result as JSON (msgs_per_sec, bytes_per_sec and every figure)')
      .action(async (opts: RunOptions, command: Command) => {
        const core = openCore(globalsOf(command), { autoConnect: false, quiet: true, overrides: { provision: false } });
        const run = await withCore(core, async (c) => {
          await connectOrThrow(c);
          return runBenchmark(c, paramsFrom(mode, opts), opts.progress);
        });
        if (opts.json)
          printJson({ ...run, msgs_per_sec: run.totals.msgsPerSec, bytes_per_sec: run.totals.bytesPerSec });
        else printRun(run);
      });
  }

  bench
    .command('history')
    .description('list the kept runs, newest first')
    .addOption(new Option('--mode <mode>', 'only runs of this mode').choices([...BENCH_MODES]))
    .option('--limit <n>', 'at most this many runs', parseIntOption('--limit', 1, 5000), 50)
    .option('--json', 'print as JSON')
    .action(async (opts: { mode?: BenchMode; limit: number; json?: boolean }, command: Command) => {
      const result = await withStoreCore(command, (core) =>
        core.api.invoke('bench.history', opts.mode ? { mode: opts.mode, limit: opts.limit } : { limit: opts.limit })
      );
      if (opts.json) printJson(result);
      else printHistory(result.runs, result.total);
    });

  bench
    .command('show')
    .description('every figure of one kept run')
    .argument('<id>', 'run id (see bench history)')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { json?: boolean }, command: Command) => {
      const run = await withStoreCore(command, (core) => core.api.invoke('bench.get', { id }));
      if (opts.json) printJson({ ...run, msgs_per_sec: run.totals.msgsPerSec, bytes_per_sec: run.totals.bytesPerSec });
      else printRun(run);
    });

  bench
    .command('compare')
    .description('kept runs side by side (the first is the baseline of the % changes)')
    .argument('<a>', 'run id')
    .argument('<b...>', 'run id(s) to compare with it')
    .option('--json', 'print as JSON (one series per metric, for charts)')
    .action(async (a: string, b: string[], opts: { json?: boolean }, command: Command) => {
      const comparison = await withStoreCore(command, (core) => core.api.invoke('bench.compare', { ids: [a, ...b] }));
      if (opts.json) printJson(comparison);
      else printComparison(comparison);
    });

  bench
    .command('export')
    .description('kept runs as CSV, one line per run')
    .argument('[ids...]', 'only these runs (default: all)')
    .option('--csv <file>', 'write to this new file (mode 0600, never over an existing one) instead of stdout')
    .addOption(new Option('--mode <mode>', 'only runs of this mode').choices([...BENCH_MODES]))
    .action(async (ids: string[], opts: { csv?: string; mode?: BenchMode }, command: Command) => {
      const input: { ids?: string[]; mode?: BenchMode } = {};
      if (ids.length > 0) input.ids = ids;
      if (opts.mode) input.mode = opts.mode;
      const { csv, rows } = await withStoreCore(command, (core) => core.api.invoke('bench.exportCsv', input));
      if (opts.csv) {
        // Like every export: a new file, mode 0600, never written over an existing one.
        const out = await createExportFile(path.resolve(opts.csv), { mode: 'exclusive', shown: opts.csv });
        try {
          await out.write(csv);
          await out.commit();
        } catch (error) {
          await out.abort();
          throw error;
        }
        process.stderr.write(`wrote ${plural(rows, 'run')} to ${opts.csv}\n`);
      } else {
        process.stdout.write(csv);
      }
    });

  bench
    .command('delete')
    .description('forget a kept run')
    .argument('<id>', 'run id')
    .action(async (id: string, _opts: unknown, command: Command) => {
      const { deleted } = await withStoreCore(command, (core) => core.api.invoke('bench.delete', { id }));
      if (!deleted)
        throw new ContractError('NOT_FOUND', `no benchmark run "${id}"`, {
          hint: 'List the kept runs with synos-cc bench history.'
        });
      process.stdout.write(`deleted ${id}\n`);
    });
}
