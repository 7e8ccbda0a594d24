import { useState } from 'react';
import type { ObjectBucket } from '../../../../main/contract';
import { type Column } from '../../components/DataTable';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNote } from '../../components/ErrorNote';
import { useAction, useQuery } from '../../client/context';
import { useNotify } from '../../lib/notify';
import { navigate } from '../../lib/route';
import { BucketList, bucketColumns } from '../bucket-list';

/** The list of object stores (the columns shared with the key-value buckets, plus sealed and description). */
export function StoreTable() {
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

/** The form that creates an object store and opens it. */
export function NewStore() {
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
