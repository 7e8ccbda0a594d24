import { useEffect, useState, type FormEvent } from 'react';
import type { RecordingPayload, ReplayProgressPayload } from '../../../../main/contract';
import { ErrorNote } from '../../components/ErrorNote';
import { useAction, useClient, useQuery } from '../../client/context';
import { formatNumber, formatPercent } from '../../lib/format';
import { useNotify } from '../../lib/notify';

/**
 * Replays one recording: subjects rewritten, at the recorded pace × speed or as fast as possible,
 * into the core's connection, a saved profile or other servers.
 */
export function ReplayForm({
  rec,
  label,
  onStarted
}: {
  rec: RecordingPayload;
  label: string;
  onStarted?: () => void;
}) {
  const replay = useAction('recordings.replay');
  const profiles = useQuery('profiles.list', {});
  const notify = useNotify();
  const [pace, setPace] = useState<'max' | 'recorded'>('max');
  const [speed, setSpeed] = useState('1');
  const [map, setMap] = useState('');
  const [target, setTarget] = useState('core');
  const [servers, setServers] = useState('');
  const onSubmit = (e: FormEvent): void => {
    e.preventDefault();
    const into =
      target === 'servers'
        ? {
            servers: servers
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          }
        : target === 'core'
          ? {}
          : { profileId: target };
    void replay
      .run({
        id: rec.id,
        speed: pace === 'max' ? null : Number(speed),
        subjectMap: map.split(/[\s,]+/).filter(Boolean),
        ...into
      })
      .then((r) => {
        if (!r) return;
        notify(`Replaying ${formatNumber(r.total)} messages`);
        onStarted?.();
      });
  };
  return (
    <form className="form-row" aria-label={label} onSubmit={onSubmit}>
      <strong>{label}</strong>
      <label>
        Subject map{' '}
        <input
          className="short"
          style={{ width: 240 }}
          value={map}
          placeholder="orchestrator.>=replay.>"
          onChange={(e) => setMap(e.target.value)}
          spellCheck={false}
        />
      </label>
      <label>
        Pace{' '}
        <select value={pace} onChange={(e) => setPace(e.target.value as 'max' | 'recorded')}>
          <option value="max">as fast as possible</option>
          <option value="recorded">recorded pace × speed</option>
        </select>
      </label>
      {pace === 'recorded' && (
        <label>
          Speed ×{' '}
          <input
            className="short"
            type="number"
            step="any"
            min={0.001}
            max={10000}
            value={speed}
            onChange={(e) => setSpeed(e.target.value)}
            required
          />
        </label>
      )}
      <label>
        Into{' '}
        <select value={target} onChange={(e) => setTarget(e.target.value)}>
          <option value="core">this connection</option>
          {(profiles.data?.profiles ?? []).map((p) => (
            <option key={p.id} value={p.id}>
              profile {p.name}
            </option>
          ))}
          <option value="servers">other servers…</option>
        </select>
      </label>
      {target === 'servers' && (
        <label>
          Servers{' '}
          <input
            className="short"
            style={{ width: 200 }}
            value={servers}
            placeholder="nats://host:4222"
            onChange={(e) => setServers(e.target.value)}
            required
          />
        </label>
      )}
      <button type="submit" disabled={replay.pending}>
        Replay
      </button>
      <ErrorNote error={replay.error} />
    </form>
  );
}

/** The newest progress report of every replay this view has seen, by replay id. */
export function useReplayProgress() {
  const client = useClient();
  const [progress, setProgress] = useState<Record<string, ReplayProgressPayload>>({});
  useEffect(
    () =>
      client.subscribe('recordings.progress', (payloads) => {
        setProgress((p) => {
          const next = { ...p };
          for (const x of payloads) next[x.replayId] = x;
          return next;
        });
      }),
    [client]
  );
  return progress;
}

/** One row per replay: a progress bar, sent / total, rate and outcome, and Cancel while it runs. */
export function ReplayProgressList({ progress }: { progress: Record<string, ReplayProgressPayload> }) {
  const cancel = useAction('recordings.cancelReplay');
  // Finished replays stay listed with their outcome until the view is left.
  const running = Object.values(progress);
  if (running.length === 0) return null;
  return (
    <div className="stack" data-testid="replay-progress">
      {running.map((p) => (
        <div key={p.replayId} className="form-row">
          <progress max={p.total || 1} value={p.sent} aria-label={`Replay ${p.replayId}`} />
          <span>
            {p.done ? (p.error ? `failed: ${p.error}` : 'done') : 'replaying'}: {formatNumber(p.sent)} /{' '}
            {formatNumber(p.total)} ({formatPercent(p.total > 0 ? p.sent / p.total : p.done ? 1 : 0)},{' '}
            {formatNumber(p.rate)} msgs/s)
          </span>
          {!p.done && (
            <button type="button" onClick={() => void cancel.run({ replayId: p.replayId })}>
              Cancel replay
            </button>
          )}
        </div>
      ))}
    </div>
  );
}
