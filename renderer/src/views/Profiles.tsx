import { useRef, useState, type FormEvent } from 'react';
import type { ErrorShape } from '../../../main/contract';
import type {
  KeyFileView,
  KeyKind,
  KeyPick,
  ProfileAuthInput,
  ProfileTestResult,
  ProfileView
} from '../../../main/contract/profiles';
import { EmptyState } from '../components/EmptyState';
import { ErrorNote } from '../components/ErrorNote';
import { useAction, useClient, useConnection, useQuery } from '../client/context';
import { formatBytes, formatNumber, formatTime } from '../lib/format';
import { useNotify } from '../lib/notify';

type AuthKind = ProfileAuthInput['kind'];

/** One key file slot of the form: what is stored, what was picked now, whether it is to be removed. */
interface KeySlot {
  stored: KeyFileView | null;
  picked: KeyPick | null;
  removed: boolean;
}

const NO_SLOT: KeySlot = { stored: null, picked: null, removed: false };

interface Draft {
  id?: string;
  name: string;
  servers: string;
  kind: AuthKind;
  user: string;
  secret: string;
  keys: Record<KeyKind, KeySlot>;
  description: string;
}

const EMPTY: Draft = {
  name: '',
  servers: 'nats://127.0.0.1:4222',
  kind: 'none',
  user: '',
  secret: '',
  keys: { creds: NO_SLOT, seed: NO_SLOT, ca: NO_SLOT, cert: NO_SLOT, key: NO_SLOT },
  description: ''
};

const KEY_LABEL: Record<KeyKind, string> = {
  creds: 'Credentials file',
  seed: 'Seed file',
  ca: 'TLS CA',
  cert: 'Client certificate',
  key: 'Client key'
};

function draftOf(p: ProfileView): Draft {
  const a = p.auth;
  const slot = (stored: KeyFileView | null | undefined): KeySlot => ({
    stored: stored ?? null,
    picked: null,
    removed: false
  });
  return {
    id: p.id,
    name: p.name,
    servers: p.servers.join(', '),
    kind: a.kind,
    user: a.kind === 'user' ? a.user : '',
    secret: '',
    keys: {
      creds: slot(a.kind === 'creds' ? a.creds : null),
      seed: slot(a.kind === 'nkey' ? a.seedKey : null),
      ca: slot(p.tls?.ca),
      cert: slot(p.tls?.cert),
      key: slot(p.tls?.key)
    },
    description: p.description ?? ''
  };
}

/** A slot as the contract takes it: a new pick, `keep` the stored file, or nothing. */
function refOf(slot: KeySlot): string | undefined {
  if (slot.picked) return slot.picked.pick;
  if (slot.stored && !slot.removed) return 'keep';
  return undefined;
}

/** The profile as the contract takes it; a secret left empty keeps the stored one. Key files go as picks, never paths. */
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
            ? secret
              ? { kind: 'nkey', seed: secret }
              : { kind: 'nkey', seedKey: refOf(d.keys.seed) }
            : { kind: 'creds', creds: refOf(d.keys.creds) };
  const ca = refOf(d.keys.ca);
  const cert = refOf(d.keys.cert);
  const key = refOf(d.keys.key);
  const tls = ca || cert || key ? { ca, cert, key } : null;
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

/** Web mode: PUT the chosen file to the one-time key upload path; the answer is the pick (or the typed error). */
async function uploadKey(path: string, file: File): Promise<KeyPick> {
  const response = await fetch(`${path}?name=${encodeURIComponent(file.name)}`, { method: 'PUT', body: file });
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: described below.
  }
  if (response.ok && body && typeof body === 'object' && 'key' in body) return (body as { key: KeyPick }).key;
  throw (
    (body as ErrorShape | null) ?? { code: 'INTERNAL', message: `the key upload failed with HTTP ${response.status}` }
  );
}

/**
 * A key file of the profile: its metadata (file name, size, SHA-256, when picked) or that it is
 * missing, never its content, and Choose…/Replace… — the desktop's file dialog, or an upload in
 * the browser. The file is read once, when chosen.
 */
function KeyFileField({
  kind,
  slot,
  onChange,
  removable
}: {
  kind: KeyKind;
  slot: KeySlot;
  onChange: (slot: KeySlot) => void;
  removable: boolean;
}) {
  const { transport } = useConnection();
  const client = useClient();
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorShape | null>(null);
  const label = KEY_LABEL[kind];
  const take = (pick: Promise<KeyPick | null>): void => {
    setBusy(true);
    setError(null);
    pick
      .then((picked) => picked && onChange({ ...slot, picked, removed: false }))
      .catch((e: unknown) => setError(e as ErrorShape))
      .finally(() => setBusy(false));
  };
  const choose = (): void => {
    if (transport === 'ipc') take(client.call('profiles.pickKeyFile', { kind }).then((r) => r.key));
    else input.current?.click();
  };
  const shown = slot.picked ?? (slot.removed ? null : slot.stored);
  const missing = !slot.picked && !slot.removed && slot.stored?.state === 'missing';
  return (
    <div className="field" data-testid={`key-${kind}`}>
      <span>{label}: </span>
      {shown === null ? (
        <span className="muted">none</span>
      ) : missing ? (
        <span className="error-note" role="status">
          {slot.stored?.fileName}: key file missing — pick it again
        </span>
      ) : (
        <span>
          <span className="mono">{shown.fileName}</span>, {formatBytes(shown.bytes)}, SHA-256{' '}
          <span className="mono" title={shown.sha256 ?? ''}>
            {shown.sha256?.slice(0, 16)}…
          </span>
          {slot.picked ? ' (picked now: saved with the profile)' : `, picked ${formatTime(shown.pickedAt)}`}
        </span>
      )}{' '}
      <button type="button" onClick={choose} disabled={busy} aria-label={`${shown ? 'Replace' : 'Choose'} ${label}`}>
        {busy ? 'Reading…' : shown ? 'Replace…' : 'Choose…'}
      </button>
      {removable && shown && (
        <button
          type="button"
          onClick={() => onChange({ ...slot, picked: null, removed: true })}
          aria-label={`Remove ${label}`}
        >
          Remove
        </button>
      )}
      <input
        ref={input}
        type="file"
        hidden
        aria-label={`${label} file`}
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (!file) return;
          take(client.call('profiles.keyUpload', { kind }).then((ticket) => uploadKey(ticket.path, file)));
        }}
      />
      <ErrorNote error={error} />
    </div>
  );
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
  const setKey = (kind: KeyKind) => (slot: KeySlot) => setD((x) => ({ ...x, keys: { ...x.keys, [kind]: slot } }));
  const seedFromFile = d.kind === 'nkey' && !d.secret && Boolean(refOf(d.keys.seed));
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
          <select value={d.kind} onChange={(e) => setD({ ...d, kind: e.target.value as AuthKind, secret: '' })}>
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
        {(d.kind === 'token' || d.kind === 'user' || (d.kind === 'nkey' && !seedFromFile)) && (
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
      </div>
      {d.kind === 'creds' && (
        <KeyFileField kind="creds" slot={d.keys.creds} onChange={setKey('creds')} removable={false} />
      )}
      {d.kind === 'nkey' && !d.secret && (
        <KeyFileField kind="seed" slot={d.keys.seed} onChange={setKey('seed')} removable={false} />
      )}
      <KeyFileField kind="ca" slot={d.keys.ca} onChange={setKey('ca')} removable />
      <KeyFileField kind="cert" slot={d.keys.cert} onChange={setKey('cert')} removable />
      <KeyFileField kind="key" slot={d.keys.key} onChange={setKey('key')} removable />
      <p className="hint">
        Key files are read once, when you choose them, and stored encrypted with the profile; the file is not read
        again. Use Replace… when it changes.
      </p>
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

/** Every key file a profile view shows. */
function keyFilesOf(p: ProfileView): KeyFileView[] {
  const auth = p.auth.kind === 'creds' ? p.auth.creds : p.auth.kind === 'nkey' ? p.auth.seedKey : null;
  return [auth, p.tls?.ca, p.tls?.cert, p.tls?.key].filter((k): k is KeyFileView => Boolean(k));
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
                    <td>
                      {p.auth.kind}
                      {keyFilesOf(p).map((k) => (
                        <div key={k.kind} className="hint" data-testid="profile-key-file">
                          {KEY_LABEL[k.kind]}: <span className="mono">{k.fileName}</span>{' '}
                          {k.state === 'missing' ? (
                            <span className="badge badge-bad">key file missing — pick it again</span>
                          ) : (
                            <span title={k.sha256 ?? ''}>
                              SHA-256 <span className="mono">{k.sha256?.slice(0, 16)}…</span>, picked{' '}
                              {formatTime(k.pickedAt)}
                            </span>
                          )}
                        </div>
                      ))}
                    </td>
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
          <button
            type="button"
            disabled={importer.pending}
            title="Reads natscli's contexts from its default directory on the machine running the core (~/.config/nats); from another directory use synos-cc profiles import-contexts --dir DIR"
            onClick={() =>
              void importer.run({}).then((r) => {
                if (!r) return;
                const created = r.contexts.filter((c) => c.outcome !== 'skipped').length;
                notify(`Imported ${created} of ${r.contexts.length} natscli contexts from ${r.configDir}`);
                list.reload();
              })
            }
          >
            Import natscli contexts
          </button>
        </div>
      )}
      <ErrorNote error={importer.error} />
    </article>
  );
}
