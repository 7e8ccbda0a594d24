/**
 * The recordings service: starts and stops captures, exports, imports and replays. Used by the
 * contract handlers (module.ts) and the CLI.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  ContractError,
  type ImportProgressPayload,
  type RecordingPayload,
  type ReplayProgressPayload
} from '../contract';
import type { FileGrants } from '../core/file-grants';
import type { Logger } from '../core/logger';
import type { ResilienceManager } from '../resilience/breakers';
import { captureLive, readStreamRange, type LiveCapture, type StreamRange } from './capture';
import {
  createExportFile,
  DEFAULT_MAX_IMPORT_BYTES,
  EXPORTS_FOLDER,
  fileInFolder,
  folderPath,
  freeName,
  ImportFile,
  RECORDINGS_FOLDER,
  safeFileStem
} from './files';
import {
  CSV_HEADER,
  parseSubjectRule,
  toCsvRows,
  toNdjsonLine,
  type RecordedMessage,
  type SubjectRule
} from './format';
import { replayMessages } from './replayer';
import type { Recording, RecordingStore } from './store';
import { checkRecordingFile, readRecordingBatches } from './import';

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

/**
 * Where an import comes from: a file name in the data directory's recordings/ folder (web uploads
 * land there), a grant for a file the user chose (desktop dialog, file-open), or a path the CLI
 * user typed. Procedures offer only the first two.
 */
export type ImportSource = { file: string } | { grant: string } | { path: string };

/** Where an export goes: a file name in exports/ (default: one made from the recording), a grant, a CLI path. */
export type ExportTarget = { file?: string } | { grant: string } | { path: string };

export interface ExportResult {
  /** The file name in exports/, when it went there (web mode downloads it by this name). */
  file: string | null;
  path: string;
  count: number;
  bytes: number;
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
  /** The data directory: imports are read from its recordings/ folder, exports written to exports/. */
  dataDir: string;
  grants: FileGrants;
  /** Largest file an import reads (default 2 GiB). */
  maxImportBytes?: number;
  connection: () => NatsConnection;
  /** A connection of its own through a saved profile (replay into another server). */
  connectProfile?: (profileId: string) => Promise<NatsConnection>;
  breakers: ResilienceManager | null;
  logger: Logger;
  onUpdated?: (recording: Recording) => void;
  onProgress?: (progress: ReplayProgressPayload) => void;
  onImportProgress?: (progress: ImportProgressPayload) => void;
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

  get maxImportBytes(): number {
    return this.deps.maxImportBytes ?? DEFAULT_MAX_IMPORT_BYTES;
  }

  /** Opens an import source: a regular file, capped, confined to recordings/ when named by file. */
  async openImport(source: ImportSource): Promise<ImportFile> {
    const maxBytes = this.maxImportBytes;
    if ('file' in source) {
      return ImportFile.open(fileInFolder(this.deps.dataDir, RECORDINGS_FOLDER, source.file), {
        maxBytes,
        folder: folderPath(this.deps.dataDir, RECORDINGS_FOLDER),
        shown: `${RECORDINGS_FOLDER}/${source.file}`
      });
    }
    if ('grant' in source) {
      const granted = this.deps.grants.resolve(source.grant, 'read');
      return ImportFile.open(granted.path, { maxBytes, shown: granted.name });
    }
    return ImportFile.open(path.resolve(source.path), { maxBytes, shown: source.path });
  }

  /** Writes a recording or a stream range to an export target; see {@link ExportTarget}. */
  async exportTo(
    source: { recordingId: number } | { range: StreamRange },
    format: 'ndjson' | 'csv',
    target: ExportTarget
  ): Promise<ExportResult> {
    if ('recordingId' in source && !this.deps.store.get(source.recordingId))
      throw new ContractError('NOT_FOUND', `recording ${source.recordingId} does not exist`);
    let file: string | null = null;
    let out;
    if ('grant' in target) {
      const granted = this.deps.grants.resolve(target.grant, 'write');
      out = await createExportFile(granted.path, { mode: 'replace', shown: granted.name });
    } else if ('path' in target) {
      out = await createExportFile(path.resolve(target.path), { mode: 'exclusive', shown: target.path });
    } else {
      const dir = folderPath(this.deps.dataDir, EXPORTS_FOLDER);
      file = target.file ?? freeName(dir, `${this.defaultStem(source)}.${format}`);
      out = await createExportFile(fileInFolder(this.deps.dataDir, EXPORTS_FOLDER, file), {
        mode: 'exclusive',
        shown: `${EXPORTS_FOLDER}/${file}`
      });
    }
    try {
      const result = await this.export(source, format, (text) => out.write(text));
      await out.commit();
      return { file, path: out.path, ...result };
    } catch (error) {
      await out.abort();
      throw error;
    }
  }

  private defaultStem(source: { recordingId: number } | { range: StreamRange }): string {
    if ('range' in source) return safeFileStem(`${source.range.stream}-${new Date().toISOString().slice(0, 19)}`);
    const r = this.deps.store.require(source.recordingId);
    return safeFileStem(`${r.name}-${r.id}`);
  }

  /**
   * Imports a recording file: every line is checked first (INVALID_INPUT with line numbers, nothing
   * stored), then the messages are stored batch by batch as they are read again.
   */
  async importFile(source: ImportSource, name?: string): Promise<Recording> {
    const file = await this.openImport(source);
    let phase: ImportProgressPayload['phase'] = 'checking';
    const shown = name ?? file.name;
    const report = (): void =>
      this.deps.onImportProgress?.({ name: shown, phase, bytes: file.bytesRead, totalBytes: file.size });
    const ticker = setInterval(report, 250);
    try {
      await checkRecordingFile(file);
      phase = 'storing';
      const recording = this.deps.store.create({ name: name ?? file.name, filter: '>', source: 'import' });
      try {
        // Small batches, each its own short transaction, with a turn of the event loop between them:
        // requests (/healthz, the UI) are answered while a large file is stored.
        for await (const batch of readRecordingBatches(file, 200)) {
          this.deps.store.append(recording.id, batch);
          await new Promise((resolve) => setImmediate(resolve));
        }
      } catch (error) {
        this.deps.store.delete(recording.id);
        throw error;
      }
      this.deps.store.finish(recording.id, 'complete');
      report();
      return this.updated(recording.id);
    } finally {
      clearInterval(ticker);
      await file.close();
    }
  }

  /**
   * Replays a recording into the core's connection or into `servers`. Returns at once with the
   * replay id; progress comes through onProgress.
   */
  async replay(
    id: number,
    options: { speed: number | null; subjectMap: readonly string[]; servers?: string[]; profileId?: string }
  ): Promise<{ replayId: string; total: number }> {
    const recording = this.deps.store.get(id);
    if (!recording) throw new ContractError('NOT_FOUND', `recording ${id} does not exist`);
    const rules = parseSubjectRules(options.subjectMap);
    let nc: NatsConnection;
    let own = false;
    if (options.profileId !== undefined) {
      if (!this.deps.connectProfile)
        throw new ContractError('UNAVAILABLE', 'replay through a profile is not available here');
      try {
        nc = await this.deps.connectProfile(options.profileId);
        own = true;
      } catch (error) {
        if (error instanceof ContractError) throw error;
        throw new ContractError(
          'NATS_UNREACHABLE',
          `cannot connect through profile ${options.profileId} for the replay: ${(error as Error).message}`
        );
      }
    } else if (options.servers) {
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
