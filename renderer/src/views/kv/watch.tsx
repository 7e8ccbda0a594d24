import { useEffect, useState } from 'react';
import type { ErrorShape, KvEntry } from '../../../../main/contract';
import { ErrorNote } from '../../components/ErrorNote';
import { useClient } from '../../client/context';
import { formatTime } from '../../lib/format';

/** A live watch of a bucket's changes (newest first, bounded on screen) until stopped or ended by the server. */
export function Watch({ bucket }: { bucket: string }) {
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
