/**
 * Recordings in SQLite: a row per recording (what was captured, from where, how much) and its
 * messages in capture order. Appends are batched in one transaction each.
 */
import type { Database } from '../store/database';
import type { RecordedMessage } from './format';

export type RecordingSource = 'live' | 'stream' | 'import';
export type RecordingStatus = 'recording' | 'complete' | 'stopped' | 'failed';

export interface Recording {
  id: number;
  name: string;
  filter: string;
  source: RecordingSource;
  stream: string | null;
  startSeq: number | null;
  endSeq: number | null;
  status: RecordingStatus;
  messageCount: number;
  bytes: number;
  firstTime: number | null;
  lastTime: number | null;
  error: string | null;
  createdAt: number;
  stoppedAt: number | null;
}

interface RawRecording {
  id: number;
  name: string;
  filter: string;
  source: RecordingSource;
  stream: string | null;
  start_seq: number | null;
  end_seq: number | null;
  status: RecordingStatus;
  message_count: number;
  bytes: number;
  first_time: number | null;
  last_time: number | null;
  error: string | null;
  created_at: number;
  stopped_at: number | null;
}

function toRecording(r: RawRecording): Recording {
  return {
    id: r.id,
    name: r.name,
    filter: r.filter,
    source: r.source,
    stream: r.stream,
    startSeq: r.start_seq,
    endSeq: r.end_seq,
    status: r.status,
    messageCount: r.message_count,
    bytes: r.bytes,
    firstTime: r.first_time,
    lastTime: r.last_time,
    error: r.error,
    createdAt: r.created_at,
    stoppedAt: r.stopped_at
  };
}

export class RecordingStore {
  private readonly db: Database;
  private readonly stmts;
  private readonly appendTx: (id: number, messages: readonly RecordedMessage[]) => void;

  constructor(db: Database) {
    this.db = db;
    this.stmts = {
      create: db.prepare(
        `INSERT INTO recordings (name, filter, source, stream, start_seq, end_seq, status, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 'recording', ?)`
      ),
      get: db.prepare<[number], RawRecording>(`SELECT * FROM recordings WHERE id = ?`),
      list: db.prepare<[], RawRecording>(`SELECT * FROM recordings ORDER BY id DESC`),
      insert: db.prepare(
        `INSERT INTO recording_messages (recording_id, idx, subject, headers, payload, time, seq) VALUES (?, ?, ?, ?, ?, ?, ?)`
      ),
      bump: db.prepare(
        `UPDATE recordings SET message_count = message_count + ?, bytes = bytes + ?,
           first_time = coalesce(first_time, ?), last_time = ? WHERE id = ?`
      ),
      count: db.prepare<[number], { n: number }>(`SELECT message_count AS n FROM recordings WHERE id = ?`),
      finish: db.prepare(
        `UPDATE recordings SET status = ?, error = ?, end_seq = coalesce(?, end_seq), stopped_at = ? WHERE id = ?`
      ),
      remove: db.prepare(`DELETE FROM recordings WHERE id = ?`),
      removeMessages: db.prepare(`DELETE FROM recording_messages WHERE recording_id = ?`),
      page: db.prepare<
        [number, number, number],
        { subject: string; headers: string | null; payload: Buffer; time: number; seq: number | null; idx: number }
      >(
        `SELECT idx, subject, headers, payload, time, seq FROM recording_messages WHERE recording_id = ? AND idx > ? ORDER BY idx LIMIT ?`
      ),
      interrupted: db.prepare(
        `UPDATE recordings SET status = 'stopped', error = 'the app stopped while recording', stopped_at = ? WHERE status = 'recording'`
      )
    };
    this.appendTx = db.transaction((id: number, messages: readonly RecordedMessage[]) => {
      let idx = this.stmts.count.get(id)?.n ?? 0;
      let bytes = 0;
      for (const m of messages) {
        idx++;
        bytes += m.payload.length;
        this.stmts.insert.run(
          id,
          idx,
          m.subject,
          m.headers ? JSON.stringify(m.headers) : null,
          Buffer.from(m.payload),
          m.time,
          m.seq
        );
      }
      const first = messages[0];
      const last = messages[messages.length - 1];
      if (first && last) this.stmts.bump.run(messages.length, bytes, first.time, last.time, id);
    });
  }

  create(meta: {
    name: string;
    filter: string;
    source: RecordingSource;
    stream?: string | null;
    startSeq?: number | null;
    endSeq?: number | null;
  }): Recording {
    const info = this.stmts.create.run(
      meta.name,
      meta.filter,
      meta.source,
      meta.stream ?? null,
      meta.startSeq ?? null,
      meta.endSeq ?? null,
      Date.now()
    );
    return this.require(Number(info.lastInsertRowid));
  }

  get(id: number): Recording | null {
    const row = this.stmts.get.get(id);
    return row ? toRecording(row) : null;
  }

  require(id: number): Recording {
    const recording = this.get(id);
    if (!recording) throw new Error(`recording ${id} does not exist`);
    return recording;
  }

  list(): Recording[] {
    return this.stmts.list.all().map(toRecording);
  }

  /** Appends messages in order, in one transaction. */
  append(id: number, messages: readonly RecordedMessage[]): void {
    if (messages.length > 0) this.appendTx(id, messages);
  }

  finish(
    id: number,
    status: Exclude<RecordingStatus, 'recording'>,
    options: { error?: string; endSeq?: number | null } = {}
  ): Recording {
    this.stmts.finish.run(status, options.error ?? null, options.endSeq ?? null, Date.now(), id);
    return this.require(id);
  }

  delete(id: number): boolean {
    return this.db.transaction(() => {
      this.stmts.removeMessages.run(id);
      return this.stmts.remove.run(id).changes > 0;
    })();
  }

  /** Recordings a crash left `recording` become `stopped` (their messages so far are kept). */
  markInterrupted(): number {
    return this.stmts.interrupted.run(Date.now()).changes;
  }

  /** The messages of a recording in order, read a page at a time (bounded memory). */
  *messages(id: number, pageSize = 1000): Generator<RecordedMessage> {
    let after = 0;
    for (;;) {
      const rows = this.stmts.page.all(id, after, pageSize);
      if (rows.length === 0) return;
      for (const r of rows) {
        yield {
          subject: r.subject,
          headers: r.headers ? (JSON.parse(r.headers) as Record<string, string[]>) : null,
          payload: new Uint8Array(r.payload),
          time: r.time,
          seq: r.seq
        };
        after = r.idx;
      }
    }
  }
}
