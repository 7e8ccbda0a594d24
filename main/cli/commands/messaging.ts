/**
 * `sub`, `pub` and `req`: core NATS messaging from the terminal, spelled like natscli's.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  type PublishInput,
  type PublishResult,
  type RequestResult,
  type TailBatch,
  type TailMessage
} from '../../contract';
import { headerNameIssue } from '../../contract/header-lines';
import { MESSAGE_TYPES } from '../../contract/messages';
import type { Core } from '../../app/create-core';
import { collect, connectOrThrow, globalsOf, openCore, parseIntOption, untilSignal, withCore } from '../context';
import { UsageError, formatBytes, printJson } from '../io';
import { outboxRequestFrom, publishViaOutbox } from './outbox';

/** Parses `500ms`, `2s`, `1.5m`, `1h`; a bare number is seconds (as `--timeout 5`). Returns ms. */
export function parseDurationOption(name: string, minMs: number, maxMs: number) {
  return (value: string): number => {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(value.trim());
    if (!m) throw new InvalidArgumentError(`${name} must be a duration such as 500ms, 2s or 1m.`);
    const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
    const ms = Math.round(Number(m[1]) * factor);
    if (ms < minMs || ms > maxMs) {
      // A bare number is seconds: say how "60000" was read, and how to write milliseconds.
      const read =
        m[2] === undefined ? ` (${m[1]} without a unit is ${m[1]} seconds; write ${m[1]}ms for milliseconds)` : '';
      throw new InvalidArgumentError(
        `${name} must be between ${formatDuration(minMs)} and ${formatDuration(maxMs)}${read}.`
      );
    }
    return ms;
  };
}

/** Milliseconds as the duration syntax the options take (500ms, 5s, 1m, 1h): help and errors. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/**
 * A duration option whose default shows in --help in the same syntax it is parsed with (60s, not
 * 60000, which would be read as 60000 seconds).
 */
export function durationOption(
  flags: string,
  description: string,
  name: string,
  bounds: { minMs: number; maxMs: number },
  defaultMs?: number
): Option {
  const option = new Option(flags, `${description} (500ms, 2s, 1m; a bare number is seconds)`).argParser(
    parseDurationOption(name, bounds.minMs, bounds.maxMs)
  );
  return defaultMs === undefined ? option : option.default(defaultMs, formatDuration(defaultMs));
}

/** `-H 'Name: value'` (repeatable) → headers; several values of one name are kept in order. */
export function parseHeaders(values: string[] | undefined): Record<string, string[]> | undefined {
  if (!values || values.length === 0) return undefined;
  const out: Record<string, string[]> = {};
  for (const raw of values) {
    const at = raw.indexOf(':');
    if (at < 0) throw new UsageError(`--header "${raw}" must look like Name:value`);
    // The same name rule as the Messages view's forms (HTTP tokens), so both refuse the same typos.
    const name = raw.slice(0, at).trim();
    const issue = headerNameIssue(name);
    if (issue) throw new UsageError(`--header "${raw}": ${issue}`);
    (out[name] ??= []).push(raw.slice(at + 1).trimStart());
  }
  return out;
}

/** The body argument, else stdin when it is piped (`echo hi | synos-cc pub x`), else empty. */
async function readBody(arg: string | undefined): Promise<string> {
  if (arg !== undefined) return arg;
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** --raw: the payload bytes as they came (binary too), one message per line. */
function writeRaw(payload: string, encoding: 'utf8' | 'base64'): void {
  process.stdout.write(Buffer.concat([Buffer.from(payload, encoding), Buffer.from('\n')]));
}

function printMessage(m: TailMessage, raw: boolean): void {
  if (raw) return writeRaw(m.payload, m.encoding);
  const body = m.encoding === 'utf8' ? m.payload : `(binary, base64) ${m.payload}`;
  let out = `[#${m.seq}] Received on "${m.subject}" at ${m.time} (${formatBytes(m.size)})`;
  if (m.reply) out += ` with reply "${m.reply}"`;
  out += '\n';
  for (const [name, values] of Object.entries(m.headers ?? {})) for (const v of values) out += `${name}: ${v}\n`;
  if (m.headers) out += '\n';
  out += body + (m.truncated ? `\n(truncated: showing the first part of ${m.size} bytes)` : '') + '\n\n';
  process.stdout.write(out);
}

interface SubOptions {
  count?: number;
  json?: boolean;
  raw?: boolean;
}

interface PubOptions {
  count: number;
  header?: string[];
  type?: string;
  source?: string;
  templates: boolean;
  json?: boolean;
  outbox?: boolean;
  wait?: boolean;
  waitTimeout: number;
  ttl?: number;
}

interface ReqOptions {
  timeout: number;
  header?: string[];
  json?: boolean;
  raw?: boolean;
}

/** Follows a live tail and prints each message until `count` or a signal. */
async function follow(core: Core, subject: string, opts: SubOptions): Promise<void> {
  let tailId: string | null = null;
  const early: TailBatch[] = [];
  let printed = 0;
  let droppedSeen = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const onBatch = (batch: TailBatch): void => {
    if (opts.count !== undefined && printed >= opts.count) return;
    if (batch.dropped > droppedSeen) {
      process.stderr.write(`warning: ${batch.dropped - droppedSeen} messages dropped (the output could not keep up)\n`);
      droppedSeen = batch.dropped;
    }
    for (const m of batch.messages) {
      if (opts.json) process.stdout.write(JSON.stringify(m) + '\n');
      else printMessage(m, Boolean(opts.raw));
      printed++;
      if (opts.count !== undefined && printed >= opts.count) {
        finish();
        return;
      }
    }
  };
  const off = core.api.subscribe('tail.messages', (batch) => {
    if (tailId === null) early.push(batch);
    else if (batch.tailId === tailId) onBatch(batch);
  });
  try {
    // A large ring and full payloads: the terminal should see every message whole.
    const tail = await core.api.invoke('tail.start', { subject, capacity: 100_000, previewBytes: 8 * 1024 * 1024 });
    tailId = tail.id;
    process.stderr.write(`Subscribing on ${subject}${opts.count !== undefined ? ` for ${opts.count} messages` : ''}\n`);
    for (const batch of early.splice(0)) if (batch.tailId === tailId) onBatch(batch);
    await Promise.race([finished, untilSignal()]);
    await core.api.invoke('tail.stop', { id: tail.id });
  } finally {
    off();
  }
}

/** Straight to NATS on the live connection. */
async function publishDirect(core: Core, message: PublishInput): Promise<PublishResult> {
  await connectOrThrow(core);
  return core.api.invoke('messages.publish', message);
}

function printPublished(result: PublishResult, json: boolean | undefined): void {
  if (json) return printJson(result);
  const what = result.published === 1 ? '1 message' : `${result.published} messages`;
  process.stdout.write(
    `Published ${what} (${formatBytes(result.bytes)}) to "${result.subject}" in ${result.durationMs} ms\n`
  );
  for (const id of result.ids.slice(0, 10)) process.stdout.write(`  envelope id ${id}\n`);
}

function printReply(result: RequestResult, opts: ReqOptions): void {
  if (opts.json) return printJson(result);
  const r = result.reply;
  process.stderr.write(`Received reply on "${result.subject}" in ${result.durationMs} ms (${formatBytes(r.size)})\n`);
  if (opts.raw) return writeRaw(r.payload, r.encoding);
  for (const [name, values] of Object.entries(r.headers ?? {}))
    for (const v of values) process.stdout.write(`${name}: ${v}\n`);
  if (r.headers) process.stdout.write('\n');
  process.stdout.write((r.encoding === 'utf8' ? r.payload : `(binary, base64) ${r.payload}`) + '\n');
}

/** Adds `sub`, `pub` and `req` to the program. */
export function registerMessaging(program: Command): void {
  program
    .command('sub')
    .description('print the messages on a subject (wildcards: * one token, > the rest) until Ctrl+C or --count')
    .argument('<subject>', 'subject to subscribe to, e.g. consciousness.> or orchestrator.*.health')
    .option('--count <n>', 'exit after this many messages', parseIntOption('--count', 1, 1_000_000_000))
    .option('--json', 'one JSON object per message and line')
    .option('--raw', 'print only the payloads')
    .action(async (subject: string, opts: SubOptions, command: Command) => {
      const core = openCore(globalsOf(command), { quiet: true, autoConnect: false });
      await withCore(core, async () => {
        await connectOrThrow(core);
        await follow(core, subject, opts);
      });
    });

  program
    .command('pub')
    .description('publish a message; {{count}} / {{.Count}} in the body (and headers) become the message number')
    .argument('<subject>', 'subject to publish to')
    .argument('[body]', 'message body (read from stdin when left out and stdin is not a terminal)')
    .option('--count <n>', 'publish this many messages', parseIntOption('--count', 1, 1_000_000), 1)
    .option('-H, --header <Name:value>', 'add a header (repeatable)', collect)
    .option(
      '--type <type>',
      'wrap the body (JSON) as the data of a validated Syn_OS envelope of this type (e.g. service.health.update)'
    )
    .option('--source <source>', 'envelope source (with --type)')
    .option('--no-templates', 'send {{…}} in the body literally')
    .option(
      '--ttl <duration>',
      'per-message TTL, whole seconds (30s, 10m, 2h): the stream removes the message then (nats-server ≥ 2.11, stream with allow_msg_ttl)',
      parseDurationOption('--ttl', 1000, 100 * 365 * 86_400_000)
    )
    .option(
      '--outbox',
      "store in the data directory's durable outbox and return once stored; a core running there delivers each exactly once"
    )
    .option('--wait', 'with --outbox: deliver from this process and exit when JetStream acknowledged every message')
    .addOption(
      durationOption(
        '--wait-timeout <duration>',
        'with --wait: give up after this long (the rest stays in the outbox)',
        '--wait-timeout',
        { minMs: 100, maxMs: 3_600_000 },
        60_000
      )
    )
    .option('--json', 'print the result as JSON')
    .action(async (subject: string, bodyArg: string | undefined, opts: PubOptions, command: Command) => {
      if (opts.wait && !opts.outbox) throw new UsageError('--wait needs --outbox');
      if (opts.type !== undefined && !(MESSAGE_TYPES as readonly string[]).includes(opts.type)) {
        throw new UsageError(`--type must be one of: ${MESSAGE_TYPES.join(', ')}`);
      }
      if (opts.source !== undefined && opts.type === undefined) throw new UsageError('--source needs --type');
      if (opts.ttl !== undefined && opts.outbox) throw new UsageError('--ttl cannot be used with --outbox');
      if (opts.ttl !== undefined && opts.ttl % 1000 !== 0) throw new UsageError('--ttl must be whole seconds');
      const message: PublishInput = {
        subject,
        body: await readBody(bodyArg),
        count: opts.count,
        templates: opts.templates
      };
      const headers = parseHeaders(opts.header);
      if (headers) message.headers = headers;
      if (opts.ttl !== undefined) message.ttlMs = opts.ttl;
      if (opts.type !== undefined) {
        message.envelope = {
          type: opts.type as (typeof MESSAGE_TYPES)[number],
          ...(opts.source !== undefined ? { source: opts.source } : {})
        };
      }
      const core = openCore(globalsOf(command), { quiet: true, autoConnect: false });
      await withCore(core, async () => {
        // How the message is delivered. Today: straight to NATS. Other delivery modes (through the
        // durable outbox, waiting for its confirmation) branch here with the same `message`.
        if (opts.outbox) {
          await publishViaOutbox(core, outboxRequestFrom(message), {
            wait: Boolean(opts.wait),
            waitTimeoutMs: opts.waitTimeout,
            json: Boolean(opts.json)
          });
          return;
        }
        const result = await publishDirect(core, message);
        printPublished(result, opts.json);
      });
    });

  program
    .command('req')
    .alias('request')
    .description('send a request and print the first reply (TIMEOUT, or NO_RESPONDERS when nothing listens)')
    .argument('<subject>', 'subject to send the request to')
    .argument('[body]', 'request body (read from stdin when left out and stdin is not a terminal)')
    .addOption(
      durationOption(
        '--timeout <duration>',
        'how long to wait for the reply',
        '--timeout',
        { minMs: 10, maxMs: 300_000 },
        5000
      )
    )
    .option('-H, --header <Name:value>', 'add a header (repeatable)', collect)
    .option('--json', 'print the reply as JSON')
    .option('--raw', 'print only the reply payload')
    .action(async (subject: string, bodyArg: string | undefined, opts: ReqOptions, command: Command) => {
      const body = await readBody(bodyArg);
      const headers = parseHeaders(opts.header);
      const core = openCore(globalsOf(command), { quiet: true, autoConnect: false });
      await withCore(core, async () => {
        await connectOrThrow(core);
        const result = await core.api.invoke('messages.request', {
          subject,
          body,
          timeoutMs: opts.timeout,
          // The terminal gets the whole reply (NATS payloads are at most a few MiB).
          previewBytes: 8 * 1024 * 1024,
          ...(headers ? { headers } : {})
        });
        printReply(result, opts);
      });
    });
}
