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

/** Keys one slice of the in-memory index holds before a new slice starts (a power of two). */
const SLICE_KEYS = 1 << 17;

export const INBOX_MIGRATIONS: readonly Migration[] = [
  {
    id: '0220',
    description: 'bridge inbox: ids of inbound messages whose effects are committed',
    // A rowid table: rows are appended in commit order, so pruning by age deletes a prefix.
    sql: `CREATE TABLE bridge_inbox (
            key BLOB NOT NULL UNIQUE,
            at INTEGER NOT NULL
          );`
  },
  {
    id: '2420',
    description: 'bridge inbox without the unique index on key (looked up through an in-memory index by rowid)',
    // Every committed input dirtied one page of the index on its random key (a 4 KiB WAL frame
    // per input); the rows are appended in commit order now and found by rowid. Rowids are kept.
    sql: `CREATE TABLE bridge_inbox_next (
            key BLOB NOT NULL,
            at INTEGER NOT NULL
          );
          INSERT INTO bridge_inbox_next (rowid, key, at) SELECT rowid, key, at FROM bridge_inbox ORDER BY rowid;
          DROP TABLE bridge_inbox;
          ALTER TABLE bridge_inbox_next RENAME TO bridge_inbox;`
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
 * One slice of the in-memory index: an open-addressing table (load ≤ 1/2) from 16 bits of a key to
 * the rowid of its row (as an offset from the slice's first rowid), for the keys recorded while the
 * slice was the newest: 6 bytes a slot, 12 a key. Keys are SHA-256 prefixes, so their words are
 * uniform. Matching bits only name a row to check (1 in 65,536 slots probed names another key's).
 */
class KeySlice {
  private readonly words: Uint16Array;
  private readonly offsets: Int32Array;
  private readonly mask: number;
  /** The first rowid recorded here; offsets are relative to it. */
  private base: number | null = null;
  count = 0;
  /** The largest rowid recorded here: once the table's first row is past it, the slice goes. */
  maxRowid = 0;

  constructor(readonly capacity: number) {
    this.words = new Uint16Array(capacity * 2);
    this.offsets = new Int32Array(capacity * 2);
    this.mask = capacity * 2 - 1;
  }

  /** Whether another key fits, its rowid within an Int32 of the first. */
  fits(rowid: number): boolean {
    return this.count < this.capacity && (this.base === null || Math.abs(rowid - this.base) < 0x7fff_ffff);
  }

  add(key: Buffer, rowid: number): void {
    this.base ??= rowid;
    const word = key.readUInt16LE(0) || 1;
    let slot = key.readUInt32LE(4) & this.mask;
    while (this.words[slot] !== 0) slot = (slot + 1) & this.mask;
    this.words[slot] = word;
    this.offsets[slot] = rowid - this.base;
    this.count++;
    if (rowid > this.maxRowid) this.maxRowid = rowid;
  }

  /** Whether a row named here holds the key (the store reads the row). */
  find(key: Buffer, store: InboxStore): boolean {
    if (this.base === null) return false;
    const word = key.readUInt16LE(0) || 1;
    let slot = key.readUInt32LE(4) & this.mask;
    for (let w = this.words[slot] as number; w !== 0; w = this.words[slot] as number) {
      if (w === word && store.rowHolds(this.base + (this.offsets[slot] as number), key)) return true;
      slot = (slot + 1) & this.mask;
    }
    return false;
  }
}

export class InboxStore {
  /**
   * Every row of the table is named in one of these slices, under its key (a slice may also name a
   * row that is gone: a rolled-back add, a pruned row). A lookup reads only the rows named under
   * the key's word — none for a new input, nearly every input — and compares their key, so the
   * table needs no index on its random keys (maintaining one cost a WAL page per input).
   * Only stores like this one write the table, and a store also names the rows other connections
   * committed (another core process on the same data directory — the standby that takes over from
   * a killed leader finds the inputs that leader committed): before it answers that a key is
   * absent, and before its own write, it names the rows after the last one it knows.
   */
  private slices: KeySlice[];
  private readonly sliceKeys: number;
  private readonly db: Database;
  private readonly select;
  private readonly insert;
  private readonly insertChunk;
  private readonly chunkArgs: unknown[] = new Array<unknown>(INSERT_CHUNK * 2);
  private readonly chunkKeys: Buffer[] = new Array<Buffer>(INSERT_CHUNK);
  private readonly chunkWords = new Uint32Array(INSERT_CHUNK);
  private readonly prune;
  private readonly count;
  private readonly minRowid;
  private readonly maxRowid;
  private readonly rowsAfter;
  /** Every committed row up to this rowid is named in the slices. */
  private known = 0;
  /**
   * The last row of this store's write whose transaction's end it has not been told of yet (see
   * {@link committed}), and its key.
   */
  private written: number | null = null;
  private writtenKey: Buffer | null = null;

  /** `sliceKeys` (a power of two) is for tests. */
  constructor(db: Database, sliceKeys = SLICE_KEYS) {
    this.db = db;
    this.sliceKeys = sliceKeys;
    this.slices = [new KeySlice(sliceKeys)];
    this.select = db.prepare<[number], [Buffer]>('SELECT key FROM bridge_inbox WHERE rowid = ?').raw();
    this.insert = db.prepare<[Buffer, number]>('INSERT INTO bridge_inbox (key, at) VALUES (?, ?)');
    this.insertChunk = db.prepare(
      `INSERT INTO bridge_inbox (key, at) VALUES ${new Array(INSERT_CHUNK).fill('(?, ?)').join(', ')}`
    );
    // The newest row always stays: rowids then never start again from 1 (SQLite takes max + 1),
    // so "rows after the last one named" is all a store has to read to know what others wrote.
    this.prune = db.prepare<[number]>(
      `DELETE FROM bridge_inbox WHERE rowid < coalesce(
         (SELECT rowid FROM bridge_inbox WHERE at >= ? ORDER BY rowid LIMIT 1),
         (SELECT max(rowid) FROM bridge_inbox))`
    );
    this.count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM bridge_inbox');
    this.minRowid = db.prepare<[], { r: number | null }>('SELECT min(rowid) AS r FROM bridge_inbox');
    this.maxRowid = db.prepare<[], { r: number | null }>('SELECT max(rowid) AS r FROM bridge_inbox');
    this.rowsAfter = db
      .prepare<[number], [number, Buffer]>('SELECT rowid, key FROM bridge_inbox WHERE rowid > ? ORDER BY rowid')
      .raw();
    // The keys committed before this store existed (a restart within the retention).
    this.catchUp();
  }

  /**
   * Names the committed rows after the last one known (written by other connections since); outside
   * a transaction only, so only committed rows count. Returns whether there were any.
   */
  private catchUp(): boolean {
    const top = this.maxRowid.get()?.r ?? 0;
    if (top <= this.known) return false;
    for (const [rowid, key] of this.rowsAfter.iterate(this.known)) this.index(key, rowid);
    this.known = top;
    return true;
  }

  /**
   * Inside a write transaction (it holds the database's write lock): names the rows after those
   * known, so the rows this write adds follow every row named. The write's own rows count as known
   * once the transaction has committed (and these with them: they are below). Rows of an earlier
   * write whose end this store was not told of are named again, which costs a duplicate entry at
   * worst; starting after them could skip another connection's rows on their rowids.
   */
  private catchUpWithin(): void {
    for (const [rowid, key] of this.rowsAfter.iterate(this.known)) this.index(key, rowid);
  }

  private wrote(rowid: number, key: Buffer): void {
    this.written = rowid;
    this.writtenKey = key;
  }

  /** Names a row under its key in the newest slice (a new slice when that one is full). */
  private index(key: Buffer, rowid: number): void {
    let slice = this.slices[this.slices.length - 1] as KeySlice;
    if (!slice.fits(rowid)) {
      slice = new KeySlice(this.sliceKeys);
      this.slices.push(slice);
    }
    slice.add(key, rowid);
  }

  /** The 16-byte key of a digest. */
  static key(digest: Uint8Array): Buffer {
    return Buffer.from(digest.buffer, digest.byteOffset, 16);
  }

  has(key: Buffer): boolean {
    if (this.named(key)) return true;
    // Not named here: maybe committed by another connection since (one cheap max(rowid) read).
    // Not inside a transaction: this store's own uncommitted rows would count as known.
    if (this.db.inTransaction) return false;
    this.settleWritten();
    return this.catchUp() && this.named(key);
  }

  /** A write whose transaction has ended without word of how: its last row tells. */
  private settleWritten(): void {
    if (this.written === null) return;
    const key = this.writtenKey;
    if (key !== null && this.rowHolds(this.written, key)) this.committed();
    else this.rolledBack();
  }

  private named(key: Buffer): boolean {
    for (const slice of this.slices) if (slice.find(key, this)) return true;
    return false;
  }

  /**
   * The transaction holding this store's last write committed: its rows are known now. The caller
   * of {@link add} / {@link addNew} says so (or {@link rolledBack}) right after the transaction ends.
   */
  committed(): void {
    if (this.written !== null && this.written > this.known) this.known = this.written;
    this.written = null;
    this.writtenKey = null;
  }

  /** The transaction holding this store's last write rolled back: its rows never existed. */
  rolledBack(): void {
    this.written = null;
    this.writtenKey = null;
  }

  /** Whether the row `rowid` exists and holds `key`. */
  rowHolds(rowid: number, key: Buffer): boolean {
    const row = this.select.get(rowid);
    return row !== undefined && key.equals(row[0]);
  }

  /**
   * Records keys (multi-row statements of 32); run inside the transaction that commits their
   * effects. A key already recorded keeps its row (and time).
   */
  add(keys: Iterable<Buffer>, at: number): void {
    this.record(keys, at, true);
  }

  /**
   * Records keys the caller found absent with {@link has}, each given once (the bridge's batch):
   * like {@link add} without looking each key up again. A key recorded twice anyway would only
   * have a second row, which pruning removes like the first.
   */
  addNew(keys: Iterable<Buffer>, at: number): void {
    this.record(keys, at, false);
  }

  /** Inside the caller's transaction, or in one of its own (then it knows how it ended). */
  private record(keys: Iterable<Buffer>, at: number, check: boolean): void {
    if (this.db.inTransaction) {
      this.write(keys, at, check);
      return;
    }
    try {
      this.db.transaction(() => this.write(keys, at, check)).immediate();
    } catch (error) {
      this.rolledBack();
      throw error;
    }
    this.committed();
  }

  private write(keys: Iterable<Buffer>, at: number, check: boolean): void {
    this.catchUpWithin();
    const args = this.chunkArgs;
    const chunk = this.chunkKeys;
    const words = this.chunkWords;
    let n = 0;
    // A key given twice in this call: the first is not indexed until its statement ran.
    const pending = (key: Buffer): boolean => {
      const word = key.readUInt32LE(0);
      for (let i = 0; i < n; i++) if (words[i] === word && (chunk[i] as Buffer).equals(key)) return true;
      return false;
    };
    for (const key of keys) {
      if (check && (this.has(key) || pending(key))) continue;
      chunk[n] = key;
      words[n] = key.readUInt32LE(0);
      args[2 * n] = key;
      args[2 * n + 1] = at;
      if (++n === INSERT_CHUNK) {
        // One statement: its rows take consecutive rowids ending at the last one's.
        const last = Number(this.insertChunk.run(args).lastInsertRowid);
        for (let i = 0; i < n; i++) this.index(chunk[i] as Buffer, last - n + 1 + i);
        this.wrote(last, chunk[n - 1] as Buffer);
        n = 0;
      }
    }
    for (let i = 0; i < n; i++) {
      const rowid = Number(this.insert.run(chunk[i] as Buffer, at).lastInsertRowid);
      this.index(chunk[i] as Buffer, rowid);
      this.wrote(rowid, chunk[i] as Buffer);
    }
  }

  /** Deletes rows committed before `cutoff` (epoch ms). Returns how many. */
  pruneBefore(cutoff: number): number {
    const changes = this.prune.run(cutoff).changes;
    // Rows go as a prefix by rowid: a slice naming only rows before the first one left goes too.
    // Not inside an open transaction, which could still bring the rows back.
    if (changes > 0 && !this.db.inTransaction) {
      const first = this.minRowid.get()?.r ?? null;
      const kept = this.slices.filter((s) => first !== null && s.maxRowid >= first);
      this.slices = kept.length > 0 ? kept : [new KeySlice(this.sliceKeys)];
    }
    return changes;
  }

  /** Slices of the in-memory index held now (each up to 2^17 keys, 1.5 MiB). */
  indexSlices(): number {
    return this.slices.length;
  }

  size(): number {
    return this.count.get()?.n ?? 0;
  }
}
