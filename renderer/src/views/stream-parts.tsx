/**
 * Pieces the Streams list and the stream detail both show: the usage bar, the stream list query,
 * and the topology drift card. Kept apart from both views so neither imports the other.
 */
import type { ProvisionItem } from '../../../main/contract';
import { ErrorNote } from '../components/ErrorNote';
import { useAction, useQuery } from '../client/context';
import { formatPercent, formatTime } from '../lib/format';
import { useNotify } from '../lib/notify';

export function Usage({ ratio }: { ratio: number | null }) {
  if (ratio === null) return <span className="hint">unlimited</span>;
  const pct = Math.min(100, ratio * 100);
  return (
    <span>
      <span className="meter" aria-hidden="true">
        <span
          style={{
            width: `${pct}%`,
            background: ratio > 0.9 ? 'var(--bad)' : ratio > 0.75 ? 'var(--warn)' : undefined
          }}
        />
      </span>
      {formatPercent(ratio)}
    </span>
  );
}

/** The stream list: fetched, then replaced by each pushed snapshot (written into the cache); reloaded when NATS comes back. */
export function useStreamList() {
  const query = useQuery('streams.list', {}, { refreshMs: 15_000 });
  return { data: query.data, error: query.error, loading: query.loading, reload: query.reload };
}

/** Drift of the Syn_OS topology (or of one stream and its consumers) with the apply action. */
export function DriftCard({ stream }: { stream?: string }) {
  const drift = useQuery('streams.drift', {});
  const apply = useAction('streams.provision');
  const notify = useNotify();
  const all: ProvisionItem[] = drift.data ? [...drift.data.streams, ...drift.data.consumers] : [];
  const items = stream ? all.filter((i) => i.stream === stream) : all;
  const off = items.filter((i) => i.status !== 'unchanged');
  const inSync = off.length === 0;
  return (
    <article className="card" aria-labelledby="drift-title">
      <h2 id="drift-title">{stream ? `Drift of ${stream} against the Syn_OS topology` : 'Syn_OS topology drift'}</h2>
      {drift.error?.code === 'NOT_CONNECTED' ? (
        <p className="hint">Drift is checked against the live server: it shows here once NATS is connected again.</p>
      ) : (
        <ErrorNote error={drift.error} />
      )}
      {drift.data &&
        !drift.error &&
        (stream && items.length === 0 ? (
          <p className="hint">{stream} is not part of the Syn_OS topology, so it has no desired configuration.</p>
        ) : inSync ? (
          <p data-testid="drift-in-sync">
            In sync:{' '}
            {stream
              ? `${stream} and its ${items.length - 1} consumers match`
              : `all ${drift.data.streams.length} streams and ${drift.data.consumers.length} consumers match`}{' '}
            the desired configuration (checked {formatTime(drift.data.time)}).
          </p>
        ) : (
          <>
            <p data-testid="drift-out-of-sync">
              {off.length} {off.length === 1 ? 'item differs' : 'items differ'} from the desired configuration.
            </p>
            <ul className="plain">
              {off.map((i) => (
                <li key={`${i.kind}-${i.name}`}>
                  <strong>{i.name}</strong> ({i.kind}): {i.status}
                  {i.differences.map((d) => (
                    <div key={d.field} className="mono hint">
                      {d.field}: want {d.wantText}, have {d.haveText}
                      {d.blocked ? ` — cannot change in place${d.reason ? `: ${d.reason}` : ''}` : ''}
                    </div>
                  ))}
                  {i.error && <div className="error-note">{i.error}</div>}
                </li>
              ))}
            </ul>
          </>
        ))}
      {drift.data?.bridgeConsumers && !drift.error && (!stream || stream === 'ORCHESTRATOR_EVENTS') && (
        <p className="hint" data-testid="drift-bridge-shape">
          Bridge inbound durables: {drift.data.bridgeConsumers.durables.join(', ')} —{' '}
          {drift.data.bridgeConsumers.reason}.
        </p>
      )}
      <div className="form-row">
        <button type="button" onClick={drift.reload} disabled={drift.loading}>
          Check drift
        </button>
        <button
          type="submit"
          disabled={apply.pending || !drift.data || inSync}
          onClick={() =>
            void apply.run({}).then((r) => {
              if (!r) return;
              notify(
                `Provisioned: ${r.summary.created} created, ${r.summary.updated} updated, ${r.summary.blocked} blocked`
              );
              drift.reload();
            })
          }
        >
          Apply desired configuration
        </button>
      </div>
      <ErrorNote error={apply.error} />
    </article>
  );
}
