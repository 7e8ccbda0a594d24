import type { ErrorShape, ObjectEntry } from '../../../../main/contract';
import { ErrorNote } from '../../components/ErrorNote';
import { formatBytes, formatNumber, formatTime } from '../../lib/format';

/** The chosen object: its size, digest, time, description, link and headers, with download and delete. */
export function ObjectDetail({
  current,
  offline,
  sealed,
  error,
  onDownload,
  onDelete
}: {
  current: ObjectEntry | null;
  offline: boolean;
  sealed: boolean | undefined;
  error: ErrorShape | null;
  onDownload: (name: string) => void;
  onDelete: () => void;
}) {
  return (
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
            <button type="button" disabled={offline} onClick={() => onDownload(current.name)}>
              Download
            </button>
            <button type="button" className="danger" disabled={offline || sealed} onClick={onDelete}>
              Delete…
            </button>
          </div>
          <ErrorNote error={error} />
        </>
      ) : (
        <p className="hint">Choose an object to see its digest, headers and link, and to download it.</p>
      )}
    </article>
  );
}
