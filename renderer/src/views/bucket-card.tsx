import type { ReactNode } from 'react';
import { CachedMark } from '../components/CachedMark';
import { ErrorNote } from '../components/ErrorNote';
import type { QueryState } from '../client/context';
import { formatBytes, formatDuration } from '../lib/format';
import { Usage } from './stream-parts';

/** An answer that may come from the snapshot cache while NATS is unreachable. */
interface Cacheable {
  cached: boolean;
  snapshotTime: string;
}

/**
 * The head of a card over such an answer: the title with the cached or live mark, "loading" until
 * the first answer, and the typed error while nothing is known (a cached answer is shown instead).
 */
export function CachedCardHead<D extends Cacheable>({
  title,
  query,
  loadingText
}: {
  title: ReactNode;
  query: QueryState<D>;
  loadingText: string;
}) {
  const { data, error, loading } = query;
  return (
    <>
      <div className="view-header">
        <h2>{title}</h2>
        {data && <CachedMark cached={data.cached} snapshotTime={data.snapshotTime} />}
      </div>
      {loading && !data && !error && <p className="hint">{loadingText}</p>}
      <ErrorNote error={error && !data ? error : null} />
    </>
  );
}

/** What a key-value bucket and an object store have in common, as their own pages show it. */
export interface BucketStatus {
  size: number;
  maxBytes: number;
  usageBytes: number | null;
  ttlMs: number;
  storage: string;
  replicas: number;
}

/** The size, with how full it is when the bucket has a byte limit. */
export function BucketSize({ bucket: b }: { bucket: BucketStatus }) {
  return (
    <>
      {formatBytes(b.size)} {b.maxBytes > 0 && <Usage ratio={b.usageBytes} />}
    </>
  );
}

export const maxBytesText = (b: BucketStatus): string => (b.maxBytes < 0 ? 'unlimited' : formatBytes(b.maxBytes));
export const ttlText = (b: BucketStatus): string => (b.ttlMs > 0 ? formatDuration(b.ttlMs) : 'none');
export const replicasText = (b: BucketStatus): string => `${b.replicas} replica${b.replicas === 1 ? '' : 's'}`;

/**
 * The card at the top of a key-value bucket's or an object store's page: its name with the cached
 * mark, loading and error states, its facts (a list of `<dt>`/`<dd>` pairs from `facts`) and its
 * action buttons, both once the bucket is known; `children` follow (forms, notes, dialogs).
 */
export function BucketCard<B extends BucketStatus>({
  title,
  name,
  loadingText,
  info,
  facts,
  actions,
  children
}: {
  /** "Bucket" or "Store": the heading reads "<title> <name>". */
  title: string;
  name: string;
  loadingText: string;
  info: QueryState<Cacheable & { bucket: B }>;
  facts: (bucket: B) => ReactNode;
  actions: (bucket: B) => ReactNode;
  children?: ReactNode;
}) {
  const b = info.data?.bucket;
  return (
    <article className="card">
      <CachedCardHead title={`${title} ${name}`} query={info} loadingText={loadingText} />
      {b && (
        <dl className="facts" aria-label={`Status of ${name}`}>
          {facts(b)}
        </dl>
      )}
      {b && (
        <div className="form-row" style={{ marginTop: 12 }}>
          {actions(b)}
        </div>
      )}
      {children}
    </article>
  );
}
