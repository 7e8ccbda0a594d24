/**
 * `schema` and `validate`: the integration contract for service authors. `schema` writes the
 * AsyncAPI document and the JSON Schemas generated from the zod schemas; `validate` checks
 * messages with the bridge's own inbound validation, so it gives the reason and paths the bridge
 * would count for the same bytes on the same subject. Neither needs a NATS server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { toInvalidView } from '../../bridge/bridge';
import { DEFAULT_INBOUND_CONSUMERS, inboundConsumerFor, validateInbound } from '../../bridge/inbound';
import { BridgeStore } from '../../bridge/store';
import { DEFAULT_BRIDGE_SETTINGS, type BridgeSettings } from '../../bridge/settings';
import {
  DEFAULT_INBOUND_MAPPING,
  INVALID_REASONS,
  validateEnvelope,
  type EnvelopeValidation
} from '../../contract/messages';
import { loadConfig } from '../../core/config';
import { createLogger } from '../../core/logger';
import { DATABASE_FILE } from '../../core/paths';
import { openDatabase } from '../../store/database';
import { MIGRATIONS } from '../../store/migrations';
import { asyncApiYaml, jsonSchemaFiles, jsonSchemaText } from '../../integration/asyncapi';
import { globalsOf, overridesFrom, parseIntOption } from '../context';
import { CheckFailed, UsageError, plural, printJson, printTable } from '../io';

interface SchemaOptions {
  format?: 'asyncapi' | 'jsonschema';
  out?: string;
  defaults?: boolean;
}

interface ValidateOptions {
  json?: boolean;
  ndjson?: boolean;
  defaults?: boolean;
}

/** The bridge settings of this installation (config.json in the data directory), or the defaults. */
function bridgeSettings(command: Command, defaults: boolean | undefined): Readonly<BridgeSettings> {
  if (defaults) return DEFAULT_BRIDGE_SETTINGS;
  return loadConfig({ mode: 'cli', overrides: overridesFrom(globalsOf(command)) }).bridge;
}

/** Writes the documents into dir; stale schema files of types that no longer exist are removed. */
export function writeContractDocs(
  dir: string,
  format: 'asyncapi' | 'jsonschema' | undefined,
  settings: Readonly<BridgeSettings> = DEFAULT_BRIDGE_SETTINGS
): string[] {
  const written: string[] = [];
  fs.mkdirSync(dir, { recursive: true });
  if (format !== 'jsonschema') {
    const file = path.join(dir, 'asyncapi.yaml');
    fs.writeFileSync(file, asyncApiYaml(settings));
    written.push(file);
  }
  if (format !== 'asyncapi') {
    const schemasDir = path.join(dir, 'schemas');
    fs.mkdirSync(schemasDir, { recursive: true });
    const files = jsonSchemaFiles();
    for (const existing of fs.readdirSync(schemasDir)) {
      if (existing.endsWith('.schema.json') && !(existing in files)) fs.rmSync(path.join(schemasDir, existing));
    }
    for (const [name, schema] of Object.entries(files)) {
      const file = path.join(schemasDir, name);
      fs.writeFileSync(file, jsonSchemaText(schema));
      written.push(file);
    }
  }
  return written;
}

/** The input's messages: one (the whole input) or one per line (NDJSON). */
export function splitMessages(
  bytes: Buffer,
  ndjson: boolean | undefined
): Array<{ line: number | null; data: Buffer }> {
  const lines = (): Array<{ line: number; data: Buffer }> => {
    const out: Array<{ line: number; data: Buffer }> = [];
    let start = 0;
    let line = 1;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a) {
        let end = i;
        if (end > start && bytes[end - 1] === 0x0d) end--;
        const data = bytes.subarray(start, end);
        if (data.toString('utf8').trim().length > 0) out.push({ line, data });
        start = i + 1;
        line++;
      }
    }
    return out;
  };
  if (ndjson) return lines();
  // One JSON document (pretty-printed or not) is one message; otherwise several lines that each
  // start a JSON value are NDJSON; anything else is one message, judged as the bridge would.
  try {
    JSON.parse(bytes.toString('utf8'));
    return [{ line: null, data: bytes }];
  } catch {
    const split = lines();
    if (split.length > 1) {
      try {
        JSON.parse(split[0]!.data.toString('utf8'));
        return split;
      } catch {
        // Not NDJSON either.
      }
    }
    return [{ line: null, data: bytes }];
  }
}

async function readInput(file: string | undefined): Promise<Buffer> {
  if (file !== undefined && file !== '-') {
    try {
      return fs.readFileSync(file);
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
    }
  }
  if (file === undefined && process.stdin.isTTY) {
    throw new UsageError('give a FILE, or - to read the message(s) from stdin');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** The verdict for one message on a subject, with the same function the bridge runs. */
export function validateForSubject(
  subject: string,
  data: Uint8Array,
  settings: Readonly<BridgeSettings>
): { consumed: boolean; validation: EnvelopeValidation } {
  const consumer = inboundConsumerFor(subject, DEFAULT_INBOUND_CONSUMERS);
  if (consumer) {
    return {
      consumed: true,
      validation: validateInbound(consumer.family, subject, data, {
        inboundMapping: DEFAULT_INBOUND_MAPPING,
        maxMessageBytes: settings.maxMessageBytes
      })
    };
  }
  return { consumed: false, validation: validateEnvelope(data, { maxBytes: settings.maxMessageBytes, subject }) };
}

export function registerContract(program: Command): void {
  program
    .command('schema')
    .description(
      'write the AsyncAPI 3.0 document of every subject the control center consumes and publishes, and one JSON Schema (draft 2020-12) per message type'
    )
    .addOption(
      new Option('--format <format>', 'only this document (default: both with --out, asyncapi on stdout)').choices([
        'asyncapi',
        'jsonschema'
      ])
    )
    .option('--out <dir>', 'write DIR/asyncapi.yaml and DIR/schemas/<type>.schema.json instead of printing')
    .option('--defaults', "describe the default subjects, ignoring config.json's bridge section")
    .action((opts: SchemaOptions, command: Command) => {
      const settings = bridgeSettings(command, opts.defaults);
      if (opts.out) {
        const written = writeContractDocs(opts.out, opts.format, settings);
        process.stdout.write(`wrote ${plural(written.length, 'file')} to ${opts.out}\n`);
        return;
      }
      if (opts.format === 'jsonschema') {
        printJson(jsonSchemaFiles());
        return;
      }
      process.stdout.write(asyncApiYaml(settings));
    });

  program
    .command('validate')
    .description(
      'check messages exactly as the bridge would on SUBJECT: one message, or NDJSON (one per line), from FILE or - (stdin); exit 1 when any is invalid'
    )
    .argument('<subject>', 'the subject the message(s) would be published on')
    .argument('[file]', 'a file with one message or NDJSON; - or nothing reads stdin')
    .option('--ndjson', 'one message per line, even when the whole input is one JSON value')
    .option('--json', 'one JSON verdict per message')
    .option('--defaults', "use the default limits, ignoring config.json's bridge section")
    .action(async (subject: string, file: string | undefined, opts: ValidateOptions, command: Command) => {
      if (!/^[^\s*>]+$/.test(subject) || subject.split('.').some((t) => t.length === 0)) {
        throw new UsageError(`"${subject}" is not a subject a message can be published on (no wildcards or spaces)`);
      }
      const settings = bridgeSettings(command, opts.defaults);
      const messages = splitMessages(await readInput(file), opts.ndjson);
      if (messages.length === 0) throw new UsageError('the input is empty: nothing to validate');
      const consumed = inboundConsumerFor(subject, DEFAULT_INBOUND_CONSUMERS) !== null;
      if (!consumed && !opts.json) {
        process.stderr.write(
          `note: the bridge does not consume ${subject} (it reads ${DEFAULT_INBOUND_CONSUMERS.map((c) => c.filter).join(', ')}); checked as a CloudEvents message of any known type\n`
        );
      }
      const counts: Record<string, number> = {};
      let invalid = 0;
      for (const m of messages) {
        const { validation: v } = validateForSubject(subject, m.data, settings);
        const at = m.line === null ? '' : `line ${m.line}: `;
        if (v.ok) {
          if (opts.json) printLine({ line: m.line, ok: true, subject, type: v.type, id: v.envelope.id });
          else process.stdout.write(`${at}valid ${v.type} (id ${v.envelope.id})\n`);
          continue;
        }
        invalid++;
        counts[v.reason] = (counts[v.reason] ?? 0) + 1;
        if (opts.json) {
          printLine({ line: m.line, ok: false, subject, reason: v.reason, message: v.message, issues: v.issues });
        } else {
          process.stdout.write(`${at}invalid (${v.reason}): ${v.message}\n`);
          // The reason text names up to five issues; the full list when there is more than one.
          if (v.issues.length > 1) for (const i of v.issues) process.stdout.write(`  ${i.path}: ${i.message}\n`);
        }
      }
      if (messages.length > 1 && !opts.json) {
        const by = Object.entries(counts)
          .map(([r, n]) => `${r} ${n}`)
          .join(', ');
        process.stdout.write(
          `${plural(messages.length, 'message')}: ${messages.length - invalid} valid, ${invalid} invalid${by ? ` (${by})` : ''}\n`
        );
      }
      if (invalid > 0) {
        throw new CheckFailed(
          consumed
            ? `the bridge would reject ${invalid === messages.length && invalid === 1 ? 'this message' : `${invalid} of ${messages.length}`} (terminated, kept in the invalid-messages table)`
            : `${plural(invalid, 'invalid message')}`
        );
      }
    });
  registerInvalid(program);
}

/** `synos-cc invalid`: the bridge's invalid-messages table, read from the data directory's database. */
function registerInvalid(program: Command): void {
  program
    .command('invalid')
    .description(
      'inbound messages the bridge rejected (terminated, not redelivered), newest first, with the reason and paths; read from the data directory, also while a core runs on it'
    )
    .addOption(new Option('--reason <reason>', 'only this reason').choices([...INVALID_REASONS]))
    .option('--limit <n>', 'at most this many', parseIntOption('--limit', 1, 10_000), 50)
    .option('--json', 'print JSON (counts by reason and the messages, with their text or base64 bytes)')
    .action((opts: { reason?: string; limit: number; json?: boolean }, command: Command) => {
      const globals = globalsOf(command);
      const config = loadConfig({ mode: 'cli', overrides: overridesFrom(globals) });
      const logger = createLogger({ level: globals.logLevel ?? 'warn', format: 'json' });
      const { db } = openDatabase(path.join(config.dataDir, DATABASE_FILE), {
        migrations: MIGRATIONS,
        logger,
        synchronous: config.database.synchronous
      });
      try {
        const store = new BridgeStore(db, config.bridge.store);
        const items = store
          .listInvalid({ limit: opts.limit, ...(opts.reason ? { reason: opts.reason } : {}) })
          .map(toInvalidView);
        const counts = store.invalidCounts();
        if (opts.json) {
          printJson({ counts, items });
          return;
        }
        const total = Object.values(counts).reduce((a, b) => a + b, 0);
        if (total === 0) {
          process.stdout.write('No inbound message has been rejected (in this data directory).\n');
          return;
        }
        process.stdout.write(
          `${plural(total, 'rejected message')} kept: ${Object.entries(counts)
            .map(([r, n]) => `${r} ${n}`)
            .join(', ')}\n\n`
        );
        printTable(
          ['received', 'subject', 'seq', 'reason', 'message'],
          items.map((m) => [m.receivedAt, m.subject, m.streamSeq, m.reason, m.message])
        );
      } finally {
        db.close();
      }
    });
}

function printLine(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}
