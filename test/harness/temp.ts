import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { claimTempRoot, PROCESS_ROOT_PREFIX, releaseTempRoot, sweepOrphanedTempRoots } from './temp-owner';

/** A fresh temporary directory (each test gets its own data dir), removed when the process exits. */
export function tempDir(prefix = 'synos-test-'): string {
  return fs.mkdtempSync(path.join(processRoot(), prefix));
}

let root: string | null = null;

/**
 * Where this process's temporary directories go. In a test run: the run's temporary root
 * (test/setup/temp-root.ts, `TMPDIR` of every worker), removed when the run ends; vitest stops its
 * workers without an exit event, so nothing here would run. In a plain process (the benchmark
 * scripts): a root of its own that names this process, removed when it exits normally, and by the
 * next run of any of them when it was killed (./temp-owner.ts). `SYNOS_KEEP_TEMP=1` keeps it.
 */
function processRoot(): string {
  if (process.env.SYNOS_TEST_TEMP_ROOT) return os.tmpdir();
  if (root !== null) return root;
  sweepOrphanedTempRoots(os.tmpdir());
  const made = fs.mkdtempSync(path.join(os.tmpdir(), PROCESS_ROOT_PREFIX));
  claimTempRoot(made);
  root = made;
  process.once('exit', () => {
    if (process.env.SYNOS_KEEP_TEMP === '1') {
      releaseTempRoot(made);
      console.log(`[temp] this process's temporary files are kept in ${made}`);
      return;
    }
    try {
      fs.rmSync(made, { recursive: true, force: true });
    } catch {
      // Still in use: the next run's sweep removes it once this process is gone.
    }
  });
  return made;
}

/** Polls until check returns a truthy value, or fails with the message after timeoutMs. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  {
    timeoutMs = 10_000,
    intervalMs = 50,
    message = 'condition'
  }: { timeoutMs?: number; intervalMs?: number; message?: string } = {}
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
