/**
 * Object transfers to and from files, for the CLI (explicit paths) and the desktop (paths chosen
 * in a native dialog; never from the renderer). A download goes to `<file>.partial` first and is
 * renamed only after the digest matched, so a failed or corrupt transfer never leaves a file that
 * looks whole.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ContractError, type ObjectEntry, type ObjectProgress } from '../../contract';
import type { ObjectInspector, Progress } from './objects';

/**
 * A file name for saving an object: its last path segment, without control characters or the
 * characters Windows refuses, never empty, `.` or `..`, at most 200 characters.
 */
export function suggestedFileName(objectName: string): string {
  const last =
    objectName
      .split(/[\\/]/)
      .filter((s) => s.length > 0)
      .pop() ?? '';
  const cleaned = [...last]
    .map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f || '<>:"|?*'.includes(c) ? '_' : c))
    .join('')
    .trim();
  return cleaned.length > 0 && !/^\.+$/.test(cleaned) ? cleaned.slice(0, 200) : 'object';
}

/** How often progress is reported while a transfer runs. */
export const PROGRESS_INTERVAL_MS = 200;

/** A progress reporter: calls `report` at most every PROGRESS_INTERVAL_MS, and always at the end. */
export class TransferProgress {
  readonly transferId = randomUUID();
  private last = 0;
  private bytes = 0;
  private total: number | null = null;

  constructor(
    private readonly bucket: string,
    private readonly name: string,
    private readonly direction: 'upload' | 'download',
    private readonly report: (p: ObjectProgress) => void
  ) {}

  readonly onProgress: Progress = (bytes, total) => {
    this.bytes = bytes;
    this.total = total;
    const now = Date.now();
    if (now - this.last < PROGRESS_INTERVAL_MS) return;
    this.last = now;
    this.emit('running', null);
  };

  finish(state: 'done' | 'failed' | 'cancelled', error: string | null = null, total?: number): void {
    if (total !== undefined) this.total = total;
    if (state === 'done' && this.total !== null) this.bytes = this.total;
    this.emit(state, error);
  }

  private emit(state: ObjectProgress['state'], error: string | null): void {
    this.report({
      transferId: this.transferId,
      bucket: this.bucket,
      name: this.name,
      direction: this.direction,
      bytes: this.bytes,
      total: this.total,
      state,
      error
    });
  }
}

function fileError(error: unknown, file: string): ContractError {
  if (error instanceof ContractError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new ContractError('NOT_FOUND', `no such file: ${file}`);
  if (code === 'EACCES' || code === 'EPERM') return new ContractError('FORBIDDEN', `not allowed to use ${file}`);
  if (code === 'EISDIR') return new ContractError('INVALID_INPUT', `${file} is a directory, not a file`);
  return new ContractError('INTERNAL', `${file}: ${error instanceof Error ? error.message : String(error)}`);
}

export interface FilePutOptions {
  name?: string | undefined;
  description?: string | undefined;
  headers?: Record<string, string[]> | undefined;
  onProgress?: Progress | undefined;
  signal?: AbortSignal | undefined;
}

/** Puts a file into an object store, streamed; the object's name defaults to the file's name. */
export async function putFile(
  inspector: ObjectInspector,
  bucket: string,
  file: string,
  options: FilePutOptions = {}
): Promise<ObjectEntry> {
  let size: number;
  try {
    const st = await fs.promises.stat(file);
    if (!st.isFile()) throw new ContractError('INVALID_INPUT', `${file} is not a regular file`);
    size = st.size;
  } catch (error) {
    throw fileError(error, file);
  }
  const source = fs.createReadStream(file, { highWaterMark: 128 * 1024 });
  const failed = new Promise<never>((_, reject) => source.once('error', (e) => reject(fileError(e, file))));
  failed.catch(() => undefined);
  return Promise.race([
    inspector.put(source, {
      bucket,
      name: options.name ?? path.basename(file),
      description: options.description,
      headers: options.headers,
      size,
      onProgress: options.onProgress,
      signal: options.signal
    }),
    failed
  ]);
}

/** Gets an object into a file: `<file>.partial` while it streams, renamed after the digest check. */
export async function getToFile(
  inspector: ObjectInspector,
  bucket: string,
  name: string,
  file: string,
  options: { onProgress?: Progress | undefined; signal?: AbortSignal | undefined; force?: boolean } = {}
): Promise<{ entry: ObjectEntry; bytes: number; file: string }> {
  if (!options.force && fs.existsSync(file)) {
    throw new ContractError('CONFLICT', `${file} exists`, {
      hint: 'Choose another file, or add --force to replace it.'
    });
  }
  await inspector.target(bucket, name); // NOT_FOUND before any file is created
  const partial = `${file}.partial`;
  let sink: fs.WriteStream;
  try {
    sink = fs.createWriteStream(partial, { flags: 'w' });
    await new Promise<void>((resolve, reject) => {
      sink.once('open', () => resolve());
      sink.once('error', reject);
    });
  } catch (error) {
    throw fileError(error, partial);
  }
  const sinkFailed = new Promise<never>((_, reject) => sink.once('error', (e) => reject(fileError(e, partial))));
  sinkFailed.catch(() => undefined);
  try {
    const result = await Promise.race([inspector.get(bucket, name, sink, options), sinkFailed]);
    await new Promise<void>((resolve, reject) =>
      sink.end((error?: Error | null) => (error ? reject(error) : resolve()))
    );
    await fs.promises.rename(partial, file);
    return { ...result, file };
  } catch (error) {
    sink.destroy();
    await fs.promises.rm(partial, { force: true });
    throw error;
  }
}
