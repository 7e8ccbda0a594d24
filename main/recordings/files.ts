/**
 * File access of recordings, confined. The API reads imports only from the data directory's
 * `recordings/` folder (where web uploads land) and writes exports only into its `exports/` folder,
 * by file name; anything else is a file the user chose (a desktop dialog's grant, a CLI argument).
 *
 * Whatever the origin, a file is opened so that nothing outside a regular file is read: no FIFO (its
 * open would wait for a writer and freeze a thread), no device (`/dev/zero` never ends), no socket,
 * no symlink leading out of the folder; the size is capped (checked on the open descriptor and again
 * while reading, since a file can grow). Exports are created exclusively (`wx`: an existing file, or
 * a symlink planted in its place, is never written through) with mode 0600. Error messages name the
 * file and what is wrong with it, never what it contains.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { ContractError } from '../contract';
import { plural } from '../contract/text';

export const RECORDINGS_FOLDER = 'recordings';
export const EXPORTS_FOLDER = 'exports';
export type RecordingsFolder = typeof RECORDINGS_FOLDER | typeof EXPORTS_FOLDER;

/** Default cap of an import (and of a web upload): 2 GiB. */
export const DEFAULT_MAX_IMPORT_BYTES = 2 * 1024 ** 3;

/** A line longer than this is refused (a recorded message is at most NATS' max payload, base64'd). */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** Bytes read at a time; the event loop gets control back between reads. */
const CHUNK_BYTES = 64 * 1024;

/** A plain file name: no separators, not hidden, no NUL, at most 200 characters. */
export function checkFileName(name: string): string {
  if (
    name.length === 0 ||
    name.length > 200 ||
    name.startsWith('.') ||
    /[/\\\0]/.test(name) ||
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f]/.test(name)
  ) {
    throw new ContractError(
      'INVALID_INPUT',
      `"${name.slice(0, 200)}" is not a file name: give a name inside the folder (no "/", "\\", leading "." or control characters)`
    );
  }
  return name;
}

/** The folder (created 0700 when missing) and its real path. */
export function folderPath(dataDir: string, folder: RecordingsFolder): string {
  const dir = path.join(dataDir, folder);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export function fileInFolder(dataDir: string, folder: RecordingsFolder, name: string): string {
  return path.join(folderPath(dataDir, folder), checkFileName(name));
}

function kindOf(stat: fs.Stats): string {
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function notRegular(shown: string, stat: fs.Stats): ContractError {
  return new ContractError(
    'FORBIDDEN',
    `${shown} is ${kindOf(stat)}, not a regular file; only regular files are read`,
    {
      reason: 'not_regular_file'
    }
  );
}

export function tooLarge(shown: string, size: number, maxBytes: number): ContractError {
  return new ContractError(
    'FILE_TOO_LARGE',
    `${shown} is larger than the import limit of ${formatSize(maxBytes)}${size > 0 ? ` (${formatSize(size)})` : ''}`,
    { maxBytes, hint: 'Split the file (each part is a valid recording: split it at line ends) and import the parts.' }
  );
}

export function formatSize(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(bytes % 1024 ** 3 === 0 ? 0 : 1)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(bytes % 1024 ** 2 === 0 ? 0 : 1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return plural(bytes, 'byte');
}

function ioError(shown: string, error: unknown, doing: string): ContractError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new ContractError('NOT_FOUND', `${shown} does not exist`);
  if (code === 'EACCES' || code === 'EPERM')
    return new ContractError('FORBIDDEN', `${shown}: permission denied while ${doing}`);
  if (code === 'ELOOP')
    return new ContractError('FORBIDDEN', `${shown} is a symbolic link; give the file it points to`, {
      reason: 'symlink'
    });
  return new ContractError('INTERNAL', `${shown}: ${code ?? 'error'} while ${doing}`);
}

const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0;
const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;

/** A file open for import: a regular file, checked and capped, read any number of times from its start. */
export class ImportFile {
  /** Bytes read so far by the current pass (for progress). */
  bytesRead = 0;

  private constructor(
    private readonly handle: fsp.FileHandle,
    readonly name: string,
    readonly size: number,
    private readonly maxBytes: number
  ) {}

  /**
   * Opens `file` for reading. With `folder`, the file must be inside it, a symlink included (one that
   * resolves out of the folder is refused). The open never blocks (O_NONBLOCK: a FIFO is refused,
   * not waited on) and the type and size are checked on the open descriptor, so a swap between the
   * check and the read cannot slip another file in.
   */
  static async open(file: string, options: { maxBytes: number; folder?: string; shown?: string }): Promise<ImportFile> {
    const shown = options.shown ?? file;
    let target = file;
    let link: fs.Stats;
    try {
      link = await fsp.lstat(file);
    } catch (error) {
      throw ioError(shown, error, 'looking it up');
    }
    if (link.isSymbolicLink()) {
      try {
        target = await fsp.realpath(file);
      } catch (error) {
        throw ioError(shown, error, 'following its link');
      }
      if (options.folder) {
        const root = await fsp.realpath(options.folder);
        if (!target.startsWith(root + path.sep)) {
          throw new ContractError(
            'FORBIDDEN',
            `${shown} is a symbolic link leading out of its folder; it is not read`,
            {
              reason: 'symlink_out_of_folder'
            }
          );
        }
      }
    } else if (!link.isFile()) {
      throw notRegular(shown, link);
    }
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(target, fs.constants.O_RDONLY | O_NONBLOCK | O_NOFOLLOW);
    } catch (error) {
      throw ioError(shown, error, 'opening it');
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw notRegular(shown, stat);
      if (stat.size > options.maxBytes) throw tooLarge(shown, stat.size, options.maxBytes);
      return new ImportFile(handle, path.basename(file), stat.size, options.maxBytes);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /**
   * The file's lines from its start, with line numbers (1-based) and the line end each had. Read in
   * chunks (the event loop stays free between them); a line longer than {@link MAX_LINE_BYTES} and a
   * file grown past the cap are typed errors.
   */
  async *lines(): AsyncGenerator<{ number: number; text: string; eol: string }> {
    let carry: Buffer = Buffer.alloc(0);
    let number = 0;
    for await (const chunk of this.chunks()) {
      let buffer = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      let start = 0;
      for (;;) {
        const nl = buffer.indexOf(0x0a, start);
        if (nl < 0) break;
        const end = nl > start && buffer[nl - 1] === 0x0d ? nl - 1 : nl;
        number++;
        yield { number, text: buffer.toString('utf8', start, end), eol: end === nl ? '\n' : '\r\n' };
        start = nl + 1;
      }
      buffer = buffer.subarray(start);
      if (buffer.length > MAX_LINE_BYTES) {
        throw new ContractError(
          'INVALID_INPUT',
          `${this.name}: line ${number + 1} is longer than ${formatSize(MAX_LINE_BYTES)}; this is not a recording`,
          { errors: [{ line: number + 1, message: `longer than ${formatSize(MAX_LINE_BYTES)}` }] }
        );
      }
      // Only the unfinished tail is kept, copied, so the chunk it came from can be freed.
      carry = Buffer.from(buffer);
    }
    if (carry.length > 0) yield { number: number + 1, text: carry.toString('utf8'), eol: '' };
  }

  /** The file's bytes from its start, in chunks; growing past the cap is a typed error. */
  async *chunks(): AsyncGenerator<Buffer> {
    let position = 0;
    this.bytesRead = 0;
    for (;;) {
      // A fresh buffer per read: what the caller keeps of one is never overwritten by the next.
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      const { bytesRead } = await this.handle.read(chunk, 0, CHUNK_BYTES, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      this.bytesRead = position;
      if (position > this.maxBytes) throw tooLarge(this.name, position, this.maxBytes);
      yield chunk.subarray(0, bytesRead);
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** A file being written by an export: created new (0600), committed at the end or removed. */
export interface ExportFile {
  path: string;
  write(data: string | Uint8Array): Promise<void>;
  /** Finishes the file (for a replace: moves it over the chosen one). */
  commit(): Promise<void>;
  /** Removes what was written. */
  abort(): Promise<void>;
}

/**
 * Creates an export file. `exclusive`: `file` must not exist (`wx`, no symlink followed) — the
 * folder case. `replace`: the user chose this file in a save dialog (and confirmed replacing it):
 * written to a new sibling (`wx`, 0600) and renamed over it at the end, so nothing is written
 * through a link and a failed export leaves the old file as it was.
 */
export async function createExportFile(
  file: string,
  options: { mode: 'exclusive' | 'replace'; shown?: string }
): Promise<ExportFile> {
  const shown = options.shown ?? file;
  const target =
    options.mode === 'exclusive'
      ? file
      : path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.partial`);
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(target, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ContractError('CONFLICT', `${shown} already exists; exports never overwrite a file`, {
        hint: 'Give another file name, or delete the old export first.'
      });
    }
    throw ioError(shown, error, 'creating it');
  }
  // The process umask can only lower the mode; set it exactly anyway.
  await handle.chmod(0o600);
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return {
    path: file,
    async write(data) {
      if (typeof data === 'string') await handle.write(data);
      else await handle.write(data);
    },
    async commit() {
      await handle.sync();
      await close();
      if (target !== file) await fsp.rename(target, file);
    },
    async abort() {
      await close().catch(() => undefined);
      await fsp.rm(target, { force: true });
    }
  };
}

/** A name not taken yet in `dir`: `name`, else `stem-1.ext`, `stem-2.ext`, … */
export function freeName(dir: string, name: string): string {
  const ext = path.extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let i = 0; i < 10_000; i++) {
    const candidate = i === 0 ? name : `${stem}-${i}${ext}`;
    if (!fs.existsSync(path.join(dir, candidate))) return candidate;
  }
  return `${stem}-${randomBytes(4).toString('hex')}${ext}`;
}

/** A file name made from free text (a recording's name): safe characters only. */
export function safeFileStem(text: string): string {
  const stem = text
    .replace(/[^\w.-]+/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, 100);
  return stem || 'recording';
}
