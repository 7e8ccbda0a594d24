import { useMemo, useState } from 'react';
import type { KvEntry } from '../../../../main/contract';
import { ErrorNote } from '../../components/ErrorNote';
import { PayloadBox, PayloadViewSelect } from '../../components/PayloadBox';
import { useQuery } from '../../client/context';
import { formatBytes, formatTime } from '../../lib/format';
import { base64ToBytes, type PayloadView } from '../../lib/payload';
import { KeyWrite } from './key-write';

/** One key: its current value, the revisions the bucket keeps, and the write form. */
export function KeyDetail({ bucket, keyName }: { bucket: string; keyName: string }) {
  const entry = useQuery('kv.get', { bucket, key: keyName, maxValueBytes: 1024 * 1024 });
  const history = useQuery('kv.history', { bucket, key: keyName });
  const [view, setView] = useState<PayloadView>('json');
  const missing = entry.error?.code === 'NOT_FOUND';
  const e = missing ? undefined : entry.data;
  const bytes = useMemo(() => (e ? base64ToBytes(e.valueBase64) : new Uint8Array()), [e]);
  return (
    <article className="card" aria-label={`Key ${keyName}`}>
      <div className="view-header">
        <h2 className="mono">{keyName}</h2>
        <PayloadViewSelect value={view} onChange={setView} />
      </div>
      {entry.loading && !e && <p className="hint">Loading the value…</p>}
      {missing ? (
        <p className="hint" data-testid="kv-no-value">
          {keyName} has no value yet: write one below (as create).
        </p>
      ) : (
        <ErrorNote error={entry.error} />
      )}
      {e && (
        <>
          <p className="hint" data-testid="kv-entry-meta">
            Revision {e.revision} · {e.operation} · {formatBytes(e.size)} · {formatTime(e.created)}
          </p>
          {e.operation === 'PUT' ? (
            <PayloadBox bytes={bytes} view={view} truncated={e.truncated} label={keyName} />
          ) : (
            <p className="hint">The key was {e.operation === 'DEL' ? 'deleted' : 'purged'}; its history is below.</p>
          )}
        </>
      )}
      <h3>History</h3>
      {!missing && <ErrorNote error={history.error} />}
      {history.data && history.data.entries.length === 0 && <p className="hint">No revisions kept.</p>}
      {history.data && history.data.entries.length > 0 && (
        <table className="table" aria-label={`History of ${keyName}`}>
          <thead>
            <tr>
              <th className="num">Revision</th>
              <th>Operation</th>
              <th>Time</th>
              <th className="num">Size</th>
              <th>Value</th>
            </tr>
          </thead>
          <tbody>
            {history.data.entries.map((h: KvEntry) => (
              <tr key={h.revision} data-testid="kv-history-row">
                <td className="num">{h.revision}</td>
                <td>{h.operation}</td>
                <td>{formatTime(h.created)}</td>
                <td className="num">{formatBytes(h.size)}</td>
                <td className="mono">
                  {h.operation === 'PUT' && h.format !== 'binary'
                    ? new TextDecoder().decode(base64ToBytes(h.valueBase64)).slice(0, 80)
                    : h.format === 'binary'
                      ? '(binary)'
                      : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <KeyWrite
        bucket={bucket}
        keyName={keyName}
        current={e ?? null}
        missing={missing}
        onWritten={() => {
          entry.reload();
          history.reload();
        }}
      />
    </article>
  );
}
