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

/** Why a key file was refused, for code that reacts to it (details.reason of the error). */
export type KeyFileRefusal = 'missing' | 'unreadable' | 'not-regular' | 'too-large' | 'wrong-kind';

/** Why a file cannot be read, in words: no errno text that could carry more than the code. */
function explain(error: unknown): { text: string; refusal: KeyFileRefusal } {
  const code = (error as NodeJS.ErrnoException).code;
  const text = wordsOf(error);
  return { text, refusal: code === 'ENOENT' ? 'missing' : code === 'EISDIR' ? 'not-regular' : 'unreadable' };
}

function wordsOf(error: unknown): string {
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
 * The bytes of a regular file up to maxBytes; CONFIG_INVALID (FILE_TOO_LARGE over the cap) naming
 * `what` and the file otherwise, with details.reason saying why.
 * Opened with O_NONBLOCK so that a FIFO put in its place cannot hang the process.
 */
export function readKeyFile(file: string, what: string, maxBytes = KEY_FILE_MAX_BYTES): Buffer {
  const fail = (reason: string, refusal: KeyFileRefusal): never => {
    throw new ContractError(
      refusal === 'too-large' ? 'FILE_TOO_LARGE' : 'CONFIG_INVALID',
      `cannot use ${what} ${file}: ${reason}`,
      { file, reason: refusal }
    );
  };
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) | (fs.constants.O_NOCTTY ?? 0));
  } catch (error) {
    const { text, refusal } = explain(error);
    return fail(text, refusal);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return fail('not a regular file', 'not-regular');
    if (st.size > maxBytes) return fail(`larger than ${Math.round(maxBytes / 1024)} KiB`, 'too-large');
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
    const { text, refusal } = explain(error);
    return fail(text, refusal);
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
