import { useState, type FormEvent } from 'react';
import { ConnectionBadge } from '../components/ConnectionBadge';
import { ErrorNote } from '../components/ErrorNote';
import { useAction } from '../client/context';
import { useConnectionStatus } from '../hooks/useConnectionStatus';

export function SettingsView() {
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
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
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
    </section>
  );
}
