/**
 * WAL checkpoints in a worker thread, on a real SQLite file: the worker copies the WAL back while
 * the main connection's own checkpoint sits far above; a worker that cannot start leaves the main
 * connection checkpointing by itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../main/core/logger';
import { newMessageId } from '../../main/core/message-id';
import { OutboxStore } from '../../main/resilience/outbox-store';
import {
  MAIN_THREAD_CHECKPOINT_PAGES,
  SAFETY_NET_CHECKPOINT_PAGES,
  startBackgroundCheckpoints
} from '../../main/store/checkpointer';
import { openDatabase } from '../../main/store/database';
import { MIGRATIONS } from '../../main/store/migrations';
import { nativeBinding } from '../../main/store/native-binding';
import { tempDir, waitFor } from '../harness/temp';

function autocheckpoint(db: { pragma(s: string, o: { simple: true }): unknown }): number {
  return Number(db.pragma('wal_autocheckpoint', { simple: true }));
}

describe('background WAL checkpoints', () => {
  it('copy the WAL back from a worker thread while the outbox writes', async () => {
    const file = path.join(tempDir('synos-ckpt-'), 'synos.db');
    const { db } = openDatabase(file, { migrations: MIGRATIONS, logger: silentLogger });
    const checkpointer = startBackgroundCheckpoints(db, {
      file,
      synchronous: 'NORMAL',
      nativeBinding: nativeBinding(),
      logger: silentLogger,
      intervalMs: 50
    });
    try {
      await waitFor(() => checkpointer.active, { message: 'the checkpoint worker to be ready' });
      expect(autocheckpoint(db)).toBe(SAFETY_NET_CHECKPOINT_PAGES);
      const sizeBefore = fs.statSync(file).size;
      // ~24 MiB of outbox rows: below the safety net (64 MiB), so only the worker checkpoints them.
      const store = new OutboxStore(db);
      const payload = new Uint8Array(2000);
      for (let batch = 0; batch < 12; batch++) {
        store.enqueue(
          Array.from({ length: 1000 }, () => ({
            id: newMessageId(),
            subject: 'a.b',
            payload,
            priority: 'normal' as const
          }))
        );
        await new Promise((r) => setTimeout(r, 20));
      }
      await waitFor(() => checkpointer.completed > 0 && fs.statSync(file).size > sizeBefore + 20 * 1024 * 1024, {
        timeoutMs: 20_000,
        message: 'the worker to copy the WAL into the database file'
      });
      expect(store.stats().counts.pending).toBe(12_000);
    } finally {
      await checkpointer.stop();
      expect(checkpointer.active).toBe(false);
      expect(autocheckpoint(db)).toBe(MAIN_THREAD_CHECKPOINT_PAGES);
      db.close();
    }
  });

  it('leave the checkpoints to the main connection when the worker cannot start', async () => {
    const file = path.join(tempDir('synos-ckpt-'), 'synos.db');
    const { db } = openDatabase(file, { migrations: MIGRATIONS, logger: silentLogger });
    const lines: string[] = [];
    const checkpointer = startBackgroundCheckpoints(db, {
      file,
      synchronous: 'NORMAL',
      nativeBinding: nativeBinding(),
      logger: createLogger({ level: 'warn', write: (line) => lines.push(line) }),
      module: path.join(tempDir('synos-ckpt-'), 'no-such-better-sqlite3.js')
    });
    try {
      await waitFor(() => lines.some((l) => l.includes('WAL checkpoints run on the main thread again')), {
        message: 'the fallback warning'
      });
      expect(checkpointer.active).toBe(false);
      expect(autocheckpoint(db)).toBe(MAIN_THREAD_CHECKPOINT_PAGES);
    } finally {
      await checkpointer.stop();
      db.close();
    }
  });
});
