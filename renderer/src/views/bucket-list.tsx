import type { ReactNode } from 'react';
import { DataTable, type Column } from '../components/DataTable';
import type { QueryState } from '../client/context';
import { formatBytes, formatDuration } from '../lib/format';
import { hrefOf } from '../lib/route';
import { CachedCardHead } from './bucket-card';
import { Usage } from './stream-parts';

/** What a key-value bucket and an object store have in common, as their lists show it. */
interface BucketRow {
  bucket: string;
  size: number;
  usageBytes: number | null;
  ttlMs: number;
  storage: string;
  replicas: number;
}

/** The columns both bucket lists share: the name (a link to its page), size, usage, TTL and storage. */
export function bucketColumns<T extends BucketRow>(
  area: 'kv' | 'objects',
  nameLabel: string
): Record<'name' | 'size' | 'usage' | 'ttl' | 'storage', Column<T>> {
  return {
    name: {
      id: 'bucket',
      label: nameLabel,
      sortValue: (b) => b.bucket,
      render: (b) => (
        <a href={hrefOf(area, b.bucket)} className="mono">
          {b.bucket}
        </a>
      )
    },
    size: { id: 'size', label: 'Size', numeric: true, sortValue: (b) => b.size, render: (b) => formatBytes(b.size) },
    usage: {
      id: 'usage',
      label: 'Of max bytes',
      sortValue: (b) => b.usageBytes,
      render: (b) => <Usage ratio={b.usageBytes} />
    },
    ttl: {
      id: 'ttl',
      label: 'TTL',
      sortValue: (b) => b.ttlMs,
      render: (b) => (b.ttlMs > 0 ? formatDuration(b.ttlMs) : '—')
    },
    storage: {
      id: 'storage',
      label: 'Storage',
      sortValue: (b) => b.storage,
      render: (b) => `${b.storage}, R${b.replicas}`
    }
  };
}

/**
 * A card listing buckets (key-value or object stores): loading, the error when nothing is known,
 * the list live or from the last snapshot (marked), or the empty state.
 */
export function BucketList<T extends BucketRow>(props: {
  title: string;
  loadingText: string;
  list: QueryState<{ buckets: T[]; cached: boolean; snapshotTime: string }>;
  label: string;
  rowTestId: string;
  columns: Column<T>[];
  empty: ReactNode;
}) {
  const { list } = props;
  return (
    <article className="card">
      <CachedCardHead title={props.title} query={list} loadingText={props.loadingText} />
      {list.data && (
        <DataTable
          label={props.label}
          rows={list.data.buckets}
          columns={props.columns}
          rowKey={(b) => b.bucket}
          rowTestId={props.rowTestId}
          initialSort={{ id: 'bucket', dir: 'asc' }}
          empty={props.empty}
        />
      )}
    </article>
  );
}
