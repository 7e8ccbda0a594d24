/**
 * `outbox`, `dlq list|retry|discard` and `breakers [open|release]`: the durability area from the
 * terminal. They work on the data directory's SQLite file, so they are safe next to a running core
 * (`run`, `serve`, the desktop): the emergency switch and the rate limit are shared through it.
 * Also `publishViaOutbox`, the `pub --outbox [--wait]` delivery mode.
 */
import type { Command } from 'commander';
import {
  ContractError,
  type PublishInput,
  type BreakerStatus,
  type BreakersReport,
  type OutboxEntryPayload,
  type OutboxStatsPayload
} from '../../contract';
import type { Core } from '../../app/create-core';
import { enqueuePublish, type OutboxPublishRequest } from '../../resilience/outbox-enqueue';
import { collect, connectOrThrow, globalsOf, openCore, parseIntOption, withCore } from '../context';
import { UsageError, formatBytes, plural, printJson, printTable, progressLine } from '../io';

/** `1.2 s`, `3 min 4 s`, `2 h 5 min`. */
export function formatAge(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

function printStats(stats: OutboxStatsPayload): void {
  printTable(
    ['STATUS', 'COUNT'],
    (Object.keys(stats.counts) as Array<keyof typeof stats.counts>).map((k) => [k, stats.counts[k]])
  );
  const age = stats.oldestUndeliveredAgeMs;
  process.stdout.write(
    age === null
      ? '\nNothing waiting: every message was delivered.\n'
      : `\nOldest undelivered: ${formatAge(age)} old (since ${stats.oldestUndeliveredAt})\n`
  );
  if (stats.counts.dead > 0)
    process.stdout.write(`${plural(stats.counts.dead, 'dead letter')}: see "synos-cc dlq list".\n`);
  if (stats.rateLimitPerSec !== null) process.stdout.write(`Drain rate limit: ${stats.rateLimitPerSec}/s\n`);
}

function printEntries(entries: OutboxEntryPayload[]): void {
  printTable(
    ['ID', 'SUBJECT', 'PRIORITY', 'ATTEMPTS', 'SIZE', 'UPDATED', 'LAST ERROR'],
    entries.map((e) => [e.id, e.subject, e.priority, e.attempts, formatBytes(e.size), e.updatedAt, e.lastError ?? ''])
  );
}

function printBreakerTable(breakers: BreakerStatus[]): void {
  printTable(
    ['OPERATION', 'STATE', 'SINCE', 'FAILURES', 'OPENED', 'LAST ERROR'],
    breakers.map((b) => [b.operation, b.state, b.since, b.consecutiveFailures, b.openedCount, b.lastError ?? ''])
  );
}

function printBreakers(report: BreakersReport): void {
  const e = report.emergency;
  process.stdout.write(
    e.active
      ? `EMERGENCY: every breaker is forced open since ${e.since} (${e.reason}). Release with "synos-cc breakers release".\n\n`
      : 'Emergency switch: off\n\n'
  );
  if (report.others.length === 0) {
    process.stdout.write('No core is running on this data directory; a core starting now has these breakers:\n');
    printBreakerTable(report.breakers);
    return;
  }
  for (const core of report.others) {
    process.stdout.write(`Core ${core.owner} (pid ${core.pid} on ${core.host}, reported ${core.updatedAt}):\n`);
    printBreakerTable(core.breakers);
    process.stdout.write('\n');
  }
}

interface DlqTargetOptions {
  id?: string[];
  all?: boolean;
}

function dlqTarget(opts: DlqTargetOptions): { ids: string[] } | { all: true } {
  if (opts.all && opts.id) throw new UsageError('give either --id ID (repeatable) or --all, not both');
  if (opts.all) return { all: true };
  if (opts.id && opts.id.length > 0) return { ids: opts.id };
  throw new UsageError('say which dead letters: --id ID (repeatable) or --all');
}

/** Opens a core on the data directory without connecting (these commands only touch SQLite). */
function offlineCore(command: Command): Core {
  return openCore(globalsOf(command), { quiet: true, autoConnect: false });
}

/** The `pub` command's message (as sent to messages.publish) as an outbox request. */
export function outboxRequestFrom(message: PublishInput): OutboxPublishRequest {
  const request: OutboxPublishRequest = {
    subject: message.subject,
    body: message.body ?? '',
    bodyEncoding: message.bodyEncoding ?? 'utf8',
    count: message.count ?? 1,
    templates: message.templates ?? true
  };
  if (message.headers) request.headers = message.headers;
  if (message.envelope) {
    request.envelope = { type: message.envelope.type, source: message.envelope.source ?? 'synos-control-center' };
    if (message.envelope.priority) request.envelope.priority = message.envelope.priority;
    if (message.envelope.correlationid) request.envelope.correlationid = message.envelope.correlationid;
  }
  return request;
}

export interface OutboxPublishOptions {
  wait: boolean;
  waitTimeoutMs: number;
  json: boolean;
}

/**
 * `pub --outbox`: stores the messages durably and returns. With `wait`, this process connects,
 * delivers them itself (as any core on the directory would) and returns when every one is
 * acknowledged by JetStream (or dead), or fails with TIMEOUT — the rest stays in the outbox.
 */
export async function publishViaOutbox(
  core: Core,
  request: OutboxPublishRequest,
  options: OutboxPublishOptions
): Promise<void> {
  const store = core.app.durability.outbox;
  const started = performance.now();
  const result = enqueuePublish(store, request, { dataDir: core.context.config.dataDir });
  const storedMs = Math.round(performance.now() - started);
  if (!options.wait) {
    if (options.json) {
      printJson({
        subject: request.subject,
        stored: result.stored,
        bytes: result.bytes,
        ids: result.ids.slice(0, 1000),
        durationMs: storedMs,
        delivered: null
      });
      return;
    }
    process.stdout.write(
      `Stored ${plural(result.stored, 'message')} (${formatBytes(result.bytes)}) for "${request.subject}" in the outbox of ${core.context.config.dataDir} in ${storedMs} ms.\n` +
        'A core running on this data directory (run, serve or the desktop) delivers them; "synos-cc outbox" shows progress.\n'
    );
    for (const id of result.ids.slice(0, 10)) process.stdout.write(`  id ${id}\n`);
    return;
  }
  await connectOrThrow(core);
  const deadline = Date.now() + options.waitTimeoutMs;
  let remaining = result.ids;
  let completed = 0;
  let dead = 0;
  // Why the oldest waiting message is not delivered yet (e.g. no stream takes the subject): said as
  // soon as an attempt fails, not only when the wait runs out.
  let lastError: string | null = null;
  let shown = '';
  while (remaining.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const statuses = store.statusOf(remaining);
    const next: string[] = [];
    for (const id of remaining) {
      const status = statuses.get(id);
      if (status === 'completed') completed++;
      else if (status === 'dead') dead++;
      else if (status !== undefined) next.push(id);
    }
    remaining = next;
    const waiting = remaining[0] === undefined ? null : store.get(remaining[0]);
    if (waiting?.lastError) lastError = waiting.lastError;
    if (options.json) continue;
    const failing = waiting?.lastError
      ? `; attempt ${waiting.attempts} failed, retrying with back-off until --wait-timeout: ${waiting.lastError}`
      : '';
    const line = `delivered ${completed} of ${result.stored}${failing}`;
    // On a terminal the line is rewritten as it changes; in a log only a new failure reason is.
    const key = process.stderr.isTTY ? line : (waiting?.lastError ?? '');
    if (key !== '' && key !== shown) {
      progressLine(line);
      shown = key;
    }
  }
  if (process.stderr.isTTY && shown !== '') progressLine('', true);
  const durationMs = Math.round(performance.now() - started);
  if (options.json) {
    printJson({
      subject: request.subject,
      stored: result.stored,
      bytes: result.bytes,
      ids: result.ids.slice(0, 1000),
      durationMs,
      delivered: completed,
      dead,
      waiting: remaining.length,
      lastError: remaining.length > 0 ? lastError : null
    });
  } else {
    process.stdout.write(
      `Delivered ${completed} of ${plural(result.stored, 'message')} to JetStream (acknowledged) in ${durationMs} ms.\n`
    );
  }
  if (dead > 0) {
    throw new ContractError(
      'JETSTREAM_ERROR',
      `${dead === 1 ? 'a message' : `${dead} messages`} failed every attempt and ${dead === 1 ? 'is a dead letter' : 'are dead letters'}`,
      {
        hint: 'See "synos-cc dlq list" for the error; fix the cause (is a stream capturing the subject?) and "synos-cc dlq retry --all".'
      }
    );
  }
  if (remaining.length > 0) {
    throw new ContractError(
      'TIMEOUT',
      `${plural(remaining.length, 'message')} not acknowledged within ${options.waitTimeoutMs} ms` +
        (lastError ? `; the last attempt failed: ${lastError}` : ''),
      {
        hint: 'They stay in the outbox: a core running on this data directory delivers them, or run the command again with a longer --wait-timeout.'
      }
    );
  }
}

export function registerOutbox(program: Command): void {
  program
    .command('outbox')
    .description('outbox of the data directory: messages by status and the oldest undelivered age')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      const core = offlineCore(command);
      await withCore(core, async () => {
        const stats = await core.api.invoke('outbox.stats', {});
        if (opts.json) printJson(stats);
        else printStats(stats);
      });
    });

  const dlq = program
    .command('dlq')
    .description('dead letters: messages that failed every attempt (list, retry, discard)');
  dlq
    .command('list')
    .description('list dead letters, newest first')
    .option('--limit <n>', 'at most this many', parseIntOption('--limit', 1, 10_000), 100)
    .option('--json', 'print as JSON')
    .action(async (opts: { limit: number; json?: boolean }, command: Command) => {
      const core = offlineCore(command);
      await withCore(core, async () => {
        const page = await core.api.invoke('dlq.list', { limit: opts.limit });
        if (opts.json) return printJson(page);
        if (page.total === 0) {
          process.stdout.write('No dead letters.\n');
          return;
        }
        printEntries(page.entries);
        if (page.total > page.entries.length)
          process.stdout.write(`(${page.entries.length} of ${page.total}; raise --limit)\n`);
      });
    });
  for (const [name, verb, done] of [
    ['retry', 'put dead letters back in the outbox with a fresh attempt budget', 'Queued again'],
    ['discard', 'delete dead letters for good', 'Discarded']
  ] as const) {
    dlq
      .command(name)
      .description(verb)
      .option('--id <id>', 'a dead letter id (repeatable)', collect)
      .option('--all', 'every dead letter')
      .option('--json', 'print as JSON')
      .action(async (opts: DlqTargetOptions & { json?: boolean }, command: Command) => {
        const target = dlqTarget(opts);
        const core = offlineCore(command);
        await withCore(core, async () => {
          const result = await core.api.invoke(name === 'retry' ? 'dlq.retry' : 'dlq.discard', target);
          if (opts.json) return printJson(result);
          process.stdout.write(`${done}: ${plural(result.count, 'dead letter')}.\n`);
          if ('ids' in target && result.count < target.ids.length) {
            process.stdout.write(
              `${plural(target.ids.length - result.count, 'id')} ${target.ids.length - result.count === 1 ? 'was not a dead letter' : 'were not dead letters'} (see "synos-cc dlq list").\n`
            );
          }
        });
      });
  }

  const breakers = program
    .command('breakers')
    .description('circuit breaker states (connect, publish, subscribe, jetstream-api) and the emergency switch')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      const core = offlineCore(command);
      await withCore(core, async () => {
        const report = await core.api.invoke('resilience.breakers', {});
        if (opts.json) printJson(report);
        else printBreakers(report);
      });
    });
  breakers
    .command('open')
    .description(
      'emergency: force every breaker open in every core on this data directory (nothing is published; the outbox holds messages)'
    )
    .option('--reason <text>', 'why, shown to everyone who looks')
    .option('--json', 'print as JSON')
    .action(async (opts: { reason?: string; json?: boolean }, command: Command) => {
      const core = offlineCore(command);
      await withCore(core, async () => {
        const report = await core.api.invoke('resilience.emergency', {
          active: true,
          ...(opts.reason ? { reason: opts.reason } : {})
        });
        if (opts.json) return printJson(report);
        process.stdout.write(
          'Emergency switch on: every breaker is forced open. Running cores pick it up within a second.\n'
        );
      });
    });
  breakers
    .command('release')
    .description('release the emergency switch; breakers close and the outbox drains again')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      const core = offlineCore(command);
      await withCore(core, async () => {
        const report = await core.api.invoke('resilience.emergency', { active: false });
        if (opts.json) return printJson(report);
        process.stdout.write('Emergency switch released: breakers are closed again and the outbox drains.\n');
      });
    });
}
