import { useState, type FormEvent } from 'react';
import { JETSTREAM_SAMPLE_INTERVAL_BOUNDS, hasUrlCredentials } from '../../../main/contract';
import { ConnectionBadge } from '../components/ConnectionBadge';
import { ErrorNote } from '../components/ErrorNote';
import { ViewHeader } from '../components/ViewHeader';
import { useAction, useQuery } from '../client/context';
import { useConnectionStatus } from '../hooks/useConnectionStatus';
import { useTheme, type ThemeChoice } from '../lib/theme';
import { useNotifySettings } from '../lib/alert-notifications';
import { ALERT_SEVERITIES } from '../../../main/contract';
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
    // A URL typed with user:password@ is sent once and not kept on screen: the core moves the
    // credentials into the connection's auth and the status shows the URL without them.
    if (list.some(hasUrlCredentials)) setServers('');
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
      <p className="hint">
        Leave the URL empty to use the configured servers. Several servers: separate them with commas.
      </p>
      <ErrorNote error={connect.error ?? disconnect.error} />
      <ErrorNote error={status?.state !== 'connected' && status?.state !== 'offline' ? status?.lastError : null} />
    </article>
  );
}

function NotificationSettings() {
  const { severities, setSeverity, permission, requestPermission } = useNotifySettings();
  return (
    <article className="card" aria-labelledby="notify-title">
      <h2 id="notify-title">Notifications</h2>
      <p data-testid="notify-permission">
        {permission === 'granted'
          ? 'System notifications are allowed for this app.'
          : permission === 'denied'
            ? 'System notifications are blocked; allow them in the browser’s site settings to get alerts here.'
            : permission === 'unsupported'
              ? 'This browser cannot show notifications (they need HTTPS or localhost).'
              : 'Allow system notifications to hear about alerts while this app is in the background.'}
      </p>
      {permission === 'default' && (
        <button type="button" onClick={() => void requestPermission()}>
          Allow notifications
        </button>
      )}
      <fieldset className="form-row plain-fieldset">
        <legend>Notify when an alert of this severity fires</legend>
        {ALERT_SEVERITIES.map((s) => (
          <label key={s}>
            <input type="checkbox" checked={severities[s]} onChange={(e) => setSeverity(s, e.target.checked)} /> {s}
          </label>
        ))}
      </fieldset>
      <p className="hint">
        {window.synos
          ? 'In the desktop app, ERROR and CRITICAL alerts are raised by the app itself; these choices apply when the UI is opened in a browser.'
          : 'Kept in this browser. Clicking a notification opens the alert.'}
      </p>
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

/** Seconds as an operator reads them: 15, 2.5, 600. */
function seconds(ms: number): string {
  return String(ms / 1000);
}

/** Durability mode, metrics port and JetStream sampling interval: start-up settings of the core, saved to config.json. */
function CoreSettings() {
  const info = useQuery('system.info', {});
  const metrics = useQuery('metrics.snapshot', { seriesLimit: 0 });
  const startup = useQuery('settings.startup', {});
  const save = useAction('settings.setStartup');
  const [synchronous, setSynchronous] = useState<'NORMAL' | 'FULL' | null>(null);
  const [port, setPort] = useState<string | null>(null);
  const [sampleSeconds, setSampleSeconds] = useState<string | null>(null);
  const saved = startup.data;
  const chosenSync = synchronous ?? saved?.synchronous ?? 'NORMAL';
  const chosenPort = port ?? (saved?.metricsPort != null ? String(saved.metricsPort) : '');
  const portValue = chosenPort.trim() === '' ? null : Number(chosenPort);
  const portInvalid = portValue !== null && (!Number.isInteger(portValue) || portValue < 1 || portValue > 65535);
  const chosenSample = sampleSeconds ?? (saved ? seconds(saved.jetstreamSampleIntervalMs) : '');
  // Sent only when the operator edited it, so saving the other fields never writes the default into the file.
  const sampleMs = sampleSeconds === null ? undefined : Math.round(Number(sampleSeconds.trim()) * 1000);
  const sampleInvalid =
    sampleMs !== undefined &&
    (sampleSeconds?.trim() === '' ||
      !Number.isFinite(sampleMs) ||
      sampleMs < JETSTREAM_SAMPLE_INTERVAL_BOUNDS.min ||
      sampleMs > JETSTREAM_SAMPLE_INTERVAL_BOUNDS.max);
  const pendingRestart =
    saved &&
    (saved.synchronous !== saved.running.synchronous ||
      saved.metricsPort !== saved.running.metricsPort ||
      saved.jetstreamSampleIntervalMs !== saved.running.jetstreamSampleIntervalMs);

  const onSave = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (portInvalid || sampleInvalid) return;
    const result = await save.run({
      synchronous: chosenSync,
      metricsPort: portValue,
      ...(sampleMs !== undefined ? { jetstreamSampleIntervalMs: sampleMs } : {})
    });
    if (result) {
      setSynchronous(null);
      setPort(null);
      setSampleSeconds(null);
      startup.reload();
    }
  };

  return (
    <article className="card">
      <h2>Durability and metrics</h2>
      <form className="form-grid pairs" onSubmit={(e) => void onSave(e)} aria-label="Durability and metrics">
        <label htmlFor="durability-mode">Durability mode</label>
        <select
          id="durability-mode"
          value={chosenSync}
          onChange={(e) => setSynchronous(e.target.value as 'NORMAL' | 'FULL')}
        >
          <option value="NORMAL">NORMAL — survives an app crash (faster)</option>
          <option value="FULL">FULL — survives power loss (fsync per commit)</option>
        </select>
        <label htmlFor="metrics-port">Metrics port</label>
        <input
          id="metrics-port"
          inputMode="numeric"
          placeholder="off"
          value={chosenPort}
          onChange={(e) => setPort(e.target.value)}
          aria-invalid={portInvalid}
        />
        <label htmlFor="jetstream-sample">JetStream sample every (s)</label>
        <input
          id="jetstream-sample"
          inputMode="decimal"
          value={chosenSample}
          onChange={(e) => setSampleSeconds(e.target.value)}
          aria-invalid={sampleInvalid}
        />
        <button type="submit" disabled={save.pending || portInvalid || sampleInvalid || !saved}>
          Save
        </button>
      </form>
      {portInvalid && <p className="hint">The port must be a whole number from 1 to 65535, or empty for off.</p>}
      {sampleInvalid && (
        <p className="hint">
          The JetStream sample interval must be from {seconds(JETSTREAM_SAMPLE_INTERVAL_BOUNDS.min)} to{' '}
          {seconds(JETSTREAM_SAMPLE_INTERVAL_BOUNDS.max)} seconds. Slower suits a server with thousands of consumers;
          each sample lists the consumers of every stream.
        </p>
      )}
      <dl className="facts">
        <dt>Running with</dt>
        <dd data-testid="settings-running">
          {saved
            ? `${saved.running.synchronous}, metrics ${metrics.data?.endpoint ?? 'off'}, JetStream sample every ${seconds(saved.running.jetstreamSampleIntervalMs)} s`
            : '—'}
        </dd>
        <dt>Saved in</dt>
        <dd className="mono">{saved?.configFile ?? '—'}</dd>
        <dt>Data directory</dt>
        <dd className="mono">{info.data?.dataDir ?? '—'}</dd>
        <dt>Stored secrets</dt>
        <dd data-testid="settings-secret-storage">
          {info.data?.secretStorage.label ?? '—'}
          {info.data?.secretStorage.reason && <p className="hint">{info.data.secretStorage.reason}</p>}
        </dd>
      </dl>
      {pendingRestart && (
        <p className="hint" data-testid="settings-restart">
          Saved; restart the app to apply. (--metrics-port on the command line still wins over the file.)
        </p>
      )}
      <ErrorNote error={save.error ?? startup.error ?? metrics.error ?? info.error} />
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
      <NotificationSettings />
      <CoreSettings />
      <RuleThresholds />
    </section>
  );
}
