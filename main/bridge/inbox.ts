/**
 * The bridge's inbox: the ids of inbound messages whose effects (engine learning, outbox rows,
 * security / invalid-message records) are committed. The id goes in in the same SQLite transaction
 * as those effects, and only then is the message acked; a redelivery whose id is here (a crash
 * between commit and ack, an ack lost on the way) is acked without stepping the engine again.
 *
 * Keys are the first 16 bytes of SHA-256 of the input's identity (see {@link inputDigest}).
 * Rows are kept at least as long as the stream's duplicate window and the consumers' ack wait, and
 * at least that long after this process started (a message committed just before a crash is
 * redelivered once the restarted core binds again, however long the core was down).
 */
import { hash } from 'node:crypto';
import type { Database, Migration } from '../store/database';

/** Keys per multi-row insert. */
const INSERT_CHUNK = 32;

export const INBOX_MIGRATIONS: readonly Migration[] = [
  {
    id: '0220',
    description: 'bridge inbox: ids of inbound messages whose effects are committed',
    // A rowid table: rows are appended in commit order, so pruning by age deletes a prefix.
    sql: `CREATE TABLE bridge_inbox (
            key BLOB NOT NULL UNIQUE,
            at INTEGER NOT NULL
          );`
  }
];

/**
 * The digest identifying an input. A valid message is the CloudEvent (`source` + `id`, unique per
 * event as CloudEvents requires) as read by one durable consumer; an invalid one, which may have
 * no id at all, is its stream position.
 */
export function inputDigest(identity: string): Buffer {
  // One-shot: a Hash object per inbound message cost about 1 µs more.
  return hash('sha256', identity, 'buffer');
}

export class InboxStore {
  private readonly select;
  private readonly insert;
  private readonly insertChunk;
  private readonly chunkArgs: unknown[] = new Array<unknown>(INSERT_CHUNK * 2);
  private readonly prune;
  private readonly count;

  constructor(db: Database) {
    this.select = db.prepare<[Buffer], { one: number }>('SELECT 1 AS one FROM bridge_inbox WHERE key = ?');
    this.insert = db.prepare<[Buffer, number]>('INSERT OR IGNORE INTO bridge_inbox (key, at) VALUES (?, ?)');
    this.insertChunk = db.prepare(
      `INSERT OR IGNORE INTO bridge_inbox (key, at) VALUES ${new Array(INSERT_CHUNK).fill('(?, ?)').join(', ')}`
    );
    this.prune = db.prepare<[number]>(
      `DELETE FROM bridge_inbox WHERE rowid < coalesce(
         (SELECT rowid FROM bridge_inbox WHERE at >= ? ORDER BY rowid LIMIT 1),
         (SELECT max(rowid) + 1 FROM bridge_inbox))`
    );
    this.count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM bridge_inbox');
  }

  /** The 16-byte key of a digest. */
  static key(digest: Uint8Array): Buffer {
    return Buffer.from(digest.buffer, digest.byteOffset, 16);
  }

  has(key: Buffer): boolean {
    return this.select.get(key) !== undefined;
  }

  /** Records keys (multi-row statements of 32); run inside the transaction that commits their effects. */
  add(keys: Iterable<Buffer>, at: number): void {
    const args = this.chunkArgs;
    let n = 0;
    for (const key of keys) {
      args[2 * n] = key;
      args[2 * n + 1] = at;
      if (++n === INSERT_CHUNK) {
        this.insertChunk.run(args);
        n = 0;
      }
    }
    for (let i = 0; i < n; i++) this.insert.run(args[2 * i] as Buffer, at);
  }

  /** Deletes rows committed before `cutoff` (epoch ms). Returns how many. */
  pruneBefore(cutoff: number): number {
    return this.prune.run(cutoff).changes;
  }

  size(): number {
    return this.count.get()?.n ?? 0;
  }
}
