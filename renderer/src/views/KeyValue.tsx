import { useEffect, useMemo, useState } from 'react';
import type { ErrorShape, KvBucket, KvEntry, KvKeyEntry, KvKeysPage } from '../../../main/contract';
import { CachedMark } from '../components/CachedMark';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { type Column } from '../components/DataTable';
import { EmptyState } from '../components/EmptyState';
import { ErrorNote } from '../components/ErrorNote';
import { PayloadBox, PayloadViewSelect } from '../components/PayloadBox';
import { ViewHeader } from '../components/ViewHeader';
import { useAction, useClient, useQuery } from '../client/context';
import { formatBytes, formatDuration, formatNumber, formatTime } from '../lib/format';
import { useNotify } from '../lib/notify';
import { base64ToBytes, type PayloadView } from '../lib/payload';
import { hrefOf, navigate } from '../lib/route';
import { BucketList, bucketColumns } from './bucket-list';
import { Usage } from './stream-parts';

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

function BucketTable() {
  const list = useQuery('kv.list', {}, { refreshMs: 30_000 });
  const shared = bucketColumns<KvBucket>('kv', 'Bucket');
  const columns: Column<KvBucket>[] = [
    shared.name,
    { id: 'values', label: 'Values', numeric: true, sortValue: (b) => b.values, render: (b) => formatNumber(b.values) },
    shared.size,
    shared.usage,
    { id: 'history', label: 'History', numeric: true, sortValue: (b) => b.history, render: (b) => b.history },
    shared.ttl,
    shared.storage
  ];
  return (
    <BucketList
      title="Buckets"
      loadingText="Loading buckets…"
      list={list}
      label="Key-value buckets"
      rowTestId="kv-bucket-row"
      columns={columns}
      empty={
        <EmptyState title="This server has no key-value buckets." testId="kv-empty">
          Create one below, or with <span className="mono">synos-cc kv add NAME</span>.
        </EmptyState>
      }
    />
  );
}

function NewBucket() {
  const add = useAction('kv.add');
  const notify = useNotify();
  const [name, setName] = useState('');
  const [history, setHistory] = useState('1');
  const [ttl, setTtl] = useState('0');
  const [maxBytes, setMaxBytes] = useState('-1');
  const [storage, setStorage] = useState<'file' | 'memory'>('file');
  return (
    <article className="card">
      <h2>New bucket</h2>
      <form
        className="form-grid pairs"
        onSubmit={(e) => {
          e.preventDefault();
          void add
            .run({
              bucket: name.trim(),
              history: Number(history),
              ttlMs: Math.round(Number(ttl) * 1000),
              maxBytes: Number(maxBytes),
              storage
            })
            .then((r) => {
              if (!r) return;
              notify(`Created bucket ${r.bucket.bucket}`);
              navigate('kv', r.bucket.bucket);
            });
        }}
      >
        <label htmlFor="kv-new-name">Name</label>
        <input id="kv-new-name" value={name} onChange={(e) => setName(e.target.value)} required />
        <label htmlFor="kv-new-history">History (revisions per key)</label>
        <input
          id="kv-new-history"
          type="number"
          min={1}
          max={64}
          value={history}
          onChange={(e) => setHistory(e.target.value)}
        />
        <label htmlFor="kv-new-ttl">TTL in seconds (0: none)</label>
        <input id="kv-new-ttl" type="number" min={0} value={ttl} onChange={(e) => setTtl(e.target.value)} />
        <label htmlFor="kv-new-max">Max bytes (-1: unlimited)</label>
        <input id="kv-new-max" type="number" min={-1} value={maxBytes} onChange={(e) => setMaxBytes(e.target.value)} />
        <label htmlFor="kv-new-storage">Storage</label>
        <select id="kv-new-storage" value={storage} onChange={(e) => setStorage(e.target.value as 'file' | 'memory')}>
          <option value="file">file</option>
          <option value="memory">memory</option>
        </select>
        <button type="submit" disabled={add.pending || name.trim() === ''}>
          Create bucket
        </button>
      </form>
      <ErrorNote error={add.error} />
    </article>
  );
}

function BucketFacts({ bucket, onDeleted }: { bucket: string; onDeleted: () => void }) {
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
    <article className="card">
      <div className="view-header">
        <h2>Bucket {bucket}</h2>
        {info.data && <CachedMark cached={info.data.cached} snapshotTime={info.data.snapshotTime} />}
      </div>
      {info.loading && !b && !info.error && <p className="hint">Loading the bucket…</p>}
      <ErrorNote error={info.error && !b ? info.error : null} />
      {b && (
        <dl className="facts" aria-label={`Status of ${bucket}`}>
          <dt>Values</dt>
          <dd data-testid="kv-values">{formatNumber(b.values)}</dd>
          <dt>Size</dt>
          <dd>
            {formatBytes(b.size)} {b.maxBytes > 0 && <Usage ratio={b.usageBytes} />}
          </dd>
          <dt>History</dt>
          <dd data-testid="kv-history-setting">{b.history}</dd>
          <dt>TTL</dt>
          <dd>{b.ttlMs > 0 ? formatDuration(b.ttlMs) : 'none'}</dd>
          <dt>Max bytes</dt>
          <dd>{b.maxBytes < 0 ? 'unlimited' : formatBytes(b.maxBytes)}</dd>
          <dt>Max value size</dt>
          <dd>{b.maxValueSize < 0 ? 'unlimited' : formatBytes(b.maxValueSize)}</dd>
          <dt>Storage</dt>
          <dd>
            {b.storage}, {b.replicas} replica{b.replicas === 1 ? '' : 's'}
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
        </dl>
      )}
      {b && (
        <div className="form-row" style={{ marginTop: 12 }}>
          <button type="button" onClick={() => setEditing((v) => !v)} disabled={info.data?.cached}>
            Edit…
          </button>
          <button type="button" className="danger" onClick={() => setDeleting(true)} disabled={info.data?.cached}>
            Delete bucket…
          </button>
        </div>
      )}
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
    </article>
  );
}

const PAGE = 100;

function KeyList({ bucket, selected }: { bucket: string; selected: string | null }) {
  const client = useClient();
  const [filter, setFilter] = useState('');
  const [applied, setApplied] = useState<{ filter: string | undefined; nonce: number }>({
    filter: undefined,
    nonce: 0
  });
  const [page, setPage] = useState<KvKeysPage | null>(null);
  const [error, setError] = useState<ErrorShape | null>(null);
  const [loading, setLoading] = useState(false);
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);

  const load = (cursor: string | undefined, stack: Array<string | undefined>): void => {
    setLoading(true);
    client
      .call('kv.keys', {
        bucket,
        limit: PAGE,
        ...(applied.filter ? { filter: applied.filter } : {}),
        ...(cursor ? { cursor } : {})
      })
      .then((p) => {
        setPage(p);
        setCursors(stack);
        setError(null);
      })
      .catch((e: ErrorShape) => setError(e))
      .finally(() => setLoading(false));
  };
  useEffect(() => {
    setPage(null);
    load(undefined, [undefined]);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [bucket, applied]);

  return (
    <article className="card">
      <h2>Keys</h2>
      <form
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          // Submitting again reloads the first page (new keys show up) even with the same filter.
          setApplied((a) => ({ filter: filter.trim() === '' ? undefined : filter.trim(), nonce: a.nonce + 1 }));
        }}
      >
        <label>
          Keys matching{' '}
          <input
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            placeholder="> (all), orders.*, config.>"
            aria-label="Key filter"
          />
        </label>
        <button type="submit">Filter</button>
      </form>
      {loading && !page && <p className="hint">Loading keys…</p>}
      <ErrorNote error={error} />
      {page && page.keys.length === 0 && page.offset === 0 && (
        <EmptyState
          title={applied.filter ? `No keys match ${applied.filter}.` : 'This bucket has no keys.'}
          testId="kv-keys-empty"
        >
          Put one with the form on the right, or with <span className="mono">synos-cc kv put {bucket} KEY VALUE</span>.
        </EmptyState>
      )}
      {page && page.keys.length > 0 && (
        <>
          <table className="table" aria-label={`Keys of ${bucket}`}>
            <thead>
              <tr>
                <th>Key</th>
                <th className="num">Revision</th>
                <th className="num">Size</th>
                <th>Changed</th>
              </tr>
            </thead>
            <tbody>
              {page.keys.map((k: KvKeyEntry) => (
                <tr key={k.key} data-testid="kv-key-row" aria-selected={selected === k.key}>
                  <td>
                    <a href={hrefOf('kv', bucket, k.key)} className="mono">
                      {k.key}
                    </a>
                  </td>
                  <td className="num">{k.revision}</td>
                  <td className="num">{formatBytes(k.size)}</td>
                  <td>{formatTime(k.created)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="form-row">
            <span className="hint" data-testid="kv-page-info">
              Keys {page.offset + 1}–{page.offset + page.keys.length}
              {page.next ? `, up to ${formatNumber(page.remaining)} more` : ''} (in the order of their last change)
            </span>
            <button type="button" disabled={cursors.length < 2 || loading} onClick={() => load(undefined, [undefined])}>
              First page
            </button>
            <button
              type="button"
              disabled={!page.next || loading}
              onClick={() => load(page.next ?? undefined, [...cursors, page.next ?? undefined])}
            >
              Next page
            </button>
          </div>
        </>
      )}
    </article>
  );
}

function KeyDetail({ bucket, keyName }: { bucket: string; keyName: string }) {
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

function KeyWrite({
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

function NewKey({ onCreated }: { onCreated: (key: string) => void }) {
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

function Watch({ bucket }: { bucket: string }) {
  const client = useClient();
  const [pattern, setPattern] = useState('>');
  const [watchId, setWatchId] = useState<string | null>(null);
  const [events, setEvents] = useState<KvEntry[]>([]);
  const [dropped, setDropped] = useState(0);
  const [error, setError] = useState<ErrorShape | null>(null);
  useEffect(() => {
    if (!watchId) return;
    const off = client.subscribe('kv.watch', (batches) => {
      const mine = batches.filter((b) => b.watchId === watchId);
      if (mine.length === 0) return;
      setDropped(mine[mine.length - 1]!.dropped);
      // The newest 200 stay on screen: a busy bucket cannot grow the page without bound.
      setEvents((prev) => [...mine.flatMap((b) => b.entries).reverse(), ...prev].slice(0, 200));
      const ended = mine.find((b) => b.ended)?.ended;
      if (ended) {
        setError({ code: 'UNAVAILABLE', message: `The watch ended: ${ended.reason}. Press Watch to start it again.` });
        setWatchId(null);
      }
    });
    return () => {
      off();
      void client.call('kv.watch.stop', { id: watchId }).catch(() => undefined);
    };
  }, [client, watchId]);
  return (
    <article className="card">
      <h2>Watch</h2>
      <form
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          if (watchId) {
            setWatchId(null);
            return;
          }
          setEvents([]);
          setDropped(0);
          client
            .call('kv.watch.start', {
              bucket,
              ...(pattern.trim() && pattern.trim() !== '>' ? { key: pattern.trim() } : {})
            })
            .then((w) => {
              setError(null);
              setWatchId(w.id);
            })
            .catch((err: ErrorShape) => setError(err));
        }}
      >
        <label>
          Keys{' '}
          <input
            value={pattern}
            onChange={(e) => setPattern(e.target.value)}
            aria-label="Watch pattern"
            disabled={!!watchId}
          />
        </label>
        <button type="submit">{watchId ? 'Stop watching' : 'Watch'}</button>
        {watchId && (
          <span className="hint">Watching; the newest changes come first{dropped ? ` (${dropped} dropped)` : ''}.</span>
        )}
      </form>
      <ErrorNote error={error} />
      {watchId && events.length === 0 && <p className="hint">No change yet.</p>}
      {events.length > 0 && (
        <ul className="event-list" aria-label={`Changes in ${bucket}`}>
          {events.map((ev) => (
            <li key={`${ev.revision}`} data-testid="kv-watch-event" className="mono">
              {formatTime(ev.created)} {ev.operation} {ev.key} (revision {ev.revision})
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}

export function KeyValueView({ rest }: { rest: string[] }) {
  const [bucket, key] = rest;
  if (!bucket) {
    return (
      <section>
        <ViewHeader title="Key-Value" />
        <BucketTable />
        <NewBucket />
      </section>
    );
  }
  return <BucketPage bucket={bucket} keyName={key ?? null} />;
}

function BucketPage({ bucket, keyName }: { bucket: string; keyName: string | null }) {
  return (
    <section>
      <ViewHeader title="Key-Value">
        <a href={hrefOf('kv')}>All buckets</a>
      </ViewHeader>
      <BucketFacts bucket={bucket} onDeleted={() => navigate('kv')} />
      <div className="split">
        <div>
          <KeyList bucket={bucket} selected={keyName} />
          <Watch bucket={bucket} />
        </div>
        <div>
          <article className="card">
            <NewKey onCreated={(k) => navigate('kv', bucket, k)} />
          </article>
          {keyName ? (
            <KeyDetail key={keyName} bucket={bucket} keyName={keyName} />
          ) : (
            <p className="hint">Choose a key to see its value and history, or open one by name to write it.</p>
          )}
        </div>
      </div>
    </section>
  );
}
