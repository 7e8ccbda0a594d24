import { useState } from 'react';
import type { RecordingPayload } from '../../../main/contract';
import { ErrorNote } from '../components/ErrorNote';
import { useAction, useConnection } from '../client/context';
import { formatCount, formatNumber } from '../lib/format';
import { useNotify } from '../lib/notify';
import { hrefOf } from '../lib/route';
import { ReplayForm } from './recordings/replay';

/** Inclusive stream sequences. */
export interface SeqRange {
  from: number;
  to: number;
}

type Open = 'export' | 'replay' | null;

/**
 * What can be done with a range of a stream's messages, in place: export it to NDJSON or CSV,
 * record it (a recording kept in the data directory), or record it and replay it into this
 * connection, a saved profile or other servers. The range is the stream's, so with a subject filter
 * only the messages on it count.
 */
export function MessageRangeActions({
  stream,
  filter,
  range,
  shown,
  onClear
}: {
  stream: string;
  filter: string | undefined;
  range: SeqRange;
  /** How many of the range's messages the page shows (the range may hold more). */
  shown: number;
  onClear: () => void;
}) {
  const connection = useConnection();
  const exp = useAction('recordings.export');
  const record = useAction('recordings.start');
  const notify = useNotify();
  const [open, setOpen] = useState<Open>(null);
  const [format, setFormat] = useState<'ndjson' | 'csv'>('ndjson');
  const [exported, setExported] = useState<{ file: string | null; count: number } | null>(null);
  const [recording, setRecording] = useState<RecordingPayload | null>(null);
  const streamRange = {
    stream,
    fromSeq: range.from,
    toSeq: range.to,
    ...(filter ? { filter } : {})
  };
  const label = `${stream} #${range.from}${range.to !== range.from ? `–#${range.to}` : ''}${filter ? ` on ${filter}` : ''}`;

  const doRecord = async (): Promise<RecordingPayload | undefined> => {
    const rec = await record.run({ name: label, range: streamRange });
    if (rec) {
      setRecording(rec);
      notify(`Recorded ${formatCount(rec.messageCount, 'message')} of ${label} as recording ${rec.id}`);
    }
    return rec;
  };

  return (
    <div className="card" role="region" aria-label="Selected range" data-testid="range-actions">
      <div className="form-row">
        <strong data-testid="range-label">{label}</strong>
        <span className="hint">
          {range.to - range.from + 1 === shown
            ? formatCount(shown, 'message')
            : `${formatCount(shown, 'message')} shown of sequences ${range.from}–${range.to}`}
        </span>
        <button
          type="button"
          aria-expanded={open === 'export'}
          onClick={() => setOpen(open === 'export' ? null : 'export')}
        >
          Export…
        </button>
        <button type="button" disabled={record.pending} onClick={() => void doRecord()}>
          Record
        </button>
        <button
          type="button"
          aria-expanded={open === 'replay'}
          disabled={record.pending}
          onClick={() => {
            if (open === 'replay') return setOpen(null);
            setOpen('replay');
            if (!recording) void doRecord();
          }}
        >
          Replay to…
        </button>
        <button type="button" onClick={onClear}>
          Clear selection
        </button>
      </div>
      {open === 'export' && (
        <form
          className="form-row"
          aria-label={`Export ${label}`}
          onSubmit={(e) => {
            e.preventDefault();
            setExported(null);
            void exp.run({ range: streamRange, format }).then((r) => {
              if (!r) return;
              setExported(r);
              notify(`Exported ${formatCount(r.count, 'message')} to ${r.file ? `exports/${r.file}` : r.path}`);
            });
          }}
        >
          <select
            aria-label="Export format"
            value={format}
            onChange={(e) => setFormat(e.target.value as 'ndjson' | 'csv')}
          >
            <option value="ndjson">NDJSON</option>
            <option value="csv">CSV</option>
          </select>
          <button type="submit" disabled={exp.pending}>
            {exp.pending ? 'Exporting…' : 'Export'}
          </button>
          {exported && (
            <span data-testid="range-exported">
              {formatNumber(exported.count)} messages in{' '}
              {exported.file && connection.files ? (
                <a href={connection.files.downloadUrl(exported.file)} download={exported.file}>
                  exports/{exported.file}
                </a>
              ) : (
                <span className="mono">{exported.file ? `exports/${exported.file}` : 'the chosen file'}</span>
              )}
            </span>
          )}
        </form>
      )}
      {recording && (
        <p className="hint" data-testid="range-recorded">
          Recording {recording.id} ({formatCount(recording.messageCount, 'message')}) is under{' '}
          <a href={hrefOf('outbox')}>Outbox → Recordings</a>.
        </p>
      )}
      {open === 'replay' &&
        (recording ? (
          recording.messageCount === 0 ? (
            <p className="hint">The range holds no message to replay (with this subject filter).</p>
          ) : (
            <ReplayForm rec={recording} label={`Replay ${label}`} />
          )
        ) : (
          record.pending && (
            <p className="hint" role="status">
              Recording the range first…
            </p>
          )
        ))}
      <ErrorNote error={exp.error ?? record.error} />
    </div>
  );
}
