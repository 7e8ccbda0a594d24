import { ConnectionBadge } from '../components/ConnectionBadge';
import { EmptyState } from '../components/EmptyState';
import { ErrorNote } from '../components/ErrorNote';
import { ViewHeader } from '../components/ViewHeader';
import { Welcome } from '../components/Welcome';
import { useQuery } from '../client/context';
import { useConnectionStatus } from '../hooks/useConnectionStatus';
import { useEngineState } from '../hooks/useEngineState';
import { formatAgo, formatDuration, formatNumber, formatTime } from '../lib/format';
import { hrefOf } from '../lib/route';
import { SystemPictureCard } from './OverviewPicture';

function ConnectionCard() {
  const status = useConnectionStatus();
  const server = status?.serverInfo ?? null;
  return (
    <article className="card">
      <h2>Connection</h2>
      <p>
        <ConnectionBadge status={status} />
      </p>
      <dl className="facts">
        <dt>Server</dt>
        <dd data-testid="server-url">{status?.server ?? status?.servers.join(', ') ?? '—'}</dd>
        <dt>Version</dt>
        <dd data-testid="server-version">{server ? `nats-server ${server.version}` : '—'}</dd>
        <dt>Name</dt>
        <dd>{server?.server_name ?? '—'}</dd>
        <dt>JetStream</dt>
        <dd>{server ? (server.jetstream ? 'enabled' : 'not enabled') : '—'}</dd>
        <dt>RTT</dt>
        <dd data-testid="server-rtt">{status?.rttMs != null ? `${status.rttMs.toFixed(2)} ms` : '—'}</dd>
        {status?.profile && (
          <>
            <dt>Profile</dt>
            <dd>{status.profile.name}</dd>
          </>
        )}
        {status?.offlineSince && (
          <>
            <dt>Offline since</dt>
            <dd>{formatTime(status.offlineSince)}</dd>
          </>
        )}
        {status?.embedded && (
          <>
            <dt>Managed server</dt>
            <dd>
              nats-server started by this app (pid {status.embedded.pid}, store {status.embedded.storeDir})
            </dd>
          </>
        )}
      </dl>
      <ErrorNote error={status?.state !== 'connected' ? status?.lastError : null} />
      {status?.hint && status.state !== 'connected' && <p className="hint">{status.hint}</p>}
    </article>
  );
}

function AlertsCard() {
  const alerts = useQuery('alerts.list', { state: 'firing', limit: 5 }, { refreshMs: 15_000 });
  return (
    <article className="card">
      <h2>
        <a href={hrefOf('alerts')}>Firing alerts</a>
      </h2>
      <ErrorNote error={alerts.error} />
      {alerts.data &&
        (alerts.data.alerts.length === 0 ? (
          <EmptyState title="Nothing is firing." testId="overview-no-alerts">
            Rules and thresholds are under Alerts.
          </EmptyState>
        ) : (
          <ul className="plain" data-testid="overview-alerts">
            {alerts.data.alerts.map((a) => (
              <li key={a.id}>
                <span className={`sev sev-${a.severity.toLowerCase()}`}>{a.severity}</span> {a.message}{' '}
                <span className="hint">{formatAgo(a.since)}</span>
              </li>
            ))}
            {alerts.data.total > alerts.data.alerts.length && (
              <li className="hint">… and {alerts.data.total - alerts.data.alerts.length} more</li>
            )}
          </ul>
        ))}
    </article>
  );
}

function HealthCard() {
  const metrics = useQuery('metrics.snapshot', { seriesLimit: 0 }, { refreshMs: 5_000 });
  const engine = useEngineState();
  const m = metrics.data;
  return (
    <article className="card">
      <h2>Engine and outbox</h2>
      <ErrorNote error={metrics.error} />
      {m && (
        <dl className="facts">
          <dt>Engine focus</dt>
          <dd data-testid="overview-engine-focus">
            {engine.state ? (engine.state.state.focus ?? 'nothing in focus') : '—'}
          </dd>
          <dt>Mode</dt>
          <dd>{engine.state?.state.mode ?? '—'}</dd>
          <dt>Open problems</dt>
          <dd>{engine.state?.state.open_problems ?? '—'}</dd>
          <dt>Engine load</dt>
          <dd data-testid="overview-engine-load">
            {m.engine ? formatNumber(m.engine.load, 2) : 'no engine state yet'}
          </dd>
          <dt>Valence</dt>
          <dd>{m.engine ? formatNumber(m.engine.valence, 2) : '—'}</dd>
          <dt>Outbox backlog</dt>
          <dd data-testid="overview-outbox-backlog">
            {m.outbox
              ? formatNumber(m.outbox.pending + m.outbox.processing + m.outbox.retrying)
              : 'no outbox in this core'}
          </dd>
          <dt>Oldest pending</dt>
          <dd>
            {m.outbox?.oldestPendingAgeSeconds != null ? formatDuration(m.outbox.oldestPendingAgeSeconds * 1000) : '—'}
          </dd>
          <dt>Dead letters</dt>
          <dd>{m.outbox ? formatNumber(m.outbox.dead) : '—'}</dd>
          <dt>Breakers open</dt>
          <dd>
            {m.breakers
              ? m.breakers
                  .filter((b) => b.state !== 'closed')
                  .map((b) => b.name)
                  .join(', ') || 'none'
              : '—'}
          </dd>
          <dt>Published / received</dt>
          <dd>
            {formatNumber(m.totals.published)} / {formatNumber(m.totals.received)}
          </dd>
        </dl>
      )}
    </article>
  );
}

function ServicesCard() {
  const services = useQuery('health.services', {}, { refreshMs: 10_000 });
  return (
    <article className="card">
      <h2>Service health</h2>
      <ErrorNote error={services.error} />
      {services.data &&
        (services.data.length === 0 ? (
          <EmptyState title="No service has reported on health.> yet." testId="overview-no-services">
            Services appear here when they publish heartbeats; this app sends its own every few seconds while connected.
          </EmptyState>
        ) : (
          <ul className="plain" data-testid="overview-services">
            {services.data.map((s) => (
              <li key={`${s.service}/${s.instance}`}>
                <span className={s.stale ? 'sev sev-warning' : s.status === 'healthy' ? 'sev ok' : 'sev sev-error'}>
                  {s.stale ? 'stale' : s.status}
                </span>{' '}
                <strong>{s.service}</strong> <span className="mono hint">{s.instance}</span>{' '}
                <span className="hint">
                  {s.version ? `v${s.version}, ` : ''}seen {formatAgo(s.lastSeen)}
                </span>
              </li>
            ))}
          </ul>
        ))}
    </article>
  );
}

function ApplicationCard() {
  const info = useQuery('system.info', {}, { refreshMs: 30_000 });
  return (
    <article className="card">
      <h2>Application</h2>
      <ErrorNote error={info.error} />
      <dl className="facts">
        <dt>Version</dt>
        <dd data-testid="app-version">{info.data?.appVersion ?? '—'}</dd>
        <dt>Mode</dt>
        <dd>{info.data?.mode ?? '—'}</dd>
        <dt>Data directory</dt>
        <dd className="mono">{info.data?.dataDir ?? '—'}</dd>
        <dt>Platform</dt>
        <dd>{info.data ? `${info.data.platform}, Node ${info.data.nodeVersion}` : '—'}</dd>
        <dt>Started</dt>
        <dd>{formatTime(info.data?.startedAt)}</dd>
      </dl>
      {info.data?.databaseRecoveredFrom && (
        <div className="error-note" role="alert">
          The database was unreadable at start and was moved aside to{' '}
          <span className="mono">{info.data.databaseRecoveredFrom}</span>; a fresh one is in use.
        </div>
      )}
    </article>
  );
}

export function OverviewView() {
  const status = useConnectionStatus();
  return (
    <section>
      <ViewHeader title="Overview" />
      <Welcome status={status} />
      <div className="cards">
        <SystemPictureCard />
        <ConnectionCard />
        <ServicesCard />
        <AlertsCard />
        <HealthCard />
        <ApplicationCard />
      </div>
    </section>
  );
}
