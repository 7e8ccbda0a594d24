import { useEffect, useState } from 'react';
import type { ErrorShape, KvKeyEntry, KvKeysPage } from '../../../../main/contract';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNote } from '../../components/ErrorNote';
import { useClient } from '../../client/context';
import { formatBytes, formatNumber, formatTime } from '../../lib/format';
import { hrefOf } from '../../lib/route';

/** Keys per page. */
const PAGE = 100;

/** The keys of a bucket, filtered by a pattern, one page at a time (first and next page). */
export function KeyList({ bucket, selected }: { bucket: string; selected: string | null }) {
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
