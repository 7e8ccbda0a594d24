/**
 * The outbox's three writes per message, timed alone (`npm run bench:outbox-rows`): insert (600
 * rows per transaction, as 100 inbound events of 6 outputs commit), claim (256 rows per
 * transaction, as the drain claims) and completion (256 PubAcks per transaction), through the real
 * OutboxStore on a real file with the app's pragmas (openDatabase), ~400-byte envelopes, half of
 * them with a header; and 2,000 inserts of one message per transaction.
 *
 * Each phase is timed in CPU time of this process (user + system), not wall time: on a shared
 * machine another job's load stretches wall time but not the work done here. The median of
 * `--reps` runs is printed; compare two commits by running this file in each worktree in turn.
 *
 *   npm run bench:outbox-rows                     # 5 × 30,000 rows, synchronous NORMAL
 *   npm run bench:outbox-rows -- --rows 60000 --reps 3 --full
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../main/core/logger';
import type { OutboundMessage } from '../../main/core/outbound';
import { OutboxStore, type Receipt } from '../../main/resilience/outbox-store';
import { openDatabase } from '../../main/store/database';
import { MIGRATIONS } from '../../main/store/migrations';
import { arg, median } from './args';
import { tempDir } from '../harness/temp';

const ROWS = arg('rows', 30_000);
const REPS = arg('reps', 5);
const SYNC = process.argv.includes('--full') ? 'FULL' : 'NORMAL';
const INSERT_TX = 600;
const SINGLES = 2000;
const ROUND = 256;
const encoder = new TextEncoder();
const BODY = encoder.encode(
  JSON.stringify({
    specversion: '1.0',
    id: '0190b3c2-7a4e-7000-8000-000000000000',
    source: 'synos-control-center/engine',
    type: 'consciousness.decision',
    time: new Date(0).toISOString(),
    datacontenttype: 'application/json',
    data: { service: 'service-17', action: 'restart', reason: 'x'.repeat(180), confidence: 0.73 }
  })
);

/**
 * Bytes this process has handed to write() so far (`wchar` of /proc/self/io: the WAL frames and
 * checkpoint writes SQLite makes), or NaN where /proc is absent. Not moved by other load at all.
 */
function writtenBytes(): number {
  try {
    const match = /^wchar: (\d+)$/m.exec(fs.readFileSync('/proc/self/io', 'utf8'));
    return match ? Number(match[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** CPU µs of this process so far. */
function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

interface Run {
  insert: number;
  claim: number;
  complete: number;
  insertBytes: number;
  claimBytes: number;
  completeBytes: number;
  /** One message per transaction (a heartbeat, an alert, `pub --outbox` of one message). */
  single: number;
}

function once(): Run {
  const dir = tempDir('synos-outbox-rows-');
  const { db } = openDatabase(path.join(dir, 'synos.db'), {
    migrations: MIGRATIONS,
    logger: silentLogger,
    synchronous: SYNC
  });
  try {
    const store = new OutboxStore(db);
    let t = cpuUs();
    let w = writtenBytes();
    for (let i = 0; i < ROWS; i += INSERT_TX) {
      const batch: OutboundMessage[] = [];
      for (let k = i; k < Math.min(ROWS, i + INSERT_TX); k++) {
        const message: OutboundMessage = {
          // Time-ordered like the app's UUIDv7 ids: each key lands at the right edge of the index.
          id: `0190b3c2-7a4e-7000-8000-${String(k).padStart(12, '0')}`,
          subject: 'synos.engine.decision',
          payload: BODY,
          priority: 'normal'
        };
        if (k % 2 === 1) message.headers = { 'Synos-Epoch': '3' };
        batch.push(message);
      }
      store.enqueue(batch);
    }
    const insert = cpuUs() - t;
    const insertBytes = writtenBytes() - w;
    const claimed: Receipt[] = [];
    t = cpuUs();
    w = writtenBytes();
    for (let rows = store.claim(ROUND); rows.length > 0; rows = store.claim(ROUND)) {
      for (const r of rows) {
        const receipt: Receipt = { id: r.id, stream: 'ENGINE', seq: claimed.length + 1, duplicate: false };
        if (r.rowid !== undefined) receipt.rowid = r.rowid;
        claimed.push(receipt);
      }
    }
    const claim = cpuUs() - t;
    const claimBytes = writtenBytes() - w;
    if (claimed.length !== ROWS) throw new Error(`claimed ${claimed.length} of ${ROWS} rows`);
    t = cpuUs();
    w = writtenBytes();
    for (let i = 0; i < claimed.length; i += ROUND) store.complete(claimed.slice(i, i + ROUND));
    const complete = cpuUs() - t;
    const completeBytes = writtenBytes() - w;
    const completed = store.stats().counts.completed;
    if (completed !== ROWS) throw new Error(`completed ${completed} of ${ROWS} rows`);
    t = cpuUs();
    for (let k = 0; k < SINGLES; k++) {
      store.enqueue([
        {
          id: `0190b3c2-7a4e-7000-9000-${String(k).padStart(12, '0')}`,
          subject: 'synos.health',
          payload: BODY,
          priority: 'normal'
        }
      ]);
    }
    const single = (cpuUs() - t) / SINGLES;
    return {
      insert: insert / ROWS,
      claim: claim / ROWS,
      complete: complete / ROWS,
      insertBytes: insertBytes / ROWS,
      claimBytes: claimBytes / ROWS,
      completeBytes: completeBytes / ROWS,
      single
    };
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const runs: Run[] = [];
console.log(
  `outbox rows bench: ${REPS} × ${ROWS} rows of ${BODY.length} B, synchronous=${SYNC}, load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`
);
for (let r = 0; r < REPS; r++) runs.push(once());
const fmt = (k: keyof Run): string => `${median(runs.map((r) => r[k])).toFixed(2)} µs`;
const total = median(runs.map((r) => r.insert + r.claim + r.complete));
console.log(
  `CPU per row (median): insert ${fmt('insert')}, claim ${fmt('claim')}, completion ${fmt('complete')}, all three ${total.toFixed(2)} µs`
);
const bytes = (k: keyof Run): string => `${Math.round(median(runs.map((r) => r[k])))} B`;
console.log(
  `bytes written per row (median): insert ${bytes('insertBytes')}, claim ${bytes('claimBytes')}, completion ${bytes('completeBytes')}`
);
console.log(`insert of one message per transaction, CPU (median): ${fmt('single')}`);
console.log(
  `load after: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`
);
