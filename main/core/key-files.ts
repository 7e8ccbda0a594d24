/**
 * Reading files whose content is secret or untrusted (creds, nkey seeds, TLS keys, natscli
 * contexts, config.json) so that no answer reveals what a file holds: errors name the file and
 * the reason (missing, not permitted, not a regular file, too large, not the expected format),
 * never a byte of its content. Only regular files are read (a FIFO or a device would block or
 * never end), opened non-blocking and bounded in size.
 */
import fs from 'node:fs';
import { ContractError } from '../contract';

export const KEY_FILE_MAX_BYTES = 1024 * 1024;

/** Why a file cannot be read, in words: no errno text that could carry more than the code. */
function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    default:
      return `cannot read it (${code ?? 'error'})`;
  }
}

/**
 * The bytes of a regular file up to maxBytes; CONFIG_INVALID naming `what` and the file otherwise.
 * Opened with O_NONBLOCK so that a FIFO put in its place cannot hang the process.
 */
export function readKeyFile(file: string, what: string, maxBytes = KEY_FILE_MAX_BYTES): Buffer {
  const fail = (reason: string): never => {
    throw new ContractError('CONFIG_INVALID', `cannot use ${what} ${file}: ${reason}`, { file });
  };
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) | (fs.constants.O_NOCTTY ?? 0));
  } catch (error) {
    return fail(reasonOf(error));
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return fail('not a regular file');
    if (st.size > maxBytes) return fail(`larger than ${Math.round(maxBytes / 1024)} KiB`);
    const buffer = Buffer.alloc(st.size);
    let read = 0;
    while (read < st.size) {
      const n = fs.readSync(fd, buffer, read, st.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read);
  } catch (error) {
    if (error instanceof ContractError) throw error;
    return fail(reasonOf(error));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * JSON.parse whose error says where the text stops being JSON, not what it holds (V8 quotes the
 * first characters of the input, which for a wrong file could be a password line).
 */
export function parseJsonQuietly(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    let where = '';
    if (position !== undefined) {
      const before = text.slice(0, Number(position));
      const line = before.split('\n').length;
      where = ` (line ${line}, column ${Number(position) - before.lastIndexOf('\n')})`;
    }
    return { ok: false, reason: `it is not valid JSON${where}` };
  }
}
