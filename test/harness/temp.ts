import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh temporary directory (each test gets its own data dir), removed when the process exits. */
export function tempDir(prefix = 'synos-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  removeAtExit(dir);
  return dir;
}

const made: string[] = [];

/**
 * Removes `dir` when this process exits normally: what the benchmark scripts (plain Node processes)
 * make. Vitest stops its workers without an exit event; a test run's directories go with the run's
 * temporary root instead (test/setup/temp-root.ts). `SYNOS_KEEP_TEMP=1` keeps them.
 */
function removeAtExit(dir: string): void {
  if (made.length === 0)
    process.once('exit', () => {
      if (process.env.SYNOS_KEEP_TEMP === '1') return;
      for (const d of made) {
        try {
          fs.rmSync(d, { recursive: true, force: true });
        } catch {
          // still in use: the system's temporary directory cleanup has it
        }
      }
    });
  made.push(dir);
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
