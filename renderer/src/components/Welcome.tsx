import { useState, type FormEvent } from 'react';
import type { ConnectionStatus } from '../../../main/contract';
import { useAction, useQuery } from '../client/context';
import { useNotify } from '../lib/notify';
import { ErrorNote } from './ErrorNote';

/**
 * First run: no saved profile and no server answering. Offers the three ways to a server and says
 * what each one does, so a new operator is never left at a "disconnected" badge with nothing to click.
 */
export function Welcome({ status }: { status: ConnectionStatus | undefined }) {
  const profiles = useQuery('profiles.list', {});
  const show =
    status !== undefined &&
    status.state !== 'connected' &&
    status.state !== 'connecting' &&
    status.embedded === null &&
    profiles.data !== undefined &&
    profiles.data.profiles.length === 0;
  if (!show) return null;
  return (
    <section className="card welcome" aria-labelledby="welcome-title" data-testid="welcome">
      <h2 id="welcome-title">Welcome: choose a NATS server</h2>
      <p>
        Nothing answers at {status.servers.join(', ') || 'the configured servers'} and no connection profile is saved.
        Pick one of these to start.
      </p>
      <div className="welcome-options">
        <LocalOption />
        <NatscliOption onImported={profiles.reload} />
        <UrlOption />
      </div>
    </section>
  );
}

function LocalOption() {
  const connect = useAction('connection.connect');
  const provision = useAction('streams.provision');
  const notify = useNotify();
  const [started, setStarted] = useState<string | null>(null);
  const start = async (): Promise<void> => {
    const status = await connect.run({ local: true });
    if (!status) return;
    const url = status.embedded?.url ?? status.server ?? '';
    setStarted(url);
    const report = await provision.run({});
    if (report) notify(`Local server started at ${url}; Syn_OS streams and consumers provisioned`);
  };
  return (
    <article className="welcome-option" aria-labelledby="welcome-local">
      <h3 id="welcome-local">A local server on this machine</h3>
      <p>
        Starts nats-server as a child of this app (JetStream on, listening on this machine only, its store in the data
        directory), connects to it and provisions the Syn_OS streams and consumers. It stops with the app. For sample
        traffic, run <code>synos-cc simulate{started ? ` --nats ${started}` : ''}</code> afterwards.
      </p>
      <button type="button" onClick={() => void start()} disabled={connect.pending || provision.pending}>
        {connect.pending ? 'Starting…' : 'Start a local server'}
      </button>
      <ErrorNote error={connect.error ?? provision.error} />
    </article>
  );
}

function NatscliOption({ onImported }: { onImported: () => void }) {
  const importContexts = useAction('profiles.importContexts');
  const connect = useAction('connection.connect');
  const [result, setResult] = useState<Awaited<ReturnType<typeof importContexts.run>>>(undefined);
  const run = async (): Promise<void> => {
    const out = await importContexts.run({ activateSelected: false });
    setResult(out);
  };
  const usable = result?.contexts.filter((c) => c.profileId !== null) ?? [];
  return (
    <article className="welcome-option" aria-labelledby="welcome-natscli">
      <h3 id="welcome-natscli">A natscli context</h3>
      <p>
        Reads the contexts the <code>nats</code> command line tool saved on this machine (~/.config/nats/context), keeps
        each as a connection profile with its servers and credentials, and lets you connect with one.
      </p>
      <button type="button" onClick={() => void run()} disabled={importContexts.pending}>
        Find natscli contexts
      </button>
      <ErrorNote error={importContexts.error ?? connect.error} />
      {result && usable.length === 0 && (
        <p className="hint" data-testid="welcome-no-contexts">
          No natscli context found in {result.configDir}. Create one with{' '}
          <code>nats context add NAME --server URL</code>, or use another option.
        </p>
      )}
      {usable.length > 0 && (
        <ul className="plain" aria-label="natscli contexts found">
          {usable.map((c) => (
            <li key={c.name}>
              {c.name}
              {c.selected ? ' (selected in natscli)' : ''}{' '}
              <button
                type="button"
                onClick={() => {
                  void connect.run({ profileId: c.profileId! }).then(onImported);
                }}
              >
                Connect with {c.name}
              </button>
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}

function UrlOption() {
  const save = useAction('profiles.save');
  const connect = useAction('connection.connect');
  const [url, setUrl] = useState('');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const onSubmit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const profile = await save.run({
      name: url.trim().replace(/^\w+:\/\//, ''),
      servers: [url.trim()],
      auth: user.trim() ? { kind: 'user', user: user.trim(), password: password || undefined } : { kind: 'none' },
      tls: null
    });
    if (profile) await connect.run({ profileId: profile.id });
  };
  return (
    <article className="welcome-option" aria-labelledby="welcome-url">
      <h3 id="welcome-url">A server URL</h3>
      <p>
        Saves a connection profile for a server you already run (user and password optional; tokens, nkeys, creds files
        and TLS are in Settings) and connects to it; the profile is used again at the next start.
      </p>
      <form aria-label="Connect to a server URL" onSubmit={(e) => void onSubmit(e)} className="form-grid">
        <label>
          Server URL{' '}
          <input required placeholder="nats://host:4222" value={url} onChange={(e) => setUrl(e.target.value)} />
        </label>
        <label>
          User <input autoComplete="username" value={user} onChange={(e) => setUser(e.target.value)} />
        </label>
        <label>
          Password{' '}
          <input
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit" disabled={save.pending || connect.pending || !url.trim()}>
          Save and connect
        </button>
      </form>
      <ErrorNote error={save.error ?? connect.error} />
    </article>
  );
}
