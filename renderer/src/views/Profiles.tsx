import { useState, type FormEvent } from 'react';
import type { ProfileAuthInput, ProfileTestResult, ProfileView } from '../../../main/contract/profiles';
import { EmptyState } from '../components/EmptyState';
import { ErrorNote } from '../components/ErrorNote';
import { useAction, useQuery } from '../client/context';
import { formatNumber } from '../lib/format';
import { useNotify } from '../lib/notify';

type AuthKind = ProfileAuthInput['kind'];

interface Draft {
  id?: string;
  name: string;
  servers: string;
  kind: AuthKind;
  user: string;
  secret: string;
  file: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  description: string;
}

const EMPTY: Draft = {
  name: '',
  servers: 'nats://127.0.0.1:4222',
  kind: 'none',
  user: '',
  secret: '',
  file: '',
  caFile: '',
  certFile: '',
  keyFile: '',
  description: ''
};

function draftOf(p: ProfileView): Draft {
  const a = p.auth;
  return {
    id: p.id,
    name: p.name,
    servers: p.servers.join(', '),
    kind: a.kind,
    user: a.kind === 'user' ? a.user : '',
    secret: '',
    file: a.kind === 'creds' ? a.credsFile : a.kind === 'nkey' ? (a.seedFile ?? '') : '',
    caFile: p.tls?.caFile ?? '',
    certFile: p.tls?.certFile ?? '',
    keyFile: p.tls?.keyFile ?? '',
    description: p.description ?? ''
  };
}

/** The profile as the contract takes it; a secret left empty keeps the stored one. */
function inputOf(d: Draft) {
  const secret = d.secret || undefined;
  const auth: ProfileAuthInput =
    d.kind === 'none'
      ? { kind: 'none' }
      : d.kind === 'token'
        ? { kind: 'token', token: secret }
        : d.kind === 'user'
          ? { kind: 'user', user: d.user, password: secret }
          : d.kind === 'nkey'
            ? d.file
              ? { kind: 'nkey', seedFile: d.file }
              : { kind: 'nkey', seed: secret }
            : { kind: 'creds', credsFile: d.file };
  const tls =
    d.caFile || d.certFile || d.keyFile
      ? { caFile: d.caFile || undefined, certFile: d.certFile || undefined, keyFile: d.keyFile || undefined }
      : null;
  return {
    id: d.id,
    name: d.name.trim(),
    servers: d.servers
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    auth,
    tls,
    description: d.description.trim() || undefined
  };
}

function TestOutcome({ result }: { result: ProfileTestResult }) {
  return result.ok ? (
    <div className="check-ok" role="status" data-testid="profile-test-ok">
      ✓ Reached {result.server} (nats-server {result.serverInfo?.version}), RTT {formatNumber(result.rttMs, 2)} ms, in{' '}
      {formatNumber(result.durationMs)} ms
    </div>
  ) : (
    <div>
      <ErrorNote error={result.error} />
      {result.hint && <p className="hint">{result.hint}</p>}
    </div>
  );
}

function ProfileForm({ initial, onSaved, onCancel }: { initial: Draft; onSaved: () => void; onCancel: () => void }) {
  const [d, setD] = useState(initial);
  const save = useAction('profiles.save');
  const test = useAction('profiles.test');
  const [result, setResult] = useState<ProfileTestResult | null>(null);
  const set = (k: keyof Draft) => (e: { target: { value: string } }) => setD({ ...d, [k]: e.target.value });
  const onSubmit = (e: FormEvent): void => {
    e.preventDefault();
    void save.run(inputOf(d)).then((r) => r && onSaved());
  };
  const secretLabel = d.kind === 'token' ? 'Token' : d.kind === 'user' ? 'Password' : 'Seed (SU…)';
  return (
    <form className="stack card" onSubmit={onSubmit} aria-label={d.id ? `Edit profile ${initial.name}` : 'New profile'}>
      <div className="form-row">
        <label>
          Name <input className="short" style={{ width: 180 }} value={d.name} onChange={set('name')} required />
        </label>
        <label>
          Servers{' '}
          <input
            className="short"
            style={{ width: 320 }}
            value={d.servers}
            onChange={set('servers')}
            required
            spellCheck={false}
          />
        </label>
      </div>
      <div className="form-row">
        <label>
          Authentication{' '}
          <select
            value={d.kind}
            onChange={(e) => setD({ ...d, kind: e.target.value as AuthKind, secret: '', file: '' })}
          >
            <option value="none">none</option>
            <option value="token">token</option>
            <option value="user">user and password</option>
            <option value="nkey">nkey</option>
            <option value="creds">credentials file</option>
          </select>
        </label>
        {d.kind === 'user' && (
          <label>
            User <input className="short" style={{ width: 140 }} value={d.user} onChange={set('user')} />
          </label>
        )}
        {(d.kind === 'token' || d.kind === 'user' || (d.kind === 'nkey' && !d.file)) && (
          <label>
            {secretLabel}{' '}
            <input
              className="short"
              style={{ width: 200 }}
              type="password"
              value={d.secret}
              onChange={set('secret')}
              placeholder={d.id ? 'unchanged' : ''}
              autoComplete="new-password"
            />
          </label>
        )}
        {(d.kind === 'creds' || (d.kind === 'nkey' && !d.secret)) && (
          <label>
            {d.kind === 'creds' ? 'Credentials file' : 'Seed file'}{' '}
            <input className="short" style={{ width: 240 }} value={d.file} onChange={set('file')} />
          </label>
        )}
      </div>
      <div className="form-row">
        <label>
          TLS CA <input className="short" style={{ width: 180 }} value={d.caFile} onChange={set('caFile')} />
        </label>
        <label>
          Client cert <input className="short" style={{ width: 180 }} value={d.certFile} onChange={set('certFile')} />
        </label>
        <label>
          Client key <input className="short" style={{ width: 180 }} value={d.keyFile} onChange={set('keyFile')} />
        </label>
      </div>
      <label className="field">
        Description <input value={d.description} onChange={set('description')} />
      </label>
      <div className="form-row">
        <button type="submit" disabled={save.pending}>
          Save profile
        </button>
        <button
          type="button"
          disabled={test.pending}
          onClick={() =>
            void test.run({ profile: inputOf(d), id: d.id, timeoutMs: 3000 }).then((r) => setResult(r ?? null))
          }
        >
          {test.pending ? 'Testing…' : 'Test connection'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <ErrorNote error={save.error ?? test.error} />
      {result && <TestOutcome result={result} />}
    </form>
  );
}

/** Connection profiles: add, edit, test, use, delete, import natscli contexts. */
export function ProfilesCard() {
  const list = useQuery('profiles.list', {});
  const connect = useAction('connection.connect');
  const del = useAction('profiles.delete');
  const importer = useAction('profiles.importContexts');
  const test = useAction('profiles.test');
  const notify = useNotify();
  const [editing, setEditing] = useState<Draft | null>(null);
  const [results, setResults] = useState<Record<string, ProfileTestResult>>({});
  const [configDir, setConfigDir] = useState('');
  return (
    <article className="card" aria-labelledby="profiles-title">
      <h2 id="profiles-title">Connection profiles</h2>
      <ErrorNote error={list.error ?? connect.error ?? del.error} />
      {list.data &&
        (list.data.profiles.length === 0 ? (
          <EmptyState title="No saved profiles.">Add one below, or import your natscli contexts.</EmptyState>
        ) : (
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Connection profiles (scrollable)">
            <table className="table" aria-label="Connection profiles">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Servers</th>
                  <th scope="col">Auth</th>
                  <th scope="col">From</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {list.data.profiles.map((p) => (
                  <tr key={p.id} data-testid="profile-row">
                    <td>
                      <strong>{p.name}</strong> {p.active && <span className="badge badge-ok">active</span>}
                    </td>
                    <td className="mono">{p.servers.join(', ')}</td>
                    <td>{p.auth.kind}</td>
                    <td>{p.source}</td>
                    <td>
                      <div className="form-row">
                        <button
                          type="button"
                          onClick={() =>
                            void connect.run({ profileId: p.id }).then((r) => r && notify(`Connected with ${p.name}`))
                          }
                          aria-label={`Use profile ${p.name}`}
                        >
                          Use
                        </button>
                        <button
                          type="button"
                          onClick={() =>
                            void test
                              .run({ id: p.id, timeoutMs: 3000 })
                              .then((r) => r && setResults((x) => ({ ...x, [p.id]: r })))
                          }
                          aria-label={`Test profile ${p.name}`}
                        >
                          Test
                        </button>
                        <button
                          type="button"
                          onClick={() => setEditing(draftOf(p))}
                          aria-label={`Edit profile ${p.name}`}
                        >
                          Edit
                        </button>
                        <button
                          type="button"
                          onClick={() => void del.run({ id: p.id }).then(list.reload)}
                          aria-label={`Delete profile ${p.name}`}
                        >
                          Delete
                        </button>
                      </div>
                      {results[p.id] && <TestOutcome result={results[p.id]!} />}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      <ErrorNote error={test.error} />
      {editing ? (
        <ProfileForm
          key={editing.id ?? 'new'}
          initial={editing}
          onCancel={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            list.reload();
          }}
        />
      ) : (
        <div className="form-row" style={{ marginTop: 12 }}>
          <button type="button" onClick={() => setEditing(EMPTY)}>
            Add profile
          </button>
          <form
            className="form-row"
            aria-label="Import natscli contexts"
            onSubmit={(e) => {
              e.preventDefault();
              void importer.run({ configDir: configDir.trim() || undefined }).then((r) => {
                if (!r) return;
                const created = r.contexts.filter((c) => c.outcome !== 'skipped').length;
                notify(`Imported ${created} of ${r.contexts.length} natscli contexts from ${r.configDir}`);
                list.reload();
              });
            }}
          >
            <label>
              natscli config directory{' '}
              <input
                className="short"
                style={{ width: 220 }}
                value={configDir}
                onChange={(e) => setConfigDir(e.target.value)}
                placeholder="~/.config/nats"
              />
            </label>
            <button type="submit" disabled={importer.pending}>
              Import natscli contexts
            </button>
          </form>
        </div>
      )}
      <ErrorNote error={importer.error} />
    </article>
  );
}
