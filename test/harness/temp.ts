import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh temporary directory (each test gets its own data dir). */
export function tempDir(prefix = 'synos-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
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
