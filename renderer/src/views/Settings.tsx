import { useState, type FormEvent } from 'react';
import { ConnectionBadge } from '../components/ConnectionBadge';
import { ErrorNote } from '../components/ErrorNote';
import { ViewHeader } from '../components/ViewHeader';
import { useAction } from '../client/context';
import { useConnectionStatus } from '../hooks/useConnectionStatus';
import { useTheme, type ThemeChoice } from '../lib/theme';
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

export function SettingsView() {
  return (
    <section>
      <ViewHeader title="Settings" />
      <ConnectionSettings />
      <ThemeSettings />
      <RuleThresholds />
    </section>
  );
}
