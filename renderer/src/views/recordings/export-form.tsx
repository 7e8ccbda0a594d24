import { useState } from 'react';
import type { RecordingPayload } from '../../../../main/contract';
import { ErrorNote } from '../../components/ErrorNote';
import { useAction, useConnection } from '../../client/context';
import { formatNumber } from '../../lib/format';
import { useNotify } from '../../lib/notify';

/** Exports one recording: a new file in exports/ (web mode downloads it), or a file chosen in a dialog (desktop). */
export function ExportForm({ rec }: { rec: RecordingPayload }) {
  const connection = useConnection();
  const exp = useAction('recordings.export');
  const choose = useAction('recordings.chooseFile');
  const notify = useNotify();
  const [file, setFile] = useState('');
  const [format, setFormat] = useState<'ndjson' | 'csv'>('ndjson');
  const [done, setDone] = useState<{ file: string | null; count: number } | null>(null);
  const finish = (r: { file: string | null; count: number; path: string } | undefined): void => {
    if (!r) return;
    setDone(r);
    notify(`Exported ${formatNumber(r.count)} messages to ${r.file ? `exports/${r.file}` : r.path}`);
  };
  return (
    <form
      className="form-row"
      aria-label={`Export ${rec.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        setDone(null);
        void exp.run({ recordingId: rec.id, format, file: file.trim() || undefined }).then(finish);
      }}
    >
      <strong>Export {rec.name}</strong>
      <label>
        File name in exports/{' '}
        <input
          className="short"
          style={{ width: 240 }}
          value={file}
          placeholder="made from the recording's name"
          onChange={(e) => setFile(e.target.value)}
        />
      </label>
      <select aria-label="Export format" value={format} onChange={(e) => setFormat(e.target.value as 'ndjson' | 'csv')}>
        <option value="ndjson">NDJSON</option>
        <option value="csv">CSV</option>
      </select>
      <button type="submit" disabled={exp.pending}>
        Export
      </button>
      {connection.transport === 'ipc' && (
        <button
          type="button"
          disabled={exp.pending || choose.pending}
          onClick={() => {
            setDone(null);
            void choose
              .run({ purpose: 'export', format, suggestedName: `${rec.name.replace(/[^\w.-]+/g, '_')}.${format}` })
              .then((chosen) =>
                chosen?.grant ? exp.run({ recordingId: rec.id, format, grant: chosen.grant }).then(finish) : undefined
              );
          }}
        >
          Export to a file…
        </button>
      )}
      {done?.file && connection.files && (
        <a href={connection.files.downloadUrl(done.file)} download={done.file} data-testid="export-download">
          Download {done.file}
        </a>
      )}
      <ErrorNote error={exp.error ?? choose.error} />
    </form>
  );
}
