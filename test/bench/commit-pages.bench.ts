/**
 * What each page a commit dirties costs (`npm run bench:commit-pages`): one transaction per
 * iteration inserting one 200-byte row into each of K tables (K B-trees, so about K pages written
 * to the WAL per commit), on a file opened with the app's pragmas (openDatabase: WAL, the
 * `synchronous` setting, temporaries in memory), with a PASSIVE checkpoint every 1,000 commits as
 * the app's checkpoint worker keeps the WAL short. Timed in CPU time of this process (user +
 * system; wall time alongside), the median of `--reps` runs per K.
 *
 * Why: at 1,000 inputs/s each inbound commit carries one input and writes ~16 pages (the outbox and
 * its payload, their indexes, the inbox, the engine's problems, provenance and weights, the
 * database header); the slope of this bench is what one B-tree fewer per commit saves.
 *
 *   npm run bench:commit-pages                    # K = 1, 4, 8, 16; 5,000 commits, 3 reps
 *   npm run bench:commit-pages -- --commits 10000 --reps 5 --full
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../main/core/logger';
import { openDatabase } from '../../main/store/database';
import { arg, median } from './args';
import { tempDir } from '../harness/temp';

const COMMITS = arg('commits', 5000);
const REPS = arg('reps', 3);
const SYNC = process.argv.includes('--full') ? 'FULL' : 'NORMAL';
const TABLES = [1, 4, 8, 16];

interface Run {
  cpuUs: number;
  wallUs: number;
}

function once(k: number): Run {
  const dir = tempDir('synos-commit-pages-');
  const { db } = openDatabase(path.join(dir, 'pages.db'), { migrations: [], logger: silentLogger, synchronous: SYNC });
  try {
    for (let t = 0; t < k; t++) db.exec(`CREATE TABLE t${t} (rid INTEGER PRIMARY KEY, v BLOB NOT NULL)`);
    const inserts = Array.from({ length: k }, (_, t) => db.prepare(`INSERT INTO t${t} (v) VALUES (?)`));
    const value = Buffer.alloc(200, 1);
    const commit = db.transaction(() => {
      for (const insert of inserts) insert.run(value);
    });
    for (let i = 0; i < 1000; i++) commit(); // warm: every table has a few leaves
    db.pragma('wal_checkpoint(TRUNCATE)');
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    for (let i = 0; i < COMMITS; i++) {
      commit();
      if (i % 1000 === 999) db.pragma('wal_checkpoint(PASSIVE)');
    }
    const cpu = process.cpuUsage(cpu0);
    return { cpuUs: (cpu.user + cpu.system) / COMMITS, wallUs: ((performance.now() - wall0) * 1000) / COMMITS };
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `one commit with one row in each of K tables, ${COMMITS} commits × ${REPS} reps, synchronous ${SYNC}, load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`
);
const results: Array<{ k: number; cpu: number; wall: number }> = [];
for (const k of TABLES) {
  const runs: Run[] = [];
  for (let r = 0; r < REPS; r++) runs.push(once(k));
  const cpu = median(runs.map((x) => x.cpuUs));
  const wall = median(runs.map((x) => x.wallUs));
  results.push({ k, cpu, wall });
  console.log(`  K=${String(k).padStart(2)}: ${cpu.toFixed(1)} µs CPU per commit (wall ${wall.toFixed(1)} µs)`);
}
const first = results[0]!;
const last = results[results.length - 1]!;
console.log(
  `  each further page per commit: ${((last.cpu - first.cpu) / (last.k - first.k)).toFixed(1)} µs CPU, ${(
    (last.wall - first.wall) /
    (last.k - first.k)
  ).toFixed(1)} µs wall`
);
