/**
 * `synos-cc object …`: object stores with natscli's spellings (`nats obj add|ls|info|put|get|rm|
 * seal|watch`). put and get take explicit paths here (the UI never does) and stream with progress
 * on stderr and a digest check; --json everywhere.
 */
import path from 'node:path';
import { ContractError } from '../../contract';
import { Option, type Command } from 'commander';
import type { ObjectBucket, ObjectEntry, ObjectWatchBatch } from '../../contract';
import type { Core } from '../../app/create-core';
import { getToFile, putFile, ObjectInspector } from '../../nats/buckets';
import { collect, parseIntOption, untilSignal } from '../context';
import { UsageError, formatBytes, printJson, printTable, progressLine } from '../io';
import { parseHeaders } from './messaging';
import {
  confirmOrRefuse,
  formatTtl,
  noteCached,
  parseSize,
  parseTtl,
  withConnectedCore,
  withReadCore
} from './bucket-common';

const pct = (fraction: number | null): string => (fraction === null ? '-' : `${(fraction * 100).toFixed(1)}%`);
const short = (time: string): string => time.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

function printBuckets(buckets: ObjectBucket[]): void {
  printTable(
    ['BUCKET', 'DESCRIPTION', 'CREATED', 'SIZE', 'MAX BYTES', 'USED', 'TTL', 'R', 'STORAGE', 'SEALED'],
    buckets.map((b) => [
      b.bucket,
      b.description ?? '',
      short(b.created),
      formatBytes(b.size),
      b.maxBytes < 0 ? 'unlimited' : formatBytes(b.maxBytes),
      pct(b.usageBytes),
      formatTtl(b.ttlMs),
      b.replicas,
      b.storage,
      b.sealed ? 'yes' : 'no'
    ])
  );
}

function printBucket(b: ObjectBucket): void {
  const rows: Array<[string, unknown]> = [
    ['Bucket', b.bucket],
    ['Description', b.description ?? '-'],
    ['Stream', b.stream],
    ['Created', b.created],
    ['Size', `${formatBytes(b.size)} (${pct(b.usageBytes)} of the limit)`],
    ['Max bytes', b.maxBytes < 0 ? 'unlimited' : formatBytes(b.maxBytes)],
    ['TTL', formatTtl(b.ttlMs)],
    ['Replicas', b.replicas],
    ['Storage', b.storage],
    ['Compressed', b.compression ? 'yes' : 'no'],
    ['Sealed', b.sealed ? 'yes' : 'no']
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) process.stdout.write(`${k.padStart(width)}: ${String(v)}\n`);
}

function printObject(o: ObjectEntry): void {
  const rows: Array<[string, unknown]> = [
    ['Bucket', o.bucket],
    ['Name', o.name],
    ['Description', o.description ?? '-'],
    ['Size', `${formatBytes(o.size)} (${o.size} bytes)`],
    ['Chunks', o.chunks],
    ['Digest', o.digest || '-'],
    ['Modified', o.modified],
    ['Link', o.link ? `${o.link.bucket}${o.link.name ? ` > ${o.link.name}` : ' (the whole bucket)'}` : '-']
  ];
  for (const [k, vs] of Object.entries(o.headers ?? {})) for (const v of vs) rows.push([`Header ${k}`, v]);
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) process.stdout.write(`${k.padStart(width)}: ${String(v)}\n`);
}

function printObjects(objects: ObjectEntry[]): void {
  printTable(
    ['NAME', 'SIZE', 'CHUNKS', 'MODIFIED', 'DIGEST', 'DESCRIPTION'],
    objects.map((o) => [
      o.link ? `${o.name} -> ${o.link.bucket}${o.link.name ? `/${o.link.name}` : ''}` : o.name,
      formatBytes(o.size),
      o.chunks,
      short(o.modified),
      o.digest.slice(0, 20),
      o.description ?? ''
    ])
  );
}

/** A progress reporter for stderr: percent and rate, at most every 250 ms. */
function progressReporter(verb: string, name: string, quiet: boolean) {
  const started = Date.now();
  let last = 0;
  const line = (bytes: number, total: number | null): string => {
    const secs = Math.max((Date.now() - started) / 1000, 0.001);
    const share = total ? ` of ${formatBytes(total)} (${((bytes / Math.max(total, 1)) * 100).toFixed(0)}%)` : '';
    return `${verb} ${name}: ${formatBytes(bytes)}${share} at ${formatBytes(bytes / secs)}/s`;
  };
  return {
    onProgress: (bytes: number, total: number | null): void => {
      if (quiet) return;
      const now = Date.now();
      if (now - last < 250) return;
      last = now;
      progressLine(line(bytes, total));
    },
    done: (bytes: number): void => {
      if (!quiet) progressLine(line(bytes, bytes), true);
    }
  };
}

function inspectorOf(core: Core): ObjectInspector {
  return new ObjectInspector(core.context.nats.requireConnection());
}

async function watch(core: Core, bucket: string, opts: { json?: boolean; count?: number }): Promise<void> {
  let id: string | null = null;
  const early: ObjectWatchBatch[] = [];
  let printed = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let endedReason: string | null = null;
  const print = (batch: ObjectWatchBatch): void => {
    if (batch.ended) {
      endedReason = batch.ended.reason;
      finish();
    }
    for (const o of batch.entries) {
      if (opts.count !== undefined && printed >= opts.count) return;
      if (opts.json) process.stdout.write(JSON.stringify(o) + '\n');
      else
        process.stdout.write(
          `[${o.modified}] ${o.deleted ? 'DEL' : 'PUT'} ${o.bucket} > ${o.name}${o.deleted ? '' : ` (${formatBytes(o.size)})`}\n`
        );
      printed++;
      if (opts.count !== undefined && printed >= opts.count) finish();
    }
  };
  const off = core.api.subscribe('objects.watch', (batch) => {
    if (id === null) early.push(batch);
    else if (batch.watchId === id) print(batch);
  });
  try {
    const w = await core.api.invoke('objects.watch.start', { bucket, capacity: 100_000 });
    id = w.id;
    process.stderr.write(`Watching object store ${bucket}\n`);
    for (const batch of early.splice(0)) if (batch.watchId === id) print(batch);
    await Promise.race([finished, untilSignal()]);
    if (endedReason !== null) throw new ContractError('UNAVAILABLE', `the watch ended: ${endedReason}`);
    await core.api.invoke('objects.watch.stop', { id: w.id });
  } finally {
    off();
  }
}

export function registerObjects(program: Command): void {
  const obj = program
    .command('object')
    .alias('obj')
    .description('object stores: list, create, put and get files (streamed, digest checked), delete, seal, watch');

  obj
    .command('ls')
    .description('every object store, or with BUCKET its objects')
    .argument('[bucket]', 'list the objects of this store')
    .option('--json', 'print as JSON')
    .action(async (bucket: string | undefined, opts: { json?: boolean }, command: Command) => {
      if (bucket) {
        const list = await withReadCore(command, (core) => core.api.invoke('objects.objects', { bucket }));
        if (opts.json) return printJson(list);
        noteCached(list);
        if (list.objects.length === 0) process.stdout.write(`object store ${bucket} is empty\n`);
        else printObjects(list.objects);
        return;
      }
      const list = await withReadCore(command, (core) => core.api.invoke('objects.list', {}));
      if (opts.json) return printJson(list);
      noteCached(list);
      if (list.buckets.length === 0)
        process.stdout.write('no object stores (create one with synos-cc object add NAME)\n');
      else printBuckets(list.buckets);
    });

  obj
    .command('add')
    .description('create an object store')
    .argument('<bucket>', 'bucket name')
    .option('--description <text>', 'a description of the store')
    .option('--ttl <duration>', 'how long objects live: 30m, 12h, 7d (0: forever)', parseTtl('--ttl'))
    .option(
      '--max-bucket-size <size>',
      'most bytes the store holds: 10GB (-1: unlimited)',
      parseSize('--max-bucket-size')
    )
    .option('--replicas <n>', 'copies in a cluster (1-5)', parseIntOption('--replicas', 1, 5))
    .addOption(new Option('--storage <type>', 'file or memory').choices(['file', 'memory']).default('file'))
    .option('--compress', 'compress the stored chunks (server 2.10+)')
    .option('--json', 'print the store as JSON')
    .action(
      async (
        bucket: string,
        opts: {
          description?: string;
          ttl?: number;
          maxBucketSize?: number;
          replicas?: number;
          storage: 'file' | 'memory';
          compress?: boolean;
          json?: boolean;
        },
        command: Command
      ) => {
        const info = await withConnectedCore(command, (core) =>
          core.api.invoke('objects.add', {
            bucket,
            storage: opts.storage,
            ...(opts.description !== undefined ? { description: opts.description } : {}),
            ...(opts.ttl !== undefined ? { ttlMs: opts.ttl } : {}),
            ...(opts.maxBucketSize !== undefined ? { maxBytes: opts.maxBucketSize } : {}),
            ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}),
            ...(opts.compress ? { compression: true } : {})
          })
        );
        if (opts.json) printJson(info);
        else printBucket(info.bucket);
      }
    );

  obj
    .command('info')
    .description('an object store, or with NAME one object: size, chunks, digest, headers, link')
    .argument('<bucket>', 'bucket name')
    .argument('[name]', 'object name')
    .option('--json', 'print as JSON')
    .action(async (bucket: string, name: string | undefined, opts: { json?: boolean }, command: Command) => {
      if (name) {
        const o = await withConnectedCore(command, (core) => core.api.invoke('objects.object', { bucket, name }));
        if (opts.json) printJson(o);
        else printObject(o);
        return;
      }
      const info = await withReadCore(command, (core) => core.api.invoke('objects.info', { bucket }));
      if (opts.json) return printJson(info);
      noteCached(info);
      printBucket(info.bucket);
    });

  obj
    .command('put')
    .description('put a file into a store, streamed with progress; the digest is checked')
    .argument('<bucket>', 'bucket name')
    .argument('<file>', 'the file to put')
    .option('--name <name>', 'object name (default: the file name)')
    .option('--description <text>', 'a description of the object')
    .option('-H, --header <Name:value>', 'add a header (repeatable)', collect)
    .option('--no-progress', 'do not print progress')
    .option('--json', 'print the stored object as JSON')
    .action(
      async (
        bucket: string,
        file: string,
        opts: { name?: string; description?: string; header?: string[]; progress: boolean; json?: boolean },
        command: Command
      ) => {
        const name = opts.name ?? path.basename(file);
        const report = progressReporter('put', name, !opts.progress);
        const entry = await withConnectedCore(command, (core) =>
          putFile(inspectorOf(core), bucket, file, {
            name,
            description: opts.description,
            headers: parseHeaders(opts.header),
            onProgress: report.onProgress
          })
        );
        report.done(entry.size);
        if (opts.json) printJson(entry);
        else printObject(entry);
      }
    );

  obj
    .command('get')
    .description('get an object into a file, streamed with progress; the digest is checked before the file appears')
    .argument('<bucket>', 'bucket name')
    .argument('<name>', 'object name')
    .option('-O, --output <file>', 'where to write it (default: the object name in the current directory)')
    .option('-f, --force', 'replace the file when it exists')
    .option('--no-progress', 'do not print progress')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        bucket: string,
        name: string,
        opts: { output?: string; force?: boolean; progress: boolean; json?: boolean },
        command: Command
      ) => {
        const file = opts.output ?? path.basename(name);
        if (file.length === 0) throw new UsageError('give the file to write with --output');
        const report = progressReporter('get', name, !opts.progress);
        const r = await withConnectedCore(command, (core) =>
          getToFile(inspectorOf(core), bucket, name, file, {
            onProgress: report.onProgress,
            force: Boolean(opts.force)
          })
        );
        report.done(r.bytes);
        if (opts.json) printJson({ bucket, name, file: path.resolve(r.file), bytes: r.bytes, digest: r.entry.digest });
        else process.stdout.write(`wrote ${formatBytes(r.bytes)} to ${r.file} (digest ${r.entry.digest} checked)\n`);
      }
    );

  obj
    .command('rm')
    .description('delete an object, or with only BUCKET the whole store (asks first; --force to skip)')
    .argument('<bucket>', 'bucket name')
    .argument('[name]', 'object name')
    .option('-f, --force', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON')
    .action(
      async (bucket: string, name: string | undefined, opts: { force?: boolean; json?: boolean }, command: Command) => {
        await confirmOrRefuse(
          name ? `Delete object ${name} from ${bucket}?` : `Delete object store ${bucket} and every object in it?`,
          opts.force
        );
        const res = await withConnectedCore(command, (core) =>
          name
            ? core.api.invoke('objects.delete', { bucket, name, confirm: true })
            : core.api.invoke('objects.rm', { bucket, confirm: true })
        );
        if (opts.json) printJson(res);
        else process.stdout.write(name ? `deleted ${bucket} > ${name}\n` : `deleted object store ${bucket}\n`);
      }
    );

  obj
    .command('seal')
    .description('seal a store: nothing can be added, changed or deleted afterwards (asks first; --force to skip)')
    .argument('<bucket>', 'bucket name')
    .option('-f, --force', 'do not ask for confirmation')
    .option('--json', 'print the store as JSON')
    .action(async (bucket: string, opts: { force?: boolean; json?: boolean }, command: Command) => {
      await confirmOrRefuse(`Seal object store ${bucket}? This cannot be undone.`, opts.force);
      const info = await withConnectedCore(command, (core) =>
        core.api.invoke('objects.seal', { bucket, confirm: true })
      );
      if (opts.json) printJson(info);
      else process.stdout.write(`sealed object store ${bucket}\n`);
    });

  obj
    .command('watch')
    .description('print every change of a store until Ctrl+C')
    .argument('<bucket>', 'bucket name')
    .option('--count <n>', 'exit after this many changes', parseIntOption('--count', 1, 1_000_000_000))
    .option('--json', 'one JSON object per change and line')
    .action(async (bucket: string, opts: { json?: boolean; count?: number }, command: Command) =>
      withConnectedCore(command, (core) => watch(core, bucket, opts))
    );
}
