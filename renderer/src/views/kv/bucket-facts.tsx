import { useEffect, useState } from 'react';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorNote } from '../../components/ErrorNote';
import { useAction, useQuery } from '../../client/context';
import { formatBytes, formatNumber, formatTime } from '../../lib/format';
import { useNotify } from '../../lib/notify';
import { BucketCard, BucketSize, maxBytesText, replicasText, ttlText } from '../bucket-card';

/** One bucket's status, with its configuration form (history, TTL, max bytes) and the delete dialog. */
export function BucketFacts({ bucket, onDeleted }: { bucket: string; onDeleted: () => void }) {
  const info = useQuery('kv.info', { bucket }, { refreshMs: 15_000 });
  const edit = useAction('kv.edit');
  const rm = useAction('kv.rm');
  const notify = useNotify();
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [history, setHistory] = useState('');
  const [ttl, setTtl] = useState('');
  const [maxBytes, setMaxBytes] = useState('');
  const b = info.data?.bucket;
  useEffect(() => {
    if (!b) return;
    setHistory(String(b.history));
    setTtl(String(b.ttlMs / 1000));
    setMaxBytes(String(b.maxBytes));
  }, [b]);
  return (
    <BucketCard
      title="Bucket"
      name={bucket}
      loadingText="Loading the bucket…"
      info={info}
      facts={(b) => (
        <>
          <dt>Values</dt>
          <dd data-testid="kv-values">{formatNumber(b.values)}</dd>
          <dt>Size</dt>
          <dd>
            <BucketSize bucket={b} />
          </dd>
          <dt>History</dt>
          <dd data-testid="kv-history-setting">{b.history}</dd>
          <dt>TTL</dt>
          <dd>{ttlText(b)}</dd>
          <dt>Max bytes</dt>
          <dd>{maxBytesText(b)}</dd>
          <dt>Max value size</dt>
          <dd>{b.maxValueSize < 0 ? 'unlimited' : formatBytes(b.maxValueSize)}</dd>
          <dt>Storage</dt>
          <dd>
            {b.storage}, {replicasText(b)}
            {b.compression ? ', compressed' : ''}
          </dd>
          <dt>Created</dt>
          <dd>{formatTime(b.created)}</dd>
          {b.description && (
            <>
              <dt>Description</dt>
              <dd>{b.description}</dd>
            </>
          )}
        </>
      )}
      actions={() => (
        <>
          <button type="button" onClick={() => setEditing((v) => !v)} disabled={info.data?.cached}>
            Edit…
          </button>
          <button type="button" className="danger" onClick={() => setDeleting(true)} disabled={info.data?.cached}>
            Delete bucket…
          </button>
        </>
      )}
    >
      {editing && b && (
        <form
          className="form-grid pairs"
          aria-label={`Edit ${bucket}`}
          onSubmit={(e) => {
            e.preventDefault();
            void edit
              .run({
                bucket,
                history: Number(history),
                ttlMs: Math.round(Number(ttl) * 1000),
                maxBytes: Number(maxBytes)
              })
              .then((r) => {
                if (!r) return;
                notify(`Saved ${bucket}`);
                setEditing(false);
                info.reload();
              });
          }}
        >
          <label htmlFor="kv-edit-history">History</label>
          <input
            id="kv-edit-history"
            type="number"
            min={1}
            max={64}
            value={history}
            onChange={(e) => setHistory(e.target.value)}
          />
          <label htmlFor="kv-edit-ttl">TTL in seconds (0: none)</label>
          <input id="kv-edit-ttl" type="number" min={0} value={ttl} onChange={(e) => setTtl(e.target.value)} />
          <label htmlFor="kv-edit-max">Max bytes (-1: unlimited)</label>
          <input
            id="kv-edit-max"
            type="number"
            min={-1}
            value={maxBytes}
            onChange={(e) => setMaxBytes(e.target.value)}
          />
          <button type="submit" disabled={edit.pending}>
            Save
          </button>
        </form>
      )}
      <ErrorNote error={edit.error ?? rm.error} />
      {deleting && (
        <ConfirmDialog
          title={`Delete bucket ${bucket}?`}
          confirmLabel="Delete bucket"
          typeToConfirm={bucket}
          busy={rm.pending}
          onCancel={() => setDeleting(false)}
          onConfirm={() =>
            void rm.run({ bucket, confirm: true }).then((r) => {
              setDeleting(false);
              if (!r) return;
              notify(`Deleted bucket ${bucket}`);
              onDeleted();
            })
          }
        >
          Every key and every kept revision in {bucket} is deleted. This cannot be undone.
        </ConfirmDialog>
      )}
    </BucketCard>
  );
}
