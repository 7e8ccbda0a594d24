import { useEffect, useState } from 'react';
import type { ErrorShape, KvEntry } from '../../../../main/contract';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorNote } from '../../components/ErrorNote';
import { useAction } from '../../client/context';
import { useNotify } from '../../lib/notify';
import { base64ToBytes } from '../../lib/payload';

/** What a compare-and-set conflict means, in words; null for any other error. */
export function conflictText(error: ErrorShape | null | undefined): string | null {
  const d = error?.details as
    { reason?: string; currentRevision?: number | null; expectedRevision?: number | null } | undefined;
  if (error?.code !== 'CONFLICT' || !d?.reason) return null;
  if (d.reason === 'KEY_EXISTS') return `The key already has a value (revision ${d.currentRevision ?? '?'}).`;
  if (d.reason === 'REVISION_MISMATCH')
    return `Someone changed this key: it is at revision ${d.currentRevision ?? '?'}, you edited revision ${d.expectedRevision ?? '?'}. Reload the value, check it, and save again.`;
  return null;
}

/** The write form of a key: put, create or update (compare-and-set on a revision), delete and purge. */
export function KeyWrite({
  bucket,
  keyName,
  current,
  missing,
  onWritten
}: {
  bucket: string;
  keyName: string;
  current: KvEntry | null;
  missing: boolean;
  onWritten: () => void;
}) {
  const put = useAction('kv.put');
  const del = useAction('kv.delete');
  const notify = useNotify();
  const [value, setValue] = useState('');
  const [mode, setMode] = useState<'put' | 'create' | 'update'>('update');
  const [revision, setRevision] = useState('');
  const [confirming, setConfirming] = useState<'delete' | 'purge' | null>(null);
  useEffect(() => {
    if (missing) setMode('create');
  }, [missing]);
  useEffect(() => {
    if (!current) return;
    setRevision(String(current.revision));
    if (current.operation === 'PUT' && current.format !== 'binary') {
      setValue(new TextDecoder().decode(base64ToBytes(current.valueBase64)));
    }
  }, [current]);
  const conflict = conflictText(put.error) ?? conflictText(del.error);
  return (
    <>
      <h3>Write</h3>
      <form
        aria-label={`Write ${keyName}`}
        onSubmit={(e) => {
          e.preventDefault();
          void put
            .run({
              bucket,
              key: keyName,
              value,
              mode,
              ...(mode === 'update' ? { revision: Number(revision) } : {})
            })
            .then((r) => {
              if (!r) return;
              notify(`Saved ${keyName} as revision ${r.revision}`);
              onWritten();
            });
        }}
      >
        <textarea
          aria-label="Value"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          rows={6}
          style={{ width: '100%' }}
          className="mono"
        />
        <div className="form-row">
          <label>
            As{' '}
            <select
              value={mode}
              onChange={(e) => setMode(e.target.value as 'put' | 'create' | 'update')}
              aria-label="Write mode"
            >
              <option value="update">update (only over the revision)</option>
              <option value="put">put (whatever is there)</option>
              <option value="create">create (only a new key)</option>
            </select>
          </label>
          {mode === 'update' && (
            <label>
              Revision{' '}
              <input
                className="short"
                type="number"
                min={0}
                value={revision}
                onChange={(e) => setRevision(e.target.value)}
                aria-label="Expected revision"
              />
            </label>
          )}
          <button type="submit" disabled={put.pending}>
            Save
          </button>
          <button type="button" className="danger" onClick={() => setConfirming('delete')}>
            Delete…
          </button>
          <button type="button" className="danger" onClick={() => setConfirming('purge')}>
            Purge…
          </button>
        </div>
      </form>
      {conflict ? (
        <div className="error-note" role="alert" data-testid="kv-conflict">
          <strong>CONFLICT</strong> {conflict}
        </div>
      ) : (
        <ErrorNote error={put.error ?? del.error} />
      )}
      {confirming && (
        <ConfirmDialog
          title={confirming === 'delete' ? `Delete ${keyName}?` : `Purge ${keyName}?`}
          confirmLabel={confirming === 'delete' ? 'Delete' : 'Purge'}
          busy={del.pending}
          onCancel={() => setConfirming(null)}
          onConfirm={() =>
            void del.run({ bucket, key: keyName, purge: confirming === 'purge', confirm: true }).then((r) => {
              setConfirming(null);
              if (!r) return;
              notify(`${confirming === 'purge' ? 'Purged' : 'Deleted'} ${keyName}`);
              onWritten();
            })
          }
        >
          {confirming === 'delete'
            ? 'A delete marker is written; the earlier revisions stay in the history.'
            : 'Every revision of this key is removed; only a purge marker stays.'}
        </ConfirmDialog>
      )}
    </>
  );
}

/** Opens a key by name, so a key that does not exist yet can be written. */
export function NewKey({ onCreated }: { onCreated: (key: string) => void }) {
  const [key, setKey] = useState('');
  return (
    <form
      className="form-row"
      onSubmit={(e) => {
        e.preventDefault();
        if (key.trim()) onCreated(key.trim());
      }}
    >
      <label>
        Open key <input value={key} onChange={(e) => setKey(e.target.value)} aria-label="Key to open" />
      </label>
      <button type="submit">Open</button>
    </form>
  );
}
