/**
 * `synos-cc kv …`: key-value buckets with natscli's spellings (`nats kv add|ls|info|edit|rm|get|
 * put|create|update|del|purge|history|watch`), plus `keys` for a paged key listing. Every command
 * has --json; destructive ones ask y/N or take --force.
 */
import { ContractError } from '../../contract';
import { Option, type Command } from 'commander';
import type { KvBucket, KvEntry, KvWatchBatch } from '../../contract';
import type { Core } from '../../app/create-core';
import { parseIntOption, untilSignal } from '../context';
import { UsageError, formatBytes, printJson, printTable } from '../io';
import {
  confirmOrRefuse,
  formatTtl,
  noteCached,
  parseSize,
  parseTtl,
  readStdin,
  withConnectedCore,
  withReadCore
} from './bucket-common';

interface LimitOptions {
  description?: string;
  history?: number;
  ttl?: number;
  maxBucketSize?: number;
  maxValueSize?: number;
  replicas?: number;
}

function limitsOf(opts: LimitOptions): Record<string, unknown> {
  return {
    ...(opts.description !== undefined ? { description: opts.description } : {}),
    ...(opts.history !== undefined ? { history: opts.history } : {}),
    ...(opts.ttl !== undefined ? { ttlMs: opts.ttl } : {}),
    ...(opts.maxBucketSize !== undefined ? { maxBytes: opts.maxBucketSize } : {}),
    ...(opts.maxValueSize !== undefined ? { maxValueSize: opts.maxValueSize } : {}),
    ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {})
  };
}

function withLimitOptions(cmd: Command): Command {
  return cmd
    .option('--description <text>', 'a description of the bucket')
    .option('--history <n>', 'revisions kept per key (1-64)', parseIntOption('--history', 1, 64))
    .option('--ttl <duration>', 'how long a value lives: 90s, 30m, 12h, 7d (0: forever)', parseTtl('--ttl'))
    .option(
      '--max-bucket-size <size>',
      'most bytes the bucket holds: 10MB, 1GiB (-1: unlimited)',
      parseSize('--max-bucket-size')
    )
    .option('--max-value-size <size>', 'largest value: 1KiB, 1MB (-1: unlimited)', parseSize('--max-value-size'))
    .option('--replicas <n>', 'copies in a cluster (1-5)', parseIntOption('--replicas', 1, 5));
}

const pct = (fraction: number | null): string => (fraction === null ? '-' : `${(fraction * 100).toFixed(1)}%`);
const limitBytes = (n: number): string => (n < 0 ? 'unlimited' : formatBytes(n));

function printBuckets(buckets: KvBucket[]): void {
  printTable(
    ['BUCKET', 'DESCRIPTION', 'CREATED', 'SIZE', 'VALUES', 'HISTORY', 'TTL', 'MAX BYTES', 'USED', 'R', 'STORAGE'],
    buckets.map((b) => [
      b.bucket,
      b.description ?? '',
      b.created.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      formatBytes(b.size),
      b.values,
      b.history,
      formatTtl(b.ttlMs),
      limitBytes(b.maxBytes),
      pct(b.usageBytes),
      b.replicas,
      b.storage
    ])
  );
}

function printBucket(b: KvBucket): void {
  const rows: Array<[string, unknown]> = [
    ['Bucket', b.bucket],
    ['Description', b.description ?? '-'],
    ['Stream', b.stream],
    ['Created', b.created],
    ['History', b.history],
    ['TTL', formatTtl(b.ttlMs)],
    ['Max bytes', limitBytes(b.maxBytes)],
    ['Max value size', limitBytes(b.maxValueSize)],
    ['Replicas', b.replicas],
    ['Storage', b.storage],
    ['Compressed', b.compression ? 'yes' : 'no'],
    ['Values', b.values],
    ['Size', `${formatBytes(b.size)} (${pct(b.usageBytes)} of the limit)`],
    ['Last revision', b.lastRevision]
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) process.stdout.write(`${k.padStart(width)}: ${String(v)}\n`);
}

function valueText(e: KvEntry): string {
  const bytes = Buffer.from(e.valueBase64, 'base64');
  if (e.format === 'binary') return `(binary, ${formatBytes(e.size)}; --raw writes the bytes)`;
  if (e.format === 'json' && !e.truncated) {
    try {
      return JSON.stringify(JSON.parse(bytes.toString('utf8')), null, 2);
    } catch {
      // shown as text
    }
  }
  return bytes.toString('utf8');
}

function printEntry(e: KvEntry): void {
  process.stdout.write(
    `${e.bucket} > ${e.key} revision: ${e.revision} created @ ${e.created}${e.operation !== 'PUT' ? ` (${e.operation})` : ''}\n\n`
  );
  if (e.operation === 'PUT') process.stdout.write(valueText(e) + '\n');
  if (e.truncated)
    process.stdout.write(`(showing the first ${Buffer.from(e.valueBase64, 'base64').length} of ${e.size} bytes)\n`);
}

/** The value of put/create/update: the argument, or stdin when left out. */
async function valueOf(value: string | undefined): Promise<{ value: string; encoding: 'utf8' | 'base64' }> {
  if (value !== undefined) return { value, encoding: 'utf8' };
  if (process.stdin.isTTY) throw new UsageError('give the value, or pipe it on stdin');
  return { value: (await readStdin()).toString('base64'), encoding: 'base64' };
}

function parseRevision(value: string): number {
  return parseIntOption('revision', 0, Number.MAX_SAFE_INTEGER)(value);
}

async function write(
  command: Command,
  mode: 'put' | 'create' | 'update',
  bucket: string,
  key: string,
  raw: string | undefined,
  revision: number | undefined,
  json: boolean | undefined
): Promise<void> {
  const value = await valueOf(raw);
  const result = await withConnectedCore(command, (core) =>
    core.api.invoke('kv.put', {
      bucket,
      key,
      ...value,
      mode,
      ...(revision !== undefined ? { revision } : {})
    })
  );
  if (json) printJson(result);
  else process.stdout.write(`${bucket} > ${key} revision ${result.revision}\n`);
}

async function watch(core: Core, bucket: string, key: string | undefined, opts: { json?: boolean; count?: number }) {
  let id: string | null = null;
  const early: KvWatchBatch[] = [];
  let printed = 0;
  let dropped = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let endedReason: string | null = null;
  const print = (batch: KvWatchBatch): void => {
    if (batch.ended) {
      endedReason = batch.ended.reason;
      finish();
    }
    if (batch.dropped > dropped) {
      process.stderr.write(`warning: ${batch.dropped - dropped} changes dropped (the output could not keep up)\n`);
      dropped = batch.dropped;
    }
    for (const e of batch.entries) {
      if (opts.count !== undefined && printed >= opts.count) return;
      if (opts.json) process.stdout.write(JSON.stringify(e) + '\n');
      else
        process.stdout.write(
          `[${e.created}] ${e.operation} ${e.bucket} > ${e.key}: ${e.operation === 'PUT' ? valueText(e) : ''}\n`
        );
      printed++;
      if (opts.count !== undefined && printed >= opts.count) finish();
    }
  };
  const off = core.api.subscribe('kv.watch', (batch) => {
    if (id === null) early.push(batch);
    else if (batch.watchId === id) print(batch);
  });
  try {
    const w = await core.api.invoke('kv.watch.start', {
      bucket,
      ...(key ? { key } : {}),
      initial: true,
      capacity: 100_000,
      maxValueBytes: 65_536
    });
    id = w.id;
    process.stderr.write(`Watching ${bucket} > ${key ?? '>'} (current values first)\n`);
    for (const batch of early.splice(0)) if (batch.watchId === id) print(batch);
    await Promise.race([finished, untilSignal()]);
    if (endedReason !== null) throw new ContractError('UNAVAILABLE', `the watch ended: ${endedReason}`);
    await core.api.invoke('kv.watch.stop', { id: w.id });
  } finally {
    off();
  }
}

async function listKeys(
  command: Command,
  bucket: string,
  filter: string | undefined,
  opts: { limit?: number; all?: boolean; json?: boolean }
): Promise<void> {
  await withConnectedCore(command, async (core) => {
    let cursor: string | undefined;
    const limit = opts.limit ?? 100;
    const pages = [];
    for (;;) {
      const page = await core.api.invoke('kv.keys', {
        bucket,
        limit: opts.all ? 1000 : limit,
        ...(filter ? { filter } : {}),
        ...(cursor ? { cursor } : {})
      });
      if (opts.json) pages.push(page);
      else for (const k of page.keys) process.stdout.write(`${k.key}\n`);
      cursor = page.next ?? undefined;
      if (!cursor || !opts.all) {
        if (opts.json) {
          printJson(opts.all ? { bucket, keys: pages.flatMap((p) => p.keys), next: null, remaining: 0 } : page);
        } else if (cursor) {
          process.stderr.write(`${page.remaining} more keys at most: add --all to list every key\n`);
        } else if (page.offset + page.keys.length === 0) {
          process.stderr.write(`no keys${filter ? ` matching ${filter}` : ''} in ${bucket}\n`);
        }
        return;
      }
    }
  });
}

export function registerKv(program: Command): void {
  const kv = program.command('kv').description('key-value buckets: list, create, edit, read, write and watch keys');

  kv.command('ls')
    .description('every bucket with its size and limits, or with BUCKET its keys (like kv keys)')
    .argument('[bucket]', 'list the keys of this bucket')
    .option('--json', 'print as JSON')
    .action(async (bucket: string | undefined, opts: { json?: boolean }, command: Command) => {
      if (bucket) return listKeys(command, bucket, undefined, { all: true, ...opts });
      const list = await withReadCore(command, (core) => core.api.invoke('kv.list', {}));
      if (opts.json) return printJson(list);
      noteCached(list);
      if (list.buckets.length === 0)
        process.stdout.write('no key-value buckets (create one with synos-cc kv add NAME)\n');
      else printBuckets(list.buckets);
    });

  withLimitOptions(kv.command('add'))
    .description('create a bucket')
    .argument('<bucket>', 'bucket name')
    .addOption(new Option('--storage <type>', 'file or memory').choices(['file', 'memory']).default('file'))
    .option('--compress', 'compress the stored values (server 2.10+)')
    .option('--json', 'print the bucket as JSON')
    .action(
      async (
        bucket: string,
        opts: LimitOptions & { storage: 'file' | 'memory'; compress?: boolean; json?: boolean },
        command: Command
      ) => {
        const info = await withConnectedCore(command, (core) =>
          core.api.invoke('kv.add', {
            bucket,
            ...limitsOf(opts),
            storage: opts.storage,
            ...(opts.compress ? { compression: true } : {})
          })
        );
        if (opts.json) printJson(info);
        else printBucket(info.bucket);
      }
    );

  kv.command('info')
    .description('one bucket: config and status')
    .argument('<bucket>', 'bucket name')
    .option('--json', 'print as JSON')
    .action(async (bucket: string, opts: { json?: boolean }, command: Command) => {
      const info = await withReadCore(command, (core) => core.api.invoke('kv.info', { bucket }));
      if (opts.json) return printJson(info);
      noteCached(info);
      printBucket(info.bucket);
    });

  withLimitOptions(kv.command('edit'))
    .description('change a bucket (storage cannot change)')
    .argument('<bucket>', 'bucket name')
    .option('--json', 'print the bucket as JSON')
    .action(async (bucket: string, opts: LimitOptions & { json?: boolean }, command: Command) => {
      const limits = limitsOf(opts);
      if (Object.keys(limits).length === 0)
        throw new UsageError('nothing to change: give --history, --ttl, --max-bucket-size, …');
      const info = await withConnectedCore(command, (core) => core.api.invoke('kv.edit', { bucket, ...limits }));
      if (opts.json) printJson(info);
      else printBucket(info.bucket);
    });

  kv.command('rm')
    .description('delete a bucket and every value in it (asks first; --force to skip)')
    .argument('<bucket>', 'bucket name')
    .option('-f, --force', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON')
    .action(async (bucket: string, opts: { force?: boolean; json?: boolean }, command: Command) => {
      await confirmOrRefuse(`Delete bucket ${bucket} and every value in it?`, opts.force);
      const res = await withConnectedCore(command, (core) => core.api.invoke('kv.rm', { bucket, confirm: true }));
      if (opts.json) printJson(res);
      else process.stdout.write(`deleted bucket ${bucket}\n`);
    });

  kv.command('get')
    .description('the value of a key')
    .argument('<bucket>', 'bucket name')
    .argument('<key>', 'key')
    .option(
      '--revision <n>',
      'this revision instead of the newest',
      parseIntOption('--revision', 1, Number.MAX_SAFE_INTEGER)
    )
    .option('--raw', 'print only the value bytes')
    .option('--json', 'print the entry as JSON (value base64 with its detected format)')
    .action(
      async (
        bucket: string,
        key: string,
        opts: { revision?: number; raw?: boolean; json?: boolean },
        command: Command
      ) => {
        const e = await withConnectedCore(command, (core) =>
          core.api.invoke('kv.get', {
            bucket,
            key,
            maxValueBytes: 8 * 1024 * 1024,
            ...(opts.revision !== undefined ? { revision: opts.revision } : {})
          })
        );
        if (opts.json) return printJson(e);
        if (opts.raw) {
          process.stdout.write(Buffer.from(e.valueBase64, 'base64'));
          return;
        }
        printEntry(e);
      }
    );

  for (const mode of ['put', 'create'] as const) {
    kv.command(mode)
      .description(
        mode === 'put'
          ? 'write a value (stdin when left out); --revision writes only over that revision'
          : 'write a value only when the key has none (stdin when left out)'
      )
      .argument('<bucket>', 'bucket name')
      .argument('<key>', 'key')
      .argument('[value]', 'the value')
      .option(
        '--revision <n>',
        'only when the newest revision is this one (compare-and-set)',
        parseIntOption('--revision', 0, Number.MAX_SAFE_INTEGER)
      )
      .option('--json', 'print the result as JSON')
      .action(
        async (
          bucket: string,
          key: string,
          value: string | undefined,
          opts: { revision?: number; json?: boolean },
          command: Command
        ) => write(command, mode, bucket, key, value, mode === 'put' ? opts.revision : undefined, opts.json)
      );
  }

  kv.command('update')
    .description('write a value only over the given revision (compare-and-set; a changed key fails with CONFLICT)')
    .argument('<bucket>', 'bucket name')
    .argument('<key>', 'key')
    .argument('[value]', 'the value (stdin when left out together with the revision flag)')
    .argument('[revision]', 'the revision it replaces', parseRevision)
    .option('--revision <n>', 'the revision it replaces', parseIntOption('--revision', 0, Number.MAX_SAFE_INTEGER))
    .option('--json', 'print the result as JSON')
    .action(
      async (
        bucket: string,
        key: string,
        value: string | undefined,
        revision: number | undefined,
        opts: { revision?: number; json?: boolean },
        command: Command
      ) => {
        const rev = revision ?? opts.revision;
        if (rev === undefined) throw new UsageError('update needs the revision it replaces');
        await write(command, 'update', bucket, key, value, rev, opts.json);
      }
    );

  for (const op of ['del', 'purge'] as const) {
    kv.command(op)
      .description(
        op === 'del'
          ? 'delete a key (a delete marker; the history stays) — asks first; --force to skip'
          : 'purge a key: drop its whole history — asks first; --force to skip'
      )
      .argument('<bucket>', 'bucket name')
      .argument('<key>', 'key')
      .option(
        '--revision <n>',
        'only when the newest revision is this one',
        parseIntOption('--revision', 1, Number.MAX_SAFE_INTEGER)
      )
      .option('-f, --force', 'do not ask for confirmation')
      .option('--json', 'print the result as JSON')
      .action(
        async (
          bucket: string,
          key: string,
          opts: { revision?: number; force?: boolean; json?: boolean },
          command: Command
        ) => {
          await confirmOrRefuse(`${op === 'del' ? 'Delete' : 'Purge the history of'} ${bucket} > ${key}?`, opts.force);
          const res = await withConnectedCore(command, (core) =>
            core.api.invoke('kv.delete', {
              bucket,
              key,
              purge: op === 'purge',
              confirm: true,
              ...(opts.revision !== undefined ? { revision: opts.revision } : {})
            })
          );
          if (opts.json) printJson(res);
          else process.stdout.write(`${op === 'del' ? 'deleted' : 'purged'} ${bucket} > ${key}\n`);
        }
      );
  }

  kv.command('history')
    .description('every kept revision of a key with its operation')
    .argument('<bucket>', 'bucket name')
    .argument('<key>', 'key')
    .option('--json', 'print as JSON')
    .action(async (bucket: string, key: string, opts: { json?: boolean }, command: Command) => {
      const h = await withConnectedCore(command, (core) => core.api.invoke('kv.history', { bucket, key }));
      if (opts.json) return printJson(h);
      if (h.entries.length === 0) {
        process.stdout.write(`${bucket} has no history of ${key}\n`);
        return;
      }
      printTable(
        ['KEY', 'REVISION', 'OP', 'CREATED', 'LENGTH', 'VALUE'],
        h.entries.map((e) => [
          e.key,
          e.revision,
          e.operation,
          e.created,
          e.size,
          e.operation === 'PUT' ? valueText(e).replace(/\s+/g, ' ').slice(0, 60) : ''
        ])
      );
    });

  kv.command('keys')
    .description('the keys of a bucket in pages, without walking the whole bucket')
    .argument('<bucket>', 'bucket name')
    .argument('[filter]', 'only keys matching this pattern (* one token, > the rest)')
    .option('--limit <n>', 'keys per page (default 100)', parseIntOption('--limit', 1, 1000))
    .option('--all', 'every key, page after page')
    .option('--json', 'print as JSON')
    .action(
      async (
        bucket: string,
        filter: string | undefined,
        opts: { limit?: number; all?: boolean; json?: boolean },
        command: Command
      ) => listKeys(command, bucket, filter, opts)
    );

  kv.command('watch')
    .description('print the current values, then every change of a bucket or key pattern until Ctrl+C')
    .argument('<bucket>', 'bucket name')
    .argument('[key]', 'key or pattern (* one token, > the rest)')
    .option('--count <n>', 'exit after this many entries', parseIntOption('--count', 1, 1_000_000_000))
    .option('--json', 'one JSON object per entry and line')
    .action(
      async (bucket: string, key: string | undefined, opts: { json?: boolean; count?: number }, command: Command) =>
        withConnectedCore(command, (core) => watch(core, bucket, key, opts))
    );
}
