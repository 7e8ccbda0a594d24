/**
 * JetStream commands: `provision [--check]`, `streams`, `streams info NAME`, `streams purge`,
 * `streams rm-msg`, `consumers STREAM` and `view STREAM`. One-shot commands never provision on
 * connect: inspecting (or checking drift) must not change the server.
 */
import readline from 'node:readline/promises';
import { InvalidArgumentError, type Command } from 'commander';
import {
  ContractError,
  type BrowsedMessage,
  type ConsumerSummary,
  type ProvisionReport,
  type StreamDetail,
  type StreamSummary
} from '../../contract';
import type { Core } from '../../app/create-core';
import { formatDuration, describeReport } from '../../nats/topology';
import { connectOrThrow, globalsOf, openCore, parseIntOption, withCore } from '../context';
import { UsageError, formatBytes, plural, printJson, printTable } from '../io';

/** A started, connected core for a one-shot command; provisioning on connect is off. */
async function withConnectedCore<T>(command: Command, fn: (core: Core) => Promise<T>): Promise<T> {
  const core = openCore(globalsOf(command), { autoConnect: false, quiet: true, overrides: { provision: false } });
  return withCore(core, async (c) => {
    await connectOrThrow(c);
    return fn(c);
  });
}

/**
 * A started core for a read-only listing: connects if it can; if it cannot, the procedure answers
 * from the snapshot cache (marked cached), and only without a snapshot does the connect error surface.
 */
async function withReadCore<T>(command: Command, fn: (core: Core) => Promise<T>): Promise<T> {
  const core = openCore(globalsOf(command), { autoConnect: false, quiet: true, overrides: { provision: false } });
  return withCore(core, async (c) => {
    const status = await c.api.invoke('connection.connect', {});
    try {
      return await fn(c);
    } catch (error) {
      if (status.state !== 'connected' && error instanceof ContractError && error.code === 'NOT_CONNECTED') {
        await connectOrThrow(c); // throws the typed connect failure (auth, TLS, unreachable)
      }
      throw error;
    }
  });
}

function noteCached(answer: { cached: boolean; snapshotTime: string }): void {
  if (answer.cached) process.stderr.write(`offline: showing the snapshot taken at ${answer.snapshotTime}\n`);
}

const pct = (fraction: number | null): string => (fraction === null ? '-' : `${(fraction * 100).toFixed(1)}%`);
const limit = (n: number): string => (n < 0 ? 'unlimited' : String(n));
const short = (time: string | null): string => (time ? time.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

function printStreams(streams: StreamSummary[]): void {
  printTable(
    ['NAME', 'STORAGE', 'R', 'MESSAGES', 'BYTES', 'FIRST', 'LAST', 'LAST TIME', 'CONSUMERS', 'MSGS USED', 'BYTES USED'],
    streams.map((s) => [
      s.name,
      s.storage,
      s.replicas,
      s.messages,
      formatBytes(s.bytes),
      s.firstSeq,
      s.lastSeq,
      short(s.lastTime),
      s.consumerCount,
      pct(s.usageMsgs),
      pct(s.usageBytes)
    ])
  );
}

function printStreamDetail(d: StreamDetail): void {
  const s = d.stream;
  const c = d.config;
  const ns = (v: unknown): string => (typeof v === 'number' ? formatDuration(Math.round(v / 1e6)) : '-');
  const rows: Array<[string, unknown]> = [
    ['Name', s.name],
    ['Description', s.description ?? '-'],
    ['Subjects', s.subjects.join(', ') || '-'],
    ['Retention', s.retention],
    ['Storage', s.storage],
    ['Replicas', s.replicas],
    ['Max messages', limit(s.maxMsgs)],
    ['Max bytes', s.maxBytes < 0 ? 'unlimited' : formatBytes(s.maxBytes)],
    ['Max age', ns(c.max_age)],
    ['Duplicate window', ns(c.duplicate_window)],
    ['Discard', c.discard ?? '-'],
    ['Allow direct', c.allow_direct === true ? 'yes' : 'no'],
    ['Created', s.created],
    ['Messages', `${s.messages} (${pct(s.usageMsgs)} of the limit)`],
    ['Bytes', `${formatBytes(s.bytes)} (${pct(s.usageBytes)} of the limit)`],
    ['First', `${s.firstSeq} @ ${short(s.firstTime)}`],
    ['Last', `${s.lastSeq} @ ${short(s.lastTime)}`],
    ['Deleted', d.state.num_deleted ?? 0],
    ['Consumers', s.consumerCount]
  ];
  // Set on nats-server ≥ 2.10 (absent, or at their defaults, on older servers).
  const transform = c.subject_transform as { src?: string; dest?: string } | undefined;
  if (transform?.src || transform?.dest)
    rows.push(['Subject transform', `${transform.src ?? '>'} → ${transform.dest}`]);
  if (typeof c.compression === 'string') rows.push(['Compression', c.compression]);
  if (typeof c.first_seq === 'number' && c.first_seq > 0) rows.push(['Configured first seq', c.first_seq]);
  for (const flag of ['allow_msg_ttl', 'allow_msg_counter', 'allow_msg_schedules', 'allow_atomic'] as const) {
    if (c[flag] === true) rows.push([flag.replace(/_/g, ' ').replace(/^allow/, 'Allows'), 'yes']);
  }
  const metadata = Object.entries((c.metadata ?? {}) as Record<string, string>).filter(
    ([k]) => !k.startsWith('_nats.')
  );
  for (const [k, v] of metadata) rows.push([`Metadata ${k}`, v]);
  if (d.cluster) {
    rows.push(['Cluster', d.cluster.name ?? '-'], ['Leader', d.cluster.leader ?? '(none)']);
    for (const r of d.cluster.replicas) {
      const state = r.offline ? 'offline' : r.current ? 'current' : 'behind';
      rows.push(['Replica', `${r.name}: ${state}, seen ${r.activeMs ?? '?'} ms ago, lag ${r.lag ?? 0}`]);
    }
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) process.stdout.write(`${k.padStart(width)}: ${String(v)}\n`);
}

function printConsumers(consumers: ConsumerSummary[]): void {
  // Pause state and priority groups exist from nats-server 2.11: columns only when reported.
  const pauseColumn = consumers.some((c) => c.paused !== undefined);
  const groupsColumn = consumers.some((c) => c.priorityGroups !== undefined);
  printTable(
    [
      'NAME',
      'FILTER',
      'PULL',
      'PENDING',
      'ACK PENDING',
      'REDELIVERED',
      'DELIVERED',
      'ACK FLOOR',
      'LAST ACTIVE',
      ...(pauseColumn ? ['PAUSED'] : []),
      ...(groupsColumn ? ['PRIORITY GROUPS'] : [])
    ],
    consumers.map((c) => [
      c.name,
      c.filter ?? '>',
      c.pull ? 'yes' : 'no',
      c.numPending,
      c.numAckPending,
      c.numRedelivered,
      c.delivered.streamSeq,
      c.ackFloor.streamSeq,
      short(c.lastActive),
      ...(pauseColumn ? [c.paused ? `until ${short(c.pauseUntil ?? null)}` : 'no'] : []),
      ...(groupsColumn
        ? [c.priorityGroups ? `${c.priorityGroups.join(', ')} (${c.priorityPolicy ?? 'none'})` : '-']
        : [])
    ])
  );
}

/** natscli-style hex dump: offset, 16 bytes in hex, printable characters. */
function hexDump(bytes: Buffer): string {
  const lines: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const chunk = bytes.subarray(off, off + 16);
    const hex = [...chunk].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...chunk].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

function renderPayload(m: BrowsedMessage): string {
  const bytes = Buffer.from(m.payloadBase64, 'base64');
  switch (m.format) {
    case 'empty':
      return '(empty)';
    case 'json':
      if (!m.truncated) {
        try {
          return JSON.stringify(JSON.parse(bytes.toString('utf8')), null, 2);
        } catch {
          return bytes.toString('utf8');
        }
      }
      return bytes.toString('utf8');
    case 'text':
      return bytes.toString('utf8');
    default:
      return hexDump(bytes);
  }
}

function printBrowsed(stream: string, m: BrowsedMessage): void {
  let out = `[${m.seq}] ${m.time} ${m.subject} (${formatBytes(m.size)})\n`;
  for (const [name, values] of Object.entries(m.headers ?? {})) for (const v of values) out += `  ${name}: ${v}\n`;
  for (const note of m.notes ?? []) out += `  (${note})\n`;
  out += renderPayload(m) + '\n';
  if (m.truncated) {
    out += `(truncated: showing ${Buffer.from(m.payloadBase64, 'base64').length} of ${m.size} bytes; synos-cc view ${stream} --seq ${m.seq} --limit 1 --full shows it all)\n`;
  }
  process.stdout.write(out + '\n');
}

/** `--since 10m` / `2h` / `1d` (ago) or an ISO time. */
function parseSince(value: string): string {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim());
  if (m) {
    const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
    return new Date(Date.now() - Number(m[1]) * factor).toISOString();
  }
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new InvalidArgumentError(
      '--since must be a duration ago (30s, 10m, 2h, 1d) or a time such as 2026-01-31T12:00:00Z.'
    );
  return new Date(t).toISOString();
}

/** `consumers` has --json too, and commander gives a flag to the parent when both define it. */
function wantsJson(opts: { json?: boolean }, command: Command): boolean {
  return Boolean(opts.json ?? (command.parent?.opts() as { json?: boolean } | undefined)?.json);
}

/** `--until`: a time in the future, as ISO. */
function parseUntil(value: string): string {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError('--until must be a time such as 2026-01-31T12:00:00Z.');
  if (t <= Date.now()) throw new InvalidArgumentError(`--until must be in the future (${value} has passed).`);
  return new Date(t).toISOString();
}

/** `--for`: 30s, 10m, 2h, 1d (up to a year); milliseconds. */
function parseFor(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('--for must be a duration such as 30s, 10m, 2h or 1d.');
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  const ms = Math.round(Number(m[1]) * factor);
  if (ms < 1000 || ms > 366 * 86_400_000) throw new InvalidArgumentError('--for must be between 1s and 366d.');
  return ms;
}

/** Destructive actions: --force, or a y/N answer on a terminal; anything else refuses. */
async function confirmOrRefuse(question: string, force: boolean | undefined): Promise<void> {
  if (force) return;
  if (!process.stdin.isTTY) throw new UsageError(`${question} needs confirmation: add --force (no terminal to ask on)`);
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new ContractError('CANCELLED', 'cancelled: nothing was changed');
  } finally {
    rl.close();
  }
}

function printProvisionReport(report: ProvisionReport): void {
  if (report.mode === 'apply') {
    printTable(
      ['KIND', 'NAME', 'STATUS'],
      [...report.streams, ...report.consumers].map((i) => [i.kind, i.name, i.status])
    );
  }
  const lines = describeReport(report);
  for (const line of lines) process.stdout.write(`${line}\n`);
  const bridge = report.bridgeConsumers;
  if (bridge) process.stdout.write(`bridge inbound: ${bridge.durables.join(', ')}: ${bridge.reason}\n`);
  const s = report.summary;
  const total = report.streams.length + report.consumers.length;
  if (report.mode === 'check') {
    process.stdout.write(
      report.inSync
        ? `no drift: ${report.streams.length} streams and ${report.consumers.length} consumers match\n`
        : `drift: ${total - s.unchanged} of ${total} differ (${s.missing} missing, ${s.drift} fixable, ${s.blocked} blocked, ${s.failed} failed)\n`
    );
  } else {
    process.stdout.write(
      `created ${s.created}, updated ${s.updated}, unchanged ${s.unchanged}, blocked ${s.blocked}, failed ${s.failed}\n`
    );
  }
}

export function registerStreams(program: Command): void {
  program
    .command('provision')
    .description('create or update the Syn_OS streams and durable consumers (never deletes anything)')
    .option('--check', 'only compare with the server and print each difference; exit 1 on drift')
    .option(
      '--replicas <n>',
      'replicas of each stream (default: configured, else 1)',
      parseIntOption('--replicas', 1, 5)
    )
    .option('--json', 'print the report as JSON')
    .action(async (opts: { check?: boolean; replicas?: number; json?: boolean }, command: Command) => {
      const report = await withConnectedCore(command, (core) => {
        const input = opts.replicas !== undefined ? { replicas: opts.replicas } : {};
        return opts.check ? core.api.invoke('streams.drift', input) : core.api.invoke('streams.provision', input);
      });
      if (opts.json) printJson(report);
      else printProvisionReport(report);
      if (!report.inSync) {
        const s = report.summary;
        throw new ContractError(
          'CONFLICT',
          opts.check
            ? `the server differs from the desired topology (${s.missing} missing, ${s.drift} fixable, ${s.blocked} blocked, ${s.failed} failed)`
            : s.blocked + s.failed === 0 && report.bridgeConsumers?.handoverPending
              ? `the bridge's filtered durable is created by the bridge's leader when it hands over: ${report.bridgeConsumers.reason}`
              : `${s.blocked} blocked and ${s.failed} failed ${s.blocked + s.failed === 1 ? 'item' : 'items'} could not be applied`,
          {
            hint: opts.check
              ? 'Run synos-cc provision to apply the fixable differences; blocked ones need a manual migration.'
              : 'Blocked settings cannot be changed in place: migrate the stream yourself (back up, delete, re-create).'
          }
        );
      }
    });

  const streams = program
    .command('streams')
    .description('list, inspect, purge and edit the streams on the server (any stream, not only Syn_OS)');
  streams
    .command('ls', { isDefault: true })
    .description('every stream with its state and usage against its limits (the default)')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      const list = await withReadCore(command, (core) => core.api.invoke('streams.list', {}));
      if (opts.json) return printJson(list);
      noteCached(list);
      if (list.streams.length === 0) process.stdout.write('no streams\n');
      else printStreams(list.streams);
    });
  streams
    .command('info')
    .description('one stream: configuration, state, cluster leader and replicas')
    .argument('<name>', 'stream name')
    .option('--json', 'print as JSON')
    .action(async (name: string, opts: { json?: boolean }, command: Command) => {
      const detail = await withReadCore(command, (core) => core.api.invoke('streams.info', { stream: name }));
      if (opts.json) return printJson(detail);
      noteCached(detail);
      printStreamDetail(detail);
    });
  streams
    .command('purge')
    .description('delete every message of a stream, or only those on a subject (asks first; --force to skip)')
    .argument('<name>', 'stream name')
    .option('--subject <subject>', 'only messages on this subject (wildcards allowed)')
    .option('--keep <n>', 'keep the newest N messages', parseIntOption('--keep', 1, Number.MAX_SAFE_INTEGER))
    .option('-f, --force', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        name: string,
        opts: { subject?: string; keep?: number; force?: boolean; json?: boolean },
        command: Command
      ) => {
        const what = opts.subject ? `messages on ${opts.subject} in` : 'every message of';
        await confirmOrRefuse(
          `Purge ${what} stream ${name}${opts.keep ? ` (keeping the newest ${opts.keep})` : ''}?`,
          opts.force
        );
        const result = await withConnectedCore(command, (core) =>
          core.api.invoke('streams.purge', {
            stream: name,
            confirm: true,
            ...(opts.subject ? { subject: opts.subject } : {}),
            ...(opts.keep ? { keep: opts.keep } : {})
          })
        );
        if (opts.json) printJson(result);
        else process.stdout.write(`purged ${plural(result.purged, 'message')} from ${name}\n`);
      }
    );
  streams
    .command('rm-msg')
    .description('delete one message by sequence (asks first; --force to skip)')
    .argument('<name>', 'stream name')
    .argument('<seq>', 'sequence of the message', parseIntOption('seq', 1, Number.MAX_SAFE_INTEGER))
    .option('--erase', 'also overwrite the stored bytes (slower)')
    .option('-f, --force', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        name: string,
        seq: number,
        opts: { erase?: boolean; force?: boolean; json?: boolean },
        command: Command
      ) => {
        await confirmOrRefuse(`Delete message ${seq} of stream ${name}?`, opts.force);
        const result = await withConnectedCore(command, (core) =>
          core.api.invoke('streams.deleteMessage', {
            stream: name,
            seq,
            confirm: true,
            ...(opts.erase ? { erase: true } : {})
          })
        );
        if (opts.json) printJson(result);
        else process.stdout.write(`deleted message ${seq} from ${name}\n`);
      }
    );

  const consumers = program
    .command('consumers')
    .description(
      'the consumers of a stream: pending, ack pending, redelivered, floors, last activity (and pause/resume one)'
    )
    .argument('<stream>', 'stream name')
    .option('--json', 'print as JSON')
    .action(async (stream: string, opts: { json?: boolean }, command: Command) => {
      const list = await withReadCore(command, (core) => core.api.invoke('consumers.list', { stream }));
      if (opts.json) return printJson(list);
      noteCached(list);
      if (list.consumers.length === 0) process.stdout.write(`stream ${stream} has no consumers\n`);
      else printConsumers(list.consumers);
    });

  consumers
    .command('pause')
    .description('pause a consumer until a time (nats-server ≥ 2.11): it keeps its state and delivers nothing')
    .argument('<stream>', 'stream name')
    .argument('<name>', 'consumer name')
    .option('--until <time>', 'resume at this time (ISO, e.g. 2026-01-31T12:00:00Z)', parseUntil)
    .option('--for <duration>', 'resume after this long: 30s, 10m, 2h, 1d', parseFor)
    .option('--json', 'print the consumer as JSON')
    .action(
      async (
        stream: string,
        name: string,
        opts: { until?: string; for?: number; json?: boolean },
        command: Command
      ) => {
        if ((opts.until === undefined) === (opts.for === undefined))
          throw new UsageError('give either --until TIME or --for DURATION');
        const until = opts.until ?? new Date(Date.now() + (opts.for as number)).toISOString();
        const summary = await withConnectedCore(command, (core) =>
          core.api.invoke('consumers.pause', { stream, consumer: name, until })
        );
        if (wantsJson(opts, command)) return printJson(summary);
        process.stdout.write(
          `paused consumer ${name} of ${stream} until ${short(summary.pauseUntil ?? until)} (synos-cc consumers resume ${stream} ${name} resumes it now)\n`
        );
      }
    );

  consumers
    .command('resume')
    .description('resume a paused consumer now (nats-server ≥ 2.11)')
    .argument('<stream>', 'stream name')
    .argument('<name>', 'consumer name')
    .option('--json', 'print the consumer as JSON')
    .action(async (stream: string, name: string, opts: { json?: boolean }, command: Command) => {
      const summary = await withConnectedCore(command, (core) =>
        core.api.invoke('consumers.resume', { stream, consumer: name })
      );
      if (wantsJson(opts, command)) return printJson(summary);
      process.stdout.write(`resumed consumer ${name} of ${stream}: ${summary.numPending} pending\n`);
    });

  program
    .command('view')
    .description('page through the messages of a stream without consuming them (no consumer is created)')
    .argument('<stream>', 'stream name')
    .option('--seq <n>', 'start at this sequence', parseIntOption('--seq', 1, Number.MAX_SAFE_INTEGER))
    .option('--since <time>', 'start at this time: 30s, 10m, 2h, 1d ago, or an ISO time', parseSince)
    .option('--last <n>', 'the newest N messages', parseIntOption('--last', 1, 100_000))
    .option('--subject <filter>', 'only messages on this subject (wildcards allowed)')
    .option('--limit <n>', 'messages per page (default 100)', parseIntOption('--limit', 1, 1000))
    .option('--full', 'show whole payloads instead of the first 8 KiB')
    .option('--json', 'print the page as JSON (payloads base64 with their detected format)')
    .action(
      async (
        stream: string,
        opts: {
          seq?: number;
          since?: string;
          last?: number;
          subject?: string;
          limit?: number;
          full?: boolean;
          json?: boolean;
        },
        command: Command
      ) => {
        const starts = [opts.seq !== undefined, opts.since !== undefined, opts.last !== undefined].filter(
          Boolean
        ).length;
        if (starts > 1) throw new UsageError('use only one of --seq, --since and --last');
        const from =
          opts.seq !== undefined
            ? { seq: opts.seq }
            : opts.since !== undefined
              ? { time: opts.since }
              : opts.last !== undefined
                ? { last: opts.last }
                : undefined;
        const limitN = opts.last !== undefined ? Math.min(opts.last, 1000) : (opts.limit ?? 100);
        const page = await withConnectedCore(command, (core) =>
          core.api.invoke('streams.browse', {
            stream,
            limit: opts.limit ?? limitN,
            ...(from ? { from } : {}),
            ...(opts.subject ? { subject: opts.subject } : {}),
            ...(opts.full ? { maxPayloadBytes: 1024 * 1024 } : {})
          })
        );
        if (opts.json) return printJson(page);
        if (page.messages.length === 0) {
          process.stdout.write(
            `no messages${opts.subject ? ` on ${opts.subject}` : ''} in ${stream} there (it holds ${page.firstSeq}..${page.lastSeq})\n`
          );
          return;
        }
        for (const m of page.messages) printBrowsed(stream, m);
        if (page.nextSeq !== null)
          process.stdout.write(
            `next page: synos-cc view ${stream} --seq ${page.nextSeq}${opts.subject ? ` --subject '${opts.subject}'` : ''}\n`
          );
      }
    );
}
