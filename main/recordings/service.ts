/**
 * The recordings service: starts and stops captures, exports, imports and replays. Used by the
 * contract handlers (module.ts) and the CLI.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ContractError, type RecordingPayload, type ReplayProgressPayload } from '../contract';
import type { Logger } from '../core/logger';
import type { ResilienceManager } from '../resilience/breakers';
import { captureLive, readStreamRange, type LiveCapture, type StreamRange } from './capture';
import {
  CSV_HEADER,
  parseNdjson,
  parseSubjectRule,
  toCsvRows,
  toNdjsonLine,
  type LineError,
  type RecordedMessage,
  type SubjectRule
} from './format';
import { replayMessages } from './replayer';
import type { Recording, RecordingStore } from './store';
import { plural } from '../contract/text';

export function toRecordingPayload(r: Recording): RecordingPayload {
  const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
  return {
    ...r,
    firstTime: iso(r.firstTime),
    lastTime: iso(r.lastTime),
    createdAt: new Date(r.createdAt).toISOString(),
    stoppedAt: iso(r.stoppedAt)
  };
}

/** A malformed import: INVALID_INPUT listing the bad lines. */
export function malformedFileError(file: string, errors: LineError[], lines: number): ContractError {
  const shown = errors
    .slice(0, 10)
    .map((e) => `line ${e.line}: ${e.message}`)
    .join('\n  ');
  return new ContractError(
    'INVALID_INPUT',
    `${file} is not a valid recording: ${plural(errors.length, 'bad line')}${errors.length >= 100 ? ' (or more)' : ''} of ${lines}; nothing was sent.\n  ${shown}`,
    {
      errors,
      hint: 'Each line must be a JSON object {subject, headers, payload, encoding, time, seq}, as "synos-cc export" writes.'
    }
  );
}

/** Reads and checks an NDJSON file; throws INVALID_INPUT with line numbers when any line is bad. */
export function readNdjsonFile(file: string): RecordedMessage[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ContractError('NOT_FOUND', `cannot read ${file}: ${(error as Error).message}`);
  }
  const parsed = parseNdjson(text);
  if (parsed.errors.length > 0) throw malformedFileError(file, parsed.errors, parsed.lines);
  return parsed.messages;
}

export function parseSubjectRules(texts: readonly string[]): SubjectRule[] {
  return texts.map((t) => {
    try {
      return parseSubjectRule(t);
    } catch (error) {
      throw new ContractError('INVALID_INPUT', (error as Error).message);
    }
  });
}

export interface RecordingServiceDeps {
  store: RecordingStore;
  connection: () => NatsConnection;
  breakers: ResilienceManager | null;
  logger: Logger;
  onUpdated?: (recording: Recording) => void;
  onProgress?: (progress: ReplayProgressPayload) => void;
}

export class RecordingService {
  private readonly live = new Map<number, LiveCapture>();
  private readonly replays = new Map<string, AbortController>();

  constructor(private readonly deps: RecordingServiceDeps) {}

  get store(): RecordingStore {
    return this.deps.store;
  }

  private updated(id: number): Recording {
    const r = this.deps.store.require(id);
    this.deps.onUpdated?.(r);
    return r;
  }

  /** Starts a live capture; it runs until stop(), `maxMessages`, or the connection closes. */
  async startLive(filter: string, options: { name?: string; maxMessages?: number } = {}): Promise<Recording> {
    const nc = this.deps.connection();
    const recording = this.deps.store.create({ name: options.name ?? `live ${filter}`, filter, source: 'live' });
    try {
      const capture = await captureLive(nc, filter, (batch) => this.append(recording.id, batch), {
        ...(options.maxMessages ? { maxMessages: options.maxMessages } : {}),
        breakers: this.deps.breakers
      });
      this.live.set(recording.id, capture);
      void capture.done.then(() => {
        if (this.live.delete(recording.id)) this.finishSafely(recording.id, 'complete');
      });
    } catch (error) {
      this.deps.store.finish(recording.id, 'failed', { error: (error as Error).message });
      throw error;
    }
    return this.updated(recording.id);
  }

  private append(id: number, batch: RecordedMessage[]): void {
    try {
      this.deps.store.append(id, batch);
      this.updated(id);
    } catch (error) {
      this.deps.logger.error('could not store recorded messages', { recording: id, error });
    }
  }

  private finishSafely(id: number, status: 'complete' | 'stopped'): void {
    try {
      this.deps.store.finish(id, status);
      this.updated(id);
    } catch (error) {
      this.deps.logger.error('could not finish a recording', { recording: id, error });
    }
  }

  async stop(id: number): Promise<Recording> {
    const capture = this.live.get(id);
    if (!capture) {
      const existing = this.deps.store.get(id);
      if (!existing) throw new ContractError('NOT_FOUND', `recording ${id} does not exist`);
      return existing;
    }
    this.live.delete(id);
    await capture.stop();
    this.deps.store.finish(id, 'stopped');
    return this.updated(id);
  }

  /** Records a stream range; resolves when it is read. */
  async recordRange(range: StreamRange, options: { name?: string } = {}): Promise<Recording> {
    const nc = this.deps.connection();
    const recording = this.deps.store.create({
      name: options.name ?? `${range.stream}${range.filter ? ` ${range.filter}` : ''}`,
      filter: range.filter ?? '>',
      source: 'stream',
      stream: range.stream,
      startSeq: range.fromSeq ?? null
    });
    try {
      const result = await readStreamRange(nc, range, (batch) => this.append(recording.id, batch), {
        breakers: this.deps.breakers
      });
      this.deps.store.finish(recording.id, 'complete', { endSeq: result.endSeq });
    } catch (error) {
      this.deps.store.finish(recording.id, 'failed', { error: (error as Error).message });
      this.updated(recording.id);
      throw error;
    }
    return this.updated(recording.id);
  }

  delete(id: number): boolean {
    if (this.live.has(id)) throw new ContractError('CONFLICT', `recording ${id} is still running; stop it first`);
    return this.deps.store.delete(id);
  }

  /**
   * Writes a recording or a stream range as NDJSON or CSV through `write` (a file, stdout).
   * Returns the message count and bytes written.
   */
  async export(
    source: { recordingId: number } | { range: StreamRange },
    format: 'ndjson' | 'csv',
    write: (text: string) => void | Promise<void>
  ): Promise<{ count: number; bytes: number }> {
    let count = 0;
    let bytes = 0;
    const emit = async (batch: Iterable<RecordedMessage>): Promise<void> => {
      let pending: RecordedMessage[] = [];
      const flush = async (): Promise<void> => {
        if (pending.length === 0) return;
        const chunk = format === 'ndjson' ? pending.map((m) => toNdjsonLine(m) + '\n').join('') : toCsvRows(pending);
        count += pending.length;
        pending = [];
        bytes += Buffer.byteLength(chunk);
        await write(chunk);
      };
      for (const m of batch) {
        pending.push(m);
        if (pending.length >= 1000) await flush();
      }
      await flush();
    };
    if (format === 'csv') {
      bytes += CSV_HEADER.length + 1;
      await write(CSV_HEADER + '\n');
    }
    if ('recordingId' in source) {
      if (!this.deps.store.get(source.recordingId))
        throw new ContractError('NOT_FOUND', `recording ${source.recordingId} does not exist`);
      await emit(this.deps.store.messages(source.recordingId));
    } else {
      await readStreamRange(this.deps.connection(), source.range, (batch) => emit(batch), {
        breakers: this.deps.breakers
      });
    }
    return { count, bytes };
  }

  /** Exports to a file on this machine. */
  async exportToFile(
    source: { recordingId: number } | { range: StreamRange },
    format: 'ndjson' | 'csv',
    file: string
  ): Promise<{ path: string; count: number; bytes: number }> {
    const fd = fs.openSync(file, 'w');
    try {
      const result = await this.export(source, format, (text) => {
        fs.writeSync(fd, text);
      });
      return { path: file, ...result };
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Imports an NDJSON file after checking every line (nothing is stored when one is bad). */
  importFile(file: string, name?: string): Recording {
    const messages = readNdjsonFile(file);
    const recording = this.deps.store.create({
      name: name ?? file.split(/[\\/]/).pop() ?? file,
      filter: '>',
      source: 'import'
    });
    for (let i = 0; i < messages.length; i += 5000) this.deps.store.append(recording.id, messages.slice(i, i + 5000));
    this.deps.store.finish(recording.id, 'complete');
    return this.updated(recording.id);
  }

  /**
   * Replays a recording into the core's connection or into `servers`. Returns at once with the
   * replay id; progress comes through onProgress.
   */
  async replay(
    id: number,
    options: { speed: number | null; subjectMap: readonly string[]; servers?: string[] }
  ): Promise<{ replayId: string; total: number }> {
    const recording = this.deps.store.get(id);
    if (!recording) throw new ContractError('NOT_FOUND', `recording ${id} does not exist`);
    const rules = parseSubjectRules(options.subjectMap);
    let nc: NatsConnection;
    let own = false;
    if (options.servers) {
      try {
        nc = await connect({ servers: options.servers, name: 'synos-control-center replay' });
        own = true;
      } catch (error) {
        throw new ContractError(
          'NATS_UNREACHABLE',
          `cannot connect to ${options.servers.join(', ')} for the replay: ${(error as Error).message}`
        );
      }
    } else {
      nc = this.deps.connection();
    }
    const replayId = randomUUID();
    const abort = new AbortController();
    this.replays.set(replayId, abort);
    const total = recording.messageCount;
    const report = (
      p: { sent: number; bytes: number; elapsedMs: number; rate: number; done: boolean },
      error: string | null = null
    ): void => this.deps.onProgress?.({ replayId, recordingId: id, total, ...p, error });
    void replayMessages(nc, this.deps.store.messages(id), {
      speed: options.speed,
      rules,
      total,
      signal: abort.signal,
      onProgress: (p) => report(p)
    })
      .catch((error: unknown) =>
        report({ sent: 0, bytes: 0, elapsedMs: 0, rate: 0, done: true }, (error as Error).message)
      )
      .finally(async () => {
        this.replays.delete(replayId);
        if (own) await nc.close().catch(() => undefined);
      });
    return { replayId, total };
  }

  cancelReplay(replayId: string): boolean {
    const abort = this.replays.get(replayId);
    if (!abort) return false;
    abort.abort();
    return true;
  }

  /** Stops live captures and replays (core stop). */
  async close(): Promise<void> {
    for (const abort of this.replays.values()) abort.abort();
    for (const [id, capture] of [...this.live]) {
      this.live.delete(id);
      await capture.stop().catch(() => undefined);
      this.finishSafely(id, 'stopped');
    }
  }
}
