import { useEffect, useRef, useState } from 'react';
import type { ErrorShape, ObjectBucket, ObjectEntry, ObjectProgress } from '../../../main/contract';
import { CachedMark } from '../components/CachedMark';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { DataTable, type Column } from '../components/DataTable';
import { EmptyState } from '../components/EmptyState';
import { ErrorNote } from '../components/ErrorNote';
import { ViewHeader } from '../components/ViewHeader';
import { useAction, useClient, useConnection, useQuery } from '../client/context';
import { formatBytes, formatDuration, formatNumber, formatPercent, formatTime } from '../lib/format';
import { useNotify } from '../lib/notify';
import { hrefOf, navigate } from '../lib/route';
import { BucketList, bucketColumns } from './bucket-list';
import { Usage } from './stream-parts';

function StoreTable() {
  const list = useQuery('objects.list', {}, { refreshMs: 30_000 });
  const shared = bucketColumns<ObjectBucket>('objects', 'Store');
  const columns: Column<ObjectBucket>[] = [
    shared.name,
    shared.size,
    shared.usage,
    shared.ttl,
    shared.storage,
    { id: 'sealed', label: 'Sealed', sortValue: (b) => (b.sealed ? 1 : 0), render: (b) => (b.sealed ? 'sealed' : '—') },
    {
      id: 'description',
      label: 'Description',
      filterText: (b) => b.description ?? '',
      render: (b) => b.description ?? ''
    }
  ];
  return (
    <BucketList
      title="Object stores"
      loadingText="Loading object stores…"
      list={list}
      label="Object stores"
      rowTestId="obj-bucket-row"
      columns={columns}
      empty={
        <EmptyState title="This server has no object stores." testId="obj-empty">
          Create one below, or with <span className="mono">synos-cc object add NAME</span>.
        </EmptyState>
      }
    />
  );
}

function NewStore() {
  const add = useAction('objects.add');
  const notify = useNotify();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [maxBytes, setMaxBytes] = useState('-1');
  return (
    <article className="card">
      <h2>New object store</h2>
      <form
        className="form-grid pairs"
        onSubmit={(e) => {
          e.preventDefault();
          void add
            .run({
              bucket: name.trim(),
              maxBytes: Number(maxBytes),
              ...(description.trim() ? { description: description.trim() } : {})
            })
            .then((r) => {
              if (!r) return;
              notify(`Created object store ${r.bucket.bucket}`);
              navigate('objects', r.bucket.bucket);
            });
        }}
      >
        <label htmlFor="obj-new-name">Name</label>
        <input id="obj-new-name" value={name} onChange={(e) => setName(e.target.value)} required />
        <label htmlFor="obj-new-description">Description</label>
        <input id="obj-new-description" value={description} onChange={(e) => setDescription(e.target.value)} />
        <label htmlFor="obj-new-max">Max bytes (-1: unlimited)</label>
        <input id="obj-new-max" type="number" min={-1} value={maxBytes} onChange={(e) => setMaxBytes(e.target.value)} />
        <button type="submit" disabled={add.pending || name.trim() === ''}>
          Create object store
        </button>
      </form>
      <ErrorNote error={add.error} />
    </article>
  );
}

/** The newest progress report of each transfer this client started. */
function useTransfers(): Map<string, ObjectProgress> {
  const client = useClient();
  const [transfers, setTransfers] = useState(new Map<string, ObjectProgress>());
  useEffect(
    () =>
      client.subscribe('objects.progress', (payloads) =>
        setTransfers((prev) => {
          const next = new Map(prev);
          for (const p of payloads) next.set(p.transferId, p);
          return next;
        })
      ),
    [client]
  );
  return transfers;
}

function TransferList({ transfers, local }: { transfers: Map<string, ObjectProgress>; local: ObjectProgress | null }) {
  const shown = [...transfers.values(), ...(local ? [local] : [])].slice(-5);
  if (shown.length === 0) return null;
  return (
    <ul className="plain" aria-label="Transfers">
      {shown.map((p) => (
        <li key={p.transferId} data-testid="obj-transfer" data-state={p.state}>
          {p.direction === 'upload' ? 'Upload' : 'Download'} of <span className="mono">{p.name}</span>:{' '}
          {formatBytes(p.bytes)}
          {p.total ? ` of ${formatBytes(p.total)} (${formatPercent(p.bytes / Math.max(p.total, 1))})` : ''} —{' '}
          {p.state === 'running' ? 'running' : p.state === 'done' ? 'done, digest checked' : p.state}
          {p.error && <span className="error-note"> {p.error}</span>}
        </li>
      ))}
    </ul>
  );
}

/** Web mode: the browser streams the file to a one-time transfer path (XHR for upload progress). */
function uploadInBrowser(
  path: string,
  file: File,
  onProgress: (bytes: number) => void
): Promise<{ object?: ObjectEntry; error?: ErrorShape }> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', path);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      try {
        const body = JSON.parse(xhr.responseText) as { object?: ObjectEntry } & Partial<ErrorShape>;
        resolve(xhr.status === 200 ? { object: body.object } : { error: body as ErrorShape });
      } catch {
        resolve({ error: { code: 'INTERNAL', message: `the upload answered ${xhr.status}` } });
      }
    };
    xhr.onerror = () => resolve({ error: { code: 'TRANSPORT_CLOSED', message: 'the upload connection failed' } });
    xhr.send(file);
  });
}

function StorePage({ bucket }: { bucket: string }) {
  const { transport } = useConnection();
  const client = useClient();
  const info = useQuery('objects.info', { bucket });
  const objects = useQuery('objects.objects', { bucket });
  const transfers = useTransfers();
  const notify = useNotify();
  const seal = useAction('objects.seal');
  const rm = useAction('objects.rm');
  const del = useAction('objects.delete');
  const [selected, setSelected] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<'seal' | 'rm' | 'delete' | null>(null);
  const [local, setLocal] = useState<ObjectProgress | null>(null);
  const [transferError, setTransferError] = useState<ErrorShape | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const b = info.data?.bucket;
  const offline = Boolean(info.data?.cached || objects.data?.cached);
  const current = objects.data?.objects.find((o) => o.name === selected) ?? null;
  const reload = (): void => {
    info.reload();
    objects.reload();
  };

  const upload = async (file: File): Promise<void> => {
    setTransferError(null);
    try {
      const ticket = await client.call('objects.transfer', { bucket, name: file.name, direction: 'upload' });
      const r = await uploadInBrowser(ticket.path, file, (bytes) =>
        setLocal({
          transferId: `local-${ticket.transferId}`,
          bucket,
          name: file.name,
          direction: 'upload',
          bytes,
          total: file.size,
          state: 'running',
          error: null
        })
      );
      setLocal(null);
      if (r.error) setTransferError(r.error);
      else notify(`Stored ${file.name} (${formatBytes(r.object?.size ?? file.size)})`);
      reload();
    } catch (error) {
      setLocal(null);
      setTransferError(error as ErrorShape);
    }
  };

  const download = async (name: string): Promise<void> => {
    setTransferError(null);
    try {
      if (transport === 'ipc') {
        const r = await client.call('objects.download', { bucket, name });
        if (!r.cancelled) notify(`Saved ${r.fileName} (${formatBytes(r.bytes)}, digest checked)`);
        return;
      }
      const ticket = await client.call('objects.transfer', { bucket, name, direction: 'download' });
      // The browser streams it to disk itself; progress comes on objects.progress.
      const a = document.createElement('a');
      a.href = ticket.path;
      a.rel = 'noopener';
      a.download = '';
      document.body.appendChild(a);
      a.click();
      a.remove();
    } catch (error) {
      setTransferError(error as ErrorShape);
    }
  };

  const columns: Column<ObjectEntry>[] = [
    {
      id: 'name',
      label: 'Name',
      sortValue: (o) => o.name,
      render: (o) => (
        <button type="button" className="mono" onClick={() => setSelected(o.name)} aria-pressed={selected === o.name}>
          {o.name}
        </button>
      )
    },
    { id: 'size', label: 'Size', numeric: true, sortValue: (o) => o.size, render: (o) => formatBytes(o.size) },
    { id: 'chunks', label: 'Chunks', numeric: true, sortValue: (o) => o.chunks, render: (o) => o.chunks },
    { id: 'modified', label: 'Modified', sortValue: (o) => o.modified, render: (o) => formatTime(o.modified) },
    {
      id: 'link',
      label: 'Link',
      filterText: (o) => (o.link ? `${o.link.bucket} ${o.link.name ?? ''}` : ''),
      render: (o) => (o.link ? `→ ${o.link.bucket}${o.link.name ? ` / ${o.link.name}` : ' (bucket)'}` : '')
    },
    {
      id: 'description',
      label: 'Description',
      filterText: (o) => o.description ?? '',
      render: (o) => o.description ?? ''
    }
  ];

  return (
    <section>
      <ViewHeader title="Object Stores">
        <a href={hrefOf('objects')}>All object stores</a>
      </ViewHeader>
      <article className="card">
        <div className="view-header">
          <h2>Store {bucket}</h2>
          {info.data && <CachedMark cached={info.data.cached} snapshotTime={info.data.snapshotTime} />}
        </div>
        {info.loading && !b && !info.error && <p className="hint">Loading the store…</p>}
        <ErrorNote error={info.error && !b ? info.error : null} />
        {b && (
          <dl className="facts" aria-label={`Status of ${bucket}`}>
            <dt>Size</dt>
            <dd>
              {formatBytes(b.size)} {b.maxBytes > 0 && <Usage ratio={b.usageBytes} />}
            </dd>
            <dt>Max bytes</dt>
            <dd>{b.maxBytes < 0 ? 'unlimited' : formatBytes(b.maxBytes)}</dd>
            <dt>TTL</dt>
            <dd>{b.ttlMs > 0 ? formatDuration(b.ttlMs) : 'none'}</dd>
            <dt>Storage</dt>
            <dd>
              {b.storage}, {b.replicas} replica{b.replicas === 1 ? '' : 's'}
            </dd>
            <dt>Sealed</dt>
            <dd data-testid="obj-sealed">{b.sealed ? 'yes: nothing can change any more' : 'no'}</dd>
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
            <input
              ref={fileInput}
              type="file"
              hidden
              aria-label="File to upload"
              onChange={(e) => {
                const file = e.target.files?.[0];
                e.target.value = '';
                if (file) void upload(file);
              }}
            />
            <button
              type="button"
              disabled={offline || b.sealed}
              onClick={() => {
                if (transport === 'ipc') {
                  setTransferError(null);
                  void client
                    .call('objects.upload', { bucket })
                    .then((r) => {
                      if (r.object) notify(`Stored ${r.object.name} (${formatBytes(r.object.size)})`);
                      reload();
                    })
                    .catch((error: ErrorShape) => setTransferError(error));
                } else fileInput.current?.click();
              }}
            >
              Upload a file…
            </button>
            <button type="button" className="danger" disabled={offline || b.sealed} onClick={() => setConfirm('seal')}>
              Seal…
            </button>
            <button type="button" className="danger" disabled={offline} onClick={() => setConfirm('rm')}>
              Delete store…
            </button>
          </div>
        )}
        <ErrorNote error={transferError ?? seal.error ?? rm.error} />
        <TransferList transfers={transfers} local={local} />
      </article>
      <div className="split">
        <article className="card">
          <div className="view-header">
            <h2>Objects</h2>
            {objects.data && <CachedMark cached={objects.data.cached} snapshotTime={objects.data.snapshotTime} />}
          </div>
          {objects.loading && !objects.data && !objects.error && <p className="hint">Loading objects…</p>}
          <ErrorNote error={objects.error && !objects.data ? objects.error : null} />
          {objects.data && (
            <DataTable
              label={`Objects of ${bucket}`}
              rows={objects.data.objects}
              columns={columns}
              rowKey={(o) => o.name}
              rowTestId="obj-row"
              initialSort={{ id: 'name', dir: 'asc' }}
              empty={
                <EmptyState title="This store has no objects." testId="obj-objects-empty">
                  Upload a file with the button above, or with{' '}
                  <span className="mono">synos-cc object put {bucket} FILE</span>.
                </EmptyState>
              }
            />
          )}
        </article>
        <article className="card" aria-label="Object details">
          {current ? (
            <>
              <h2 className="mono">{current.name}</h2>
              <dl className="facts">
                <dt>Size</dt>
                <dd>
                  {formatBytes(current.size)} ({formatNumber(current.size)} bytes, {current.chunks} chunks)
                </dd>
                <dt>Digest</dt>
                <dd className="mono" style={{ wordBreak: 'break-all' }}>
                  {current.digest || '—'}
                </dd>
                <dt>Modified</dt>
                <dd>{formatTime(current.modified)}</dd>
                <dt>Description</dt>
                <dd>{current.description ?? '—'}</dd>
                <dt>Link</dt>
                <dd>{current.link ? `${current.link.bucket} / ${current.link.name ?? '(whole bucket)'}` : '—'}</dd>
                {Object.entries(current.headers ?? {}).flatMap(([k, vs]) =>
                  vs.map((v, i) => (
                    <div key={`${k}-${i}`} style={{ display: 'contents' }}>
                      <dt className="mono">{k}</dt>
                      <dd className="mono">{v}</dd>
                    </div>
                  ))
                )}
              </dl>
              <div className="form-row">
                <button type="button" disabled={offline} onClick={() => void download(current.name)}>
                  Download
                </button>
                <button
                  type="button"
                  className="danger"
                  disabled={offline || b?.sealed}
                  onClick={() => setConfirm('delete')}
                >
                  Delete…
                </button>
              </div>
              <ErrorNote error={del.error} />
            </>
          ) : (
            <p className="hint">Choose an object to see its digest, headers and link, and to download it.</p>
          )}
        </article>
      </div>
      {confirm && (
        <ConfirmDialog
          title={
            confirm === 'seal'
              ? `Seal ${bucket}?`
              : confirm === 'rm'
                ? `Delete object store ${bucket}?`
                : `Delete ${selected ?? ''}?`
          }
          confirmLabel={confirm === 'seal' ? 'Seal' : 'Delete'}
          {...(confirm === 'delete' ? {} : { typeToConfirm: bucket })}
          busy={seal.pending || rm.pending || del.pending}
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            const done = (ok: unknown, text: string): void => {
              setConfirm(null);
              if (!ok) return;
              notify(text);
              reload();
            };
            if (confirm === 'seal') void seal.run({ bucket, confirm: true }).then((r) => done(r, `Sealed ${bucket}`));
            else if (confirm === 'rm')
              void rm.run({ bucket, confirm: true }).then((r) => {
                setConfirm(null);
                if (r) navigate('objects');
              });
            else if (selected)
              void del.run({ bucket, name: selected, confirm: true }).then((r) => {
                if (r) setSelected(null);
                done(r, `Deleted ${selected}`);
              });
          }}
        >
          {confirm === 'seal'
            ? 'A sealed store can never again take, change or delete an object. This cannot be undone.'
            : confirm === 'rm'
              ? 'Every object in the store is deleted. This cannot be undone.'
              : 'The object and its data are deleted.'}
        </ConfirmDialog>
      )}
    </section>
  );
}

export function ObjectStoresView({ rest }: { rest: string[] }) {
  const [bucket] = rest;
  if (bucket) return <StorePage bucket={bucket} />;
  return (
    <section>
      <ViewHeader title="Object Stores" />
      <StoreTable />
      <NewStore />
    </section>
  );
}
