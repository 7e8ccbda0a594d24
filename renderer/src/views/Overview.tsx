import { ConnectionBadge, formatTime } from '../components/ConnectionBadge';
import { ErrorNote } from '../components/ErrorNote';
import { useQuery } from '../client/context';
import { useConnectionStatus } from '../hooks/useConnectionStatus';

export function OverviewView() {
  const status = useConnectionStatus();
  const info = useQuery('system.info', {}, { refreshMs: 10_000 });
  const server = status?.serverInfo ?? null;
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <div className="cards">
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
      </div>
    </section>
  );
}
