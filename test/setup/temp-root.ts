/**
 * Vitest global setup: every temporary directory of a run (data directories, nats-server stores,
 * browser profiles, packaging output) goes under one root, removed when the run ends. The test
 * processes, and what they start, inherit `TMPDIR`, which `os.tmpdir()` reads. Left in the system's
 * temporary directory they added up to gigabytes a run on a developer's machine (a full suite leaves
 * nats-server stores of up to 1 GiB). `SYNOS_KEEP_TEMP=1` keeps the root, to look at after a failure.
 *
 * A run that is killed (Ctrl-C twice, a CI timeout) gets no teardown: its root names the process
 * that made it (test/harness/temp-owner.ts), and the next run removes the roots whose process is gone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { claimTempRoot, releaseTempRoot, RUN_ROOT_PREFIX, sweepOrphanedTempRoots } from '../harness/temp-owner';

export default function setup(): () => void {
  // Every project inherits the global setup: the first one makes the root, the others keep it.
  // One level only: Chromium's singleton socket path must stay under ~100 characters.
  if (process.env.SYNOS_TEST_TEMP_ROOT) return () => undefined;
  const swept = sweepOrphanedTempRoots(os.tmpdir());
  if (swept.length > 0) console.log(`[temp-root] removed ${swept.length} temporary root(s) of killed runs`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), RUN_ROOT_PREFIX));
  claimTempRoot(root);
  // As the system's temporary directory is: tests run the CLI as another user (nobody) on directories
  // under it, which mkdtemp's 0700 would close to them.
  fs.chmodSync(root, 0o1777);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = root;
  process.env.SYNOS_TEST_TEMP_ROOT = root;
  return () => {
    delete process.env.SYNOS_TEST_TEMP_ROOT;
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    if (process.env.SYNOS_KEEP_TEMP === '1') {
      // Kept on purpose: no longer anybody's, so no later run sweeps it.
      releaseTempRoot(root);
      console.log(`[temp-root] this run's temporary files are kept in ${root}`);
      return;
    }
    try {
      fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    } catch (error) {
      console.warn(`[temp-root] could not remove ${root}: ${(error as Error).message}`);
    }
  };
}
