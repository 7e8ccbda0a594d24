/**
 * WAL checkpoints off the main thread. SQLite checkpoints automatically inside the commit that
 * crosses `wal_autocheckpoint` pages: it copies the WAL back into the database file and fsyncs,
 * which stalled the event loop for ~100 ms every ~16 MiB of outbox writes (PubAcks, IPC and the
 * UI waited). A long-running core instead runs PASSIVE checkpoints every 200 ms on a connection of
 * its own in a worker thread — PASSIVE never blocks the writer — and keeps the main connection's
 * automatic checkpoint only as a safety net far above where the worker keeps the WAL.
 *
 * If the worker cannot start or dies, the main connection goes back to checkpointing by itself
 * (the normal threshold), so the worst case is the behaviour without the worker.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../core/logger';
import type { Database } from './database';

/** The main connection's automatic checkpoint when no worker does it (pages of 4 KiB, ~16 MiB). */
export const MAIN_THREAD_CHECKPOINT_PAGES = 4000;
/** …and while the worker does it: a safety net only (~64 MiB). */
export const SAFETY_NET_CHECKPOINT_PAGES = 16_000;

// CommonJS run by the worker (eval), so no extra bundle entry is needed in electron-vite, the CLI
// bundle or the tests. It opens its own connection with the same build of better-sqlite3.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, workerData.nativeBinding ? { nativeBinding: workerData.nativeBinding } : {});
db.pragma('busy_timeout = 1000');
db.pragma('synchronous = ' + workerData.synchronous);
let failures = 0;
const timer = setInterval(() => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    failures = 0;
    if (r && r.busy === 0 && r.log > 0 && r.checkpointed === r.log) parentPort.postMessage({ kind: 'checkpointed', frames: r.log });
  } catch (error) {
    failures++;
    if (failures >= 5) {
      clearInterval(timer);
      parentPort.postMessage({ kind: 'failed', error: String(error && error.message || error) });
      db.close();
    }
  }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'stop') {
    clearInterval(timer);
    try { db.close(); } catch {}
    parentPort.close();
  }
});
parentPort.postMessage({ kind: 'ready' });
`;

export interface BackgroundCheckpointer {
  /** Whether the worker is checkpointing now. */
  readonly active: boolean;
  /** Checkpoints that copied the whole WAL back so far. */
  readonly completed: number;
  /** Stops the worker (the main connection checkpoints by itself again); before closing the database. */
  stop(): Promise<void>;
}

export interface BackgroundCheckpointOptions {
  file: string;
  synchronous: 'NORMAL' | 'FULL';
  /** better-sqlite3's `nativeBinding` of this process (native-binding.ts), if any. */
  nativeBinding: string | undefined;
  logger: Logger;
  intervalMs?: number;
  /** The better-sqlite3 module the worker loads (tests pass a broken one to see the fallback). */
  module?: string;
}

/** Starts checkpointing `db`'s file in a worker thread; falls back to the main thread on any failure. */
export function startBackgroundCheckpoints(db: Database, options: BackgroundCheckpointOptions): BackgroundCheckpointer {
  const logger = options.logger.child({ part: 'checkpoints' });
  let active = false;
  let completed = 0;
  let stopping = false;
  const fallBack = (reason: string | null): void => {
    if (reason !== null) logger.warn('WAL checkpoints run on the main thread again', { reason });
    active = false;
    try {
      if (db.open) db.pragma(`wal_autocheckpoint = ${MAIN_THREAD_CHECKPOINT_PAGES}`);
    } catch {
      // The database is closing: nothing to checkpoint.
    }
  };

  let worker: Worker;
  try {
    const module = options.module ?? createRequire(import.meta.url).resolve('better-sqlite3');
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        module,
        file: options.file,
        nativeBinding: options.nativeBinding,
        synchronous: options.synchronous,
        intervalMs: options.intervalMs ?? 200
      }
    });
  } catch (error) {
    fallBack(`the checkpoint worker could not start: ${(error as Error).message}`);
    return { active: false, completed: 0, stop: () => Promise.resolve() };
  }
  // Never keeps the process alive by itself.
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('message', (m: { kind: string; frames?: number; error?: string }) => {
    if (m.kind === 'ready') {
      if (stopping) return;
      active = true;
      db.pragma(`wal_autocheckpoint = ${SAFETY_NET_CHECKPOINT_PAGES}`);
      logger.debug('WAL checkpoints run in a worker thread');
    } else if (m.kind === 'checkpointed') {
      completed++;
    } else if (m.kind === 'failed') {
      fallBack(`checkpoints kept failing: ${m.error ?? 'unknown error'}`);
    }
  });
  worker.on('error', (error) => fallBack(`the checkpoint worker failed: ${error.message}`));
  worker.on('exit', () => {
    if (active && !stopping) fallBack('the checkpoint worker stopped');
  });

  return {
    get active() {
      return active;
    },
    get completed() {
      return completed;
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      fallBack(null);
      // Held while it closes: with nothing else left to run (a CLI shutting down), an unreferenced
      // worker would let the event loop end in the middle of this await.
      worker.ref();
      worker.postMessage('stop');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)));
      await Promise.race([exited, timeout]);
      clearTimeout(timer);
      await worker.terminate();
    }
  };
}
