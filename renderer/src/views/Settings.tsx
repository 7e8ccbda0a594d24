import { useState, type FormEvent } from 'react';
import { ConnectionBadge } from '../components/ConnectionBadge';
import { ErrorNote } from '../components/ErrorNote';
import { ViewHeader } from '../components/ViewHeader';
import { useAction, useQuery } from '../client/context';
import { useConnectionStatus } from '../hooks/useConnectionStatus';
import { useTheme, type ThemeChoice } from '../lib/theme';
import { ProfilesCard } from './Profiles';
import { RuleThresholds } from './RuleThresholds';

function ConnectionSettings() {
  const status = useConnectionStatus();
  const connect = useAction('connection.connect');
  const disconnect = useAction('connection.disconnect');
  const [servers, setServers] = useState('');
  const busy = connect.pending || disconnect.pending;

  const onConnect = (event: FormEvent): void => {
    event.preventDefault();
    const list = servers
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    void connect.run(list.length > 0 ? { servers: list } : {});
  };

  return (
    <article className="card">
      <h2>Connection</h2>
      <p>
        <ConnectionBadge status={status} /> <span className="mono">{status?.servers.join(', ')}</span>
      </p>
      <form onSubmit={onConnect} className="form-row">
        <label htmlFor="server-url">Server URL(s)</label>
        <input
          id="server-url"
          name="servers"
          placeholder={status?.servers.join(', ') ?? 'nats://127.0.0.1:4222'}
          value={servers}
          onChange={(e) => setServers(e.target.value)}
          spellCheck={false}
          autoComplete="off"
        />
        <button type="submit" disabled={busy}>
          {status?.state === 'connected' && servers.trim() === '' ? 'Reconnect' : 'Connect'}
        </button>
        <button type="button" disabled={busy || status?.state === 'offline'} onClick={() => void disconnect.run({})}>
          Disconnect
        </button>
      </form>
      <p className="hint">Leave the URL empty to use the configured servers. Several servers: separate them with commas.</p>
      <ErrorNote error={connect.error ?? disconnect.error} />
      <ErrorNote error={status?.state !== 'connected' && status?.state !== 'offline' ? status?.lastError : null} />
    </article>
  );
}

function ThemeSettings() {
  const { choice, resolved, setChoice } = useTheme();
  return (
    <article className="card">
      <h2>Theme</h2>
      <fieldset className="form-row plain-fieldset">
        <legend className="sr-only">Theme</legend>
        {(['light', 'dark', 'system'] as ThemeChoice[]).map((c) => (
          <label key={c}>
            <input type="radio" name="theme" value={c} checked={choice === c} onChange={() => setChoice(c)} />{' '}
            {c === 'system' ? `System (now ${resolved})` : c === 'light' ? 'Light' : 'Dark'}
          </label>
        ))}
      </fieldset>
      <p className="hint">Kept in this browser or desktop profile. The command palette (Ctrl+K) switches it too.</p>
    </article>
  );
}

/** Durability mode and metrics port are start-up settings of the core; shown here with where to change them. */
function CoreSettings() {
  const info = useQuery('system.info', {});
  const metrics = useQuery('metrics.snapshot', { seriesLimit: 0 });
  return (
    <article className="card">
      <h2>Durability and metrics</h2>
      <dl className="facts">
        <dt>Prometheus metrics</dt>
        <dd className="mono" data-testid="settings-metrics-endpoint">
          {metrics.data ? (metrics.data.endpoint ?? 'off') : '—'}
        </dd>
        <dt>Data directory</dt>
        <dd className="mono">{info.data?.dataDir ?? '—'}</dd>
      </dl>
      <ErrorNote error={metrics.error ?? info.error} />
      <p className="hint">
        Both are read when the core starts. Metrics port: <span className="mono">--metrics-port PORT</span> or{' '}
        <span className="mono">&quot;metricsPort&quot;</span> in <span className="mono">config.json</span> of the data directory. Durability mode:{' '}
        <span className="mono">&quot;database&quot;: {'{'} &quot;synchronous&quot;: &quot;FULL&quot; {'}'}</span> there survives power loss; the default NORMAL
        survives an app crash and is faster. Restart the app after changing them.
      </p>
    </article>
  );
}

export function SettingsView() {
  return (
    <section>
      <ViewHeader title="Settings" />
      <ConnectionSettings />
      <ProfilesCard />
      <ThemeSettings />
      <CoreSettings />
      <RuleThresholds />
    </section>
  );
}
