/**
 * `record`, `export`, `replay FILE` and `recordings [delete ID]`: recordings from the terminal.
 * Exports go to stdout unless --output is given, so they pipe; progress goes to stderr.
 */
import type { Command } from 'commander';
import { ContractError } from '../../contract';
import type { Core } from '../../app/create-core';
import type { StreamRange } from '../../recordings/capture';
import { checkRecordingFile, readRecordingMessages } from '../../recordings/import';
import { replayMessages } from '../../recordings/replayer';
import { parseSubjectRules, toRecordingPayload, type RecordingService } from '../../recordings/service';
import {
  collect,
  connectOrThrow,
  globalsOf,
  openCore,
  parseIntOption,
  parseNumberOption,
  untilSignal,
  withCore
} from '../context';
import { UsageError, formatBytes, plural, printJson, printTable, progressLine } from '../io';
import { parseDurationOption } from './messaging';

function serviceOf(core: Core): RecordingService {
  return core.app.recordings.recordings;
}

interface RangeOptions {
  stream?: string;
  subject?: string;
  fromSeq?: number;
  toSeq?: number;
  since?: string;
}

function rangeFrom(opts: RangeOptions): StreamRange | null {
  if (!opts.stream) {
    if (opts.fromSeq !== undefined || opts.toSeq !== undefined || opts.since !== undefined) {
      throw new UsageError('--from-seq, --to-seq and --since need --stream');
    }
    return null;
  }
  const range: StreamRange = { stream: opts.stream };
  if (opts.subject) range.filter = opts.subject;
  if (opts.fromSeq !== undefined) range.fromSeq = opts.fromSeq;
  if (opts.toSeq !== undefined) range.toSeq = opts.toSeq;
  if (opts.since !== undefined) {
    const t = Date.parse(opts.since);
    if (Number.isNaN(t))
      throw new UsageError(`--since "${opts.since}" is not a time; use ISO-8601 such as 2026-01-31T12:00:00Z`);
    range.fromTime = new Date(t).toISOString();
  }
  if (range.fromSeq !== undefined && range.toSeq !== undefined && range.toSeq < range.fromSeq) {
    throw new UsageError('--to-seq must not be below --from-seq');
  }
  return range;
}

function withRangeOptions(command: Command): Command {
  return command
    .option('--stream <name>', 'read a range of this stream (ordered consumer, nothing left on the server)')
    .option('--from-seq <n>', 'first stream sequence', parseIntOption('--from-seq', 1, Number.MAX_SAFE_INTEGER))
    .option(
      '--to-seq <n>',
      'last stream sequence (default: the last one now)',
      parseIntOption('--to-seq', 1, Number.MAX_SAFE_INTEGER)
    )
    .option('--since <time>', 'start at this time (ISO-8601) when --from-seq is not given');
}

export function registerRecordings(program: Command): void {
  withRangeOptions(
    program
      .command('record')
      .description(
        'record a subject filter live (until Ctrl+C, --count or --duration), or a stream range with --stream, into the data directory'
      )
      .argument('[filter]', 'subject filter, e.g. orchestrator.> (with --stream: only these subjects of the stream)')
      .option('--name <name>', 'name of the recording')
      .option('--count <n>', 'live: stop after this many messages', parseIntOption('--count', 1, 100_000_000))
      .option(
        '--duration <duration>',
        'live: stop after this long (30s, 5m)',
        parseDurationOption('--duration', 100, 7 * 24 * 3_600_000)
      )
      .option('--json', 'print the recording as JSON at the end')
  ).action(
    async (
      filter: string | undefined,
      opts: RangeOptions & { name?: string; count?: number; duration?: number; json?: boolean },
      command: Command
    ) => {
      const range = rangeFrom({ ...opts, ...(filter ? { subject: filter } : {}) });
      if (!range && !filter)
        throw new UsageError('give a subject filter to record live, or --stream NAME for a stream range');
      if (range && (opts.count !== undefined || opts.duration !== undefined))
        throw new UsageError('--count and --duration are for live recordings');
      const core = openCore(globalsOf(command), { quiet: true, autoConnect: false });
      await withCore(core, async () => {
        await connectOrThrow(core);
        const service = serviceOf(core);
        let recording;
        if (range) {
          recording = await service.recordRange(range, opts.name ? { name: opts.name } : {});
        } else {
          const started = await service.startLive(filter ?? '>', {
            ...(opts.name ? { name: opts.name } : {}),
            ...(opts.count ? { maxMessages: opts.count } : {})
          });
          process.stderr.write(`Recording ${filter} as recording ${started.id}; Ctrl+C to stop\n`);
          const ticker = setInterval(() => {
            const r = service.store.get(started.id);
            if (r) progressLine(`recorded ${plural(r.messageCount, 'message')}, ${formatBytes(r.bytes)}`);
          }, 500);
          const waits: Array<Promise<unknown>> = [untilSignal()];
          if (opts.duration) waits.push(new Promise((r) => setTimeout(r, opts.duration).unref()));
          if (opts.count) {
            waits.push(
              new Promise<void>((resolve) => {
                const check = setInterval(() => {
                  if (service.store.get(started.id)?.status !== 'recording') {
                    clearInterval(check);
                    resolve();
                  }
                }, 100);
                check.unref();
              })
            );
          }
          await Promise.race(waits);
          clearInterval(ticker);
          recording = await service.stop(started.id);
        }
        if (opts.json) return printJson(toRecordingPayload(recording));
        progressLine(
          `Recording ${recording.id} "${recording.name}": ${plural(recording.messageCount, 'message')}, ${formatBytes(recording.bytes)} (${recording.status})`,
          true
        );
      });
    }
  );

  withRangeOptions(
    program
      .command('export')
      .description('export a recording (by id) or a stream range (--stream) as NDJSON or CSV, to stdout or --output')
      .argument(
        '[recording]',
        'recording id (see "synos-cc recordings")',
        parseIntOption('recording', 1, Number.MAX_SAFE_INTEGER)
      )
      .option('--subject <filter>', 'with --stream: only subjects matching this filter')
      .option('--format <format>', 'ndjson or csv', 'ndjson')
      .option(
        '-o, --output <file>',
        'write to this new file (mode 0600; an existing file is never overwritten) instead of stdout'
      )
  ).action(
    async (
      recordingId: number | undefined,
      opts: RangeOptions & { format: string; output?: string },
      command: Command
    ) => {
      if (opts.format !== 'ndjson' && opts.format !== 'csv') throw new UsageError('--format must be ndjson or csv');
      const range = rangeFrom(opts);
      if ((recordingId === undefined) === (range === null))
        throw new UsageError('give either a recording id or --stream NAME');
      const core = openCore(globalsOf(command), { quiet: true, autoConnect: false });
      await withCore(core, async () => {
        if (range) await connectOrThrow(core);
        const service = serviceOf(core);
        const source = range ? { range } : { recordingId: recordingId as number };
        const format = opts.format as 'ndjson' | 'csv';
        const result = opts.output
          ? await service.exportTo(source, format, { path: opts.output })
          : await service.export(source, format, (text) =>
              process.stdout.write(text)
                ? undefined
                : new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()))
            );
        process.stderr.write(
          `Exported ${plural(result.count, 'message')} (${formatBytes(result.bytes)})${opts.output ? ` to ${opts.output}` : ''}\n`
        );
      });
    }
  );

  program
    .command('replay')
    .description(
      'replay an NDJSON or CSV recording file into NATS (the --nats server), at the recorded pace × --speed or as fast as possible (--max); the whole file is checked first, then read again as it is sent'
    )
    .argument('<file>', 'NDJSON or CSV file, as "synos-cc export" writes it')
    .option('--speed <x>', 'recorded pace × this (2 = twice as fast)', parseNumberOption('--speed', 0.001, 10_000))
    .option('--max', 'as fast as possible, ignoring the recorded times')
    .option(
      '--subject-map <FROM=TO>',
      'rewrite subjects, wildcards allowed: orchestrator.>=replay.orchestrator.> (repeatable)',
      collect
    )
    .option('--json', 'print the result as JSON')
    .action(
      async (
        file: string,
        opts: { speed?: number; max?: boolean; subjectMap?: string[]; json?: boolean },
        command: Command
      ) => {
        if (opts.max && opts.speed !== undefined) throw new UsageError('give either --speed X or --max, not both');
        let rules;
        try {
          rules = parseSubjectRules(opts.subjectMap ?? []);
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
        const core = openCore(globalsOf(command), { quiet: true, autoConnect: false });
        await withCore(core, async () => {
          const source = await serviceOf(core).openImport({ path: file });
          try {
            // Every line is checked before anything is sent; the messages are then read again as they go.
            const checked = await checkRecordingFile(source);
            await connectOrThrow(core);
            const nc = core.context.nats.requireConnection();
            const speed = opts.max ? null : (opts.speed ?? 1);
            process.stderr.write(
              `Replaying ${plural(checked.messages, 'message')} from ${file} ${speed === null ? 'as fast as possible' : `at ${speed}× the recorded pace`}\n`
            );
            const abort = new AbortController();
            void untilSignal().then(() => abort.abort());
            const result = await replayMessages(nc, readRecordingMessages(source), {
              speed,
              rules,
              total: checked.messages,
              signal: abort.signal,
              onProgress: (p) =>
                progressLine(
                  `replayed ${p.sent}/${p.total} (${Math.round((p.sent / Math.max(1, p.total)) * 100)}%), ${p.rate} msg/s, ${formatBytes(p.bytes)}`,
                  p.done
                )
            });
            if (opts.json) printJson(result);
          } finally {
            await source.close();
          }
        });
      }
    );

  const recordings = program
    .command('recordings')
    .description('recordings stored in the data directory')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      const core = openCore(globalsOf(command), { quiet: true, autoConnect: false });
      await withCore(core, async () => {
        const list = serviceOf(core).store.list().map(toRecordingPayload);
        if (opts.json) return printJson(list);
        if (list.length === 0) {
          process.stdout.write(
            'No recordings. Make one with "synos-cc record SUBJECT" or "synos-cc record --stream NAME".\n'
          );
          return;
        }
        printTable(
          ['ID', 'NAME', 'SOURCE', 'FILTER', 'STATUS', 'MESSAGES', 'SIZE', 'FIRST', 'LAST'],
          list.map((r) => [
            r.id,
            r.name,
            r.stream ? `${r.source} ${r.stream}` : r.source,
            r.filter,
            r.status,
            r.messageCount,
            formatBytes(r.bytes),
            r.firstTime,
            r.lastTime
          ])
        );
      });
    });
  recordings
    .command('delete')
    .description('delete a recording and its messages')
    .argument('<id>', 'recording id', parseIntOption('id', 1, Number.MAX_SAFE_INTEGER))
    .action(async (id: number, _opts: unknown, command: Command) => {
      const core = openCore(globalsOf(command), { quiet: true, autoConnect: false });
      await withCore(core, async () => {
        if (!serviceOf(core).delete(id)) throw new ContractError('NOT_FOUND', `recording ${id} does not exist`);
        process.stdout.write(`Deleted recording ${id}.\n`);
      });
    });
  recordings
    .command('import')
    .description('import an NDJSON or CSV recording file (checked line by line first, read as a stream)')
    .argument('<file>', 'NDJSON or CSV file, as "synos-cc export" writes it')
    .option('--name <name>', 'name of the recording')
    .action(async (file: string, opts: { name?: string }, command: Command) => {
      const core = openCore(globalsOf(command), { quiet: true, autoConnect: false });
      await withCore(core, async () => {
        const r = await serviceOf(core).importFile({ path: file }, opts.name);
        process.stdout.write(`Imported ${plural(r.messageCount, 'message')} as recording ${r.id}.\n`);
      });
    });
}
