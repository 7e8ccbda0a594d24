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

/** Keys one slice of the in-memory key filter holds before a new slice starts (a power of two). */
const SLICE_KEYS = 1 << 17;
/** Filter bits per key: a full slice of 2^17 keys is 256 KiB, 2 bytes per inbox row. */
const BITS_PER_KEY = 16;
/** Bit probes per key: about 0.05 % false positives for a full slice. */
const PROBES = 11;

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

/**
 * One slice of the key filter: a Bloom filter over the keys recorded while it was the newest. Keys
 * are SHA-256 prefixes, so their first two 32-bit words serve as the two hashes.
 */
class KeySlice {
  private readonly bits: Int32Array;
  private readonly mask: number;
  count = 0;
  /** Set when a newer slice starts: every row of this slice's keys has a rowid ≤ this. */
  sealedAtRowid: number | null = null;

  constructor(readonly capacity: number) {
    this.mask = capacity * BITS_PER_KEY - 1;
    this.bits = new Int32Array((capacity * BITS_PER_KEY) >>> 5);
  }

  add(key: Buffer): void {
    const h1 = key.readUInt32LE(0);
    const h2 = key.readUInt32LE(4) | 1;
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      this.bits[bit >>> 5]! |= 1 << (bit & 31);
    }
    this.count++;
  }

  mightHave(key: Buffer): boolean {
    const h1 = key.readUInt32LE(0);
    const h2 = key.readUInt32LE(4) | 1;
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

export class InboxStore {
  /**
   * Every key in the table is in one of these slices (a key may be in one though its row is not:
   * a rolled-back add, a pruned row). A key in none of them is not in the table, so the lookup of
   * a new input — nearly every input — does not query SQLite (a point query per message cost more
   * CPU than the rest of the inbound path). Only this store writes the table.
   */
  private slices: KeySlice[];
  private readonly sliceKeys: number;
  private readonly db: Database;
  private readonly select;
  private readonly insert;
  private readonly insertChunk;
  private readonly chunkArgs: unknown[] = new Array<unknown>(INSERT_CHUNK * 2);
  private readonly prune;
  private readonly count;
  private readonly maxRowid;
  private readonly minRowid;

  /** `sliceKeys` (a power of two) is for tests. */
  constructor(db: Database, sliceKeys = SLICE_KEYS) {
    this.db = db;
    this.sliceKeys = sliceKeys;
    this.slices = [new KeySlice(sliceKeys)];
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
    this.maxRowid = db.prepare<[], { r: number | null }>('SELECT max(rowid) AS r FROM bridge_inbox');
    this.minRowid = db.prepare<[], { r: number | null }>('SELECT min(rowid) AS r FROM bridge_inbox');
    // The keys committed before this store existed (a restart within the retention).
    const rows = db.prepare<[], [number, Buffer]>('SELECT rowid, key FROM bridge_inbox ORDER BY rowid').raw();
    for (const [rowid, key] of rows.iterate()) this.filterAdd(key, () => rowid);
  }

  /** Puts a key into the newest slice, sealing that one first when it is full. */
  private filterAdd(key: Buffer, lastRowid: () => number): void {
    let slice = this.slices[this.slices.length - 1] as KeySlice;
    if (slice.count >= this.sliceKeys) {
      slice.sealedAtRowid = lastRowid();
      slice = new KeySlice(this.sliceKeys);
      this.slices.push(slice);
    }
    slice.add(key);
  }

  /** The 16-byte key of a digest. */
  static key(digest: Uint8Array): Buffer {
    return Buffer.from(digest.buffer, digest.byteOffset, 16);
  }

  has(key: Buffer): boolean {
    for (const slice of this.slices) if (slice.mightHave(key)) return this.select.get(key) !== undefined;
    return false;
  }

  /** Records keys (multi-row statements of 32); run inside the transaction that commits their effects. */
  add(keys: Iterable<Buffer>, at: number): void {
    const args = this.chunkArgs;
    let n = 0;
    // The largest rowid so far, read when a slice is sealed: the rows of that slice's keys were all
    // inserted (in this transaction or before) by the time the next key is.
    const lastRowid = (): number => {
      if (n > 0) this.flush(args, n, at);
      n = 0;
      return this.maxRowid.get()?.r ?? 0;
    };
    for (const key of keys) {
      this.filterAdd(key, lastRowid);
      args[2 * n] = key;
      args[2 * n + 1] = at;
      if (++n === INSERT_CHUNK) {
        this.insertChunk.run(args);
        n = 0;
      }
    }
    this.flush(args, n, at);
  }

  private flush(args: unknown[], n: number, at: number): void {
    for (let i = 0; i < n; i++) this.insert.run(args[2 * i] as Buffer, at);
  }

  /** Deletes rows committed before `cutoff` (epoch ms). Returns how many. */
  pruneBefore(cutoff: number): number {
    const changes = this.prune.run(cutoff).changes;
    // Rows go as a prefix by rowid: a slice whose rows all precede the first left is dropped. Not
    // inside an open transaction, which could still bring the rows back.
    if (changes > 0 && !this.db.inTransaction) {
      const first = this.minRowid.get()?.r ?? null;
      const kept = this.slices.filter((s) => first !== null && (s.sealedAtRowid === null || s.sealedAtRowid >= first));
      this.slices = kept.length > 0 ? kept : [new KeySlice(this.sliceKeys)];
    }
    return changes;
  }

  /** Slices of the key filter held now (each up to 2^17 keys, 256 KiB). */
  filterSlices(): number {
    return this.slices.length;
  }

  size(): number {
    return this.count.get()?.n ?? 0;
  }
}
