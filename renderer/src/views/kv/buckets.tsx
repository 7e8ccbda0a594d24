import { useState } from 'react';
import type { KvBucket } from '../../../../main/contract';
import { type Column } from '../../components/DataTable';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNote } from '../../components/ErrorNote';
import { useAction, useQuery } from '../../client/context';
import { formatNumber } from '../../lib/format';
import { useNotify } from '../../lib/notify';
import { navigate } from '../../lib/route';
import { BucketList, bucketColumns } from '../bucket-list';

/** The list of key-value buckets (the columns shared with the object stores, plus values and history). */
export function BucketTable() {
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

/** The form that creates a key-value bucket and opens it. */
export function NewBucket() {
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
