/**
 * The data directory holds credentials (config.json, secret.key, sealed profile secrets) and every
 * message the app stored, so it is private to the user: the directory 0700, its files 0600, and
 * kept so when a file is rewritten. On Windows modes mean little; nothing is changed there.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ContractError } from '../contract';
import type { Logger } from './logger';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

const POSIX = process.platform !== 'win32';

/** The permission bits of a path, or null when it does not exist. */
export function modeOf(file: string): number | null {
  try {
    return fs.statSync(file).mode & 0o777;
  } catch {
    return null;
  }
}

/** `0644` style. */
export function formatMode(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

/**
 * The reason a directory cannot be written, as a sentence naming the path, the permission and the
 * fix; null when it can be.
 */
export function unwritableDirReason(dir: string): string | null {
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    const mode = modeOf(dir);
    let owner = '';
    try {
      const st = fs.statSync(dir);
      owner = ` owned by uid ${st.uid}`;
    } catch {
      // the mode alone will do
    }
    const who = POSIX && process.getuid ? `uid ${process.getuid()}` : 'this user';
    const readOnlyFs = code === 'EROFS';
    return readOnlyFs
      ? `the data directory ${dir} is on a read-only filesystem; remount it read-write or choose another directory with --data DIR`
      : `the data directory ${dir} is not writable by ${who} (mode ${mode === null ? '?' : formatMode(mode)}${owner}); fix with: chmod u+rwx ${dir} (and chown it to you if another user owns it), or choose another directory with --data DIR`;
  }
}

/**
 * Creates the data directory 0700. An existing one of the app's that others can read is tightened
 * when this user owns it (logged); a shared or foreign one is left alone (`synos-cc doctor` warns).
 */
export function ensurePrivateDir(dir: string, logger?: Logger): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const parent = path.dirname(dir);
    const reason = unwritableDirReason(parent);
    throw new ContractError(
      'DATABASE',
      reason
        ? `cannot create the data directory ${dir}: ${reason.replace(/^the data directory/, 'its parent')}`
        : `cannot create the data directory ${dir} (${code ?? (error as Error).message}); choose another with --data DIR`,
      { path: dir, code }
    );
  }
  if (!POSIX) return;
  try {
    const st = fs.statSync(dir);
    // Only a directory that is the app's own: empty, or holding its database or config. A shared
    // directory given as --data (/tmp, a home) is never narrowed; doctor reports it instead.
    const own = (() => {
      const entries = fs.readdirSync(dir);
      return entries.length === 0 || entries.includes('synos.db') || entries.includes('config.json');
    })();
    const sticky = (st.mode & 0o1000) !== 0;
    if (own && !sticky && (st.mode & 0o077) !== 0 && process.getuid && st.uid === process.getuid()) {
      fs.chmodSync(dir, PRIVATE_DIR_MODE);
      logger?.info('data directory made private to this user', {
        dir,
        was: formatMode(st.mode),
        now: formatMode(PRIVATE_DIR_MODE)
      });
    }
  } catch {
    // a directory we cannot chmod (read-only filesystem) is reported where it is written to
  }
}

/** Sets 0600 on a file that is looser (a no-op when absent or on Windows). */
export function tightenFile(file: string): void {
  if (!POSIX) return;
  try {
    const st = fs.statSync(file);
    if ((st.mode & 0o077) !== 0) fs.chmodSync(file, PRIVATE_FILE_MODE);
  } catch {
    // absent, or a filesystem that refuses chmod: nothing to keep private here
  }
}

/**
 * Replaces a file atomically (temp file, then rename) with mode 0600, so a rewrite never widens
 * the permissions of a file that holds secrets.
 */
export function writePrivateFileAtomic(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temp, 'w', PRIVATE_FILE_MODE);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  // The umask cannot widen 0600, but a temp file left by a crash could have another mode.
  if (POSIX) fs.chmodSync(temp, PRIVATE_FILE_MODE);
  fs.renameSync(temp, file);
}

/** Opens a new file for writing with mode 0600 (exports, CSVs the app writes for the user). */
export function writePrivateFile(file: string, text: string | Uint8Array): void {
  fs.writeFileSync(file, text, { mode: PRIVATE_FILE_MODE });
  tightenFile(file);
}
