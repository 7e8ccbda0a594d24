/**
 * Connection profiles in SQLite. Secrets (token, password, inline nkey seed) are sealed with the
 * SecretStore before they reach the database and opened only to connect; views carry presence
 * flags instead. Key files (creds, seed, TLS) are stored as sealed content when picked
 * (profile-keys.ts): a profile holds no path. The active profile is a setting, so the app
 * reconnects with it after a restart.
 */
import { randomUUID } from 'node:crypto';
import {
  ContractError,
  redactUrls,
  splitUrlCredentials,
  type KeyFileView,
  type KeyKind,
  type KeyPick,
  type ProfileInputSchema,
  type ProfileAuthView,
  type ProfileView
} from '../../contract';
import type { z } from 'zod';
import type { SecretStore } from '../../core/secrets';
import { registerSecret } from '../../core/redact';
import type { Database } from '../../store/database';
import { readKeyFile } from '../../core/key-files';
import type { ConnectTarget } from './connect-options';
import { parseSeedFile } from './credentials';
import {
  KEY_LABEL,
  KeyPicks,
  ProfileKeys,
  checkKeyContent,
  keyFileName,
  missingKeyError,
  sha256Hex
} from './profile-keys';

/** A profile as validated by the contract (defaults applied). */
export type ParsedProfileInput = z.output<typeof ProfileInputSchema>;
export type ProfileSource = ProfileView['source'];

interface ProfileRow {
  id: string;
  name: string;
  description: string | null;
  servers: string;
  auth_kind: 'none' | 'token' | 'user' | 'nkey' | 'creds';
  auth_user: string | null;
  /** A path saved by an older version; emptied by importKeyPaths, never read at connect. */
  auth_file: string | null;
  auth_secret: string | null;
  /** Paths saved by an older version, like auth_file. */
  tls_ca: string | null;
  tls_cert: string | null;
  tls_key: string | null;
  source: ProfileSource;
  created_at: string;
  updated_at: string;
}

const ACTIVE_KEY = 'nats.activeProfileId';

/** The columns a profile input becomes (the secret still plain: sealed by the caller). */
interface AuthColumns {
  kind: ProfileRow['auth_kind'];
  user: string | null;
  /** Plain secret given now; undefined keeps the stored one when the kind is unchanged. */
  secret: string | undefined;
}

function authColumns(auth: ParsedProfileInput['auth']): AuthColumns {
  switch (auth.kind) {
    case 'none':
      return { kind: 'none', user: null, secret: undefined };
    case 'token':
      return { kind: 'token', user: null, secret: auth.token };
    case 'user':
      return { kind: 'user', user: auth.user, secret: auth.password };
    case 'nkey':
      return { kind: 'nkey', user: null, secret: auth.seed };
    case 'creds':
      return { kind: 'creds', user: null, secret: undefined };
  }
}

/** Where a key slot's content comes from when a profile is saved or tried: picked now, stored, or nothing. */
type SlotSource = { pick: string } | { keep: true } | null;

/** The key files an input names, slot by slot (a slot not named has none). */
function slotSources(input: ParsedProfileInput): Map<KeyKind, SlotSource> {
  const ref = (value: string | undefined, keepWhenAbsent: boolean): SlotSource =>
    value === undefined
      ? keepWhenAbsent
        ? { keep: true }
        : null
      : value === 'keep'
        ? { keep: true }
        : { pick: value };
  const out = new Map<KeyKind, SlotSource>();
  const a = input.auth;
  out.set('creds', a.kind === 'creds' ? ref(a.creds, true) : null);
  out.set('seed', a.kind === 'nkey' && a.seed === undefined ? ref(a.seedKey, true) : null);
  out.set('ca', ref(input.tls?.ca, false));
  out.set('cert', ref(input.tls?.cert, false));
  out.set('key', ref(input.tls?.key, false));
  return out;
}

/**
 * Takes userinfo out of a profile's server URLs. With no auth chosen it becomes the profile's
 * user/password (or token) auth; next to another auth kind it is refused, since two sets of
 * credentials for one connection is a mistake the operator should settle.
 */
export function moveUrlCredentials(input: ParsedProfileInput): ParsedProfileInput {
  const split = input.servers.map(splitUrlCredentials);
  const withCreds = split.filter((s) => s.credentials !== null);
  if (withCreds.length === 0) return input;
  const creds = withCreds[0]?.credentials ?? {};
  const differ = withCreds.some(
    (s) =>
      s.credentials?.user !== creds.user ||
      s.credentials?.password !== creds.password ||
      s.credentials?.token !== creds.token
  );
  registerSecret(creds.password);
  registerSecret(creds.token);
  if (differ || input.auth.kind !== 'none') {
    throw new ContractError(
      'INVALID_INPUT',
      `profile "${input.name}": a server URL holds credentials (user:password@ or token@); remove them from the URL and enter them in the profile's authentication fields`,
      {
        hint: 'URLs are shown and logged; credentials belong in the authentication fields, which are stored encrypted.'
      }
    );
  }
  const auth: ParsedProfileInput['auth'] =
    creds.token !== undefined
      ? { kind: 'token', token: creds.token }
      : { kind: 'user', user: creds.user ?? '', ...(creds.password ? { password: creds.password } : {}) };
  return { ...input, servers: split.map((s) => s.url), auth };
}

/** The saved connection profiles and the active-profile setting, over prepared statements. */
export class ProfileStore {
  /** Key files picked and not yet saved (desktop dialog, web upload, CLI path). */
  readonly picks = new KeyPicks();
  private readonly keys: ProfileKeys;
  private readonly statements;

  constructor(
    private readonly db: Database,
    private readonly secrets: SecretStore
  ) {
    this.keys = new ProfileKeys(db, secrets);
    this.statements = {
      all: db.prepare<[], ProfileRow>('SELECT * FROM nats_profiles ORDER BY name COLLATE NOCASE'),
      byId: db.prepare<[string], ProfileRow>('SELECT * FROM nats_profiles WHERE id = ?'),
      byName: db.prepare<[string], ProfileRow>('SELECT * FROM nats_profiles WHERE name = ? COLLATE NOCASE'),
      insert: db.prepare(
        `INSERT INTO nats_profiles (id, name, description, servers, auth_kind, auth_user, auth_file, auth_secret,
           tls_ca, tls_cert, tls_key, source, created_at, updated_at)
         VALUES (@id, @name, @description, @servers, @auth_kind, @auth_user, @auth_file, @auth_secret,
           @tls_ca, @tls_cert, @tls_key, @source, @created_at, @updated_at)`
      ),
      update: db.prepare(
        `UPDATE nats_profiles SET name = @name, description = @description, servers = @servers,
           auth_kind = @auth_kind, auth_user = @auth_user, auth_file = @auth_file, auth_secret = @auth_secret,
           tls_ca = @tls_ca, tls_cert = @tls_cert, tls_key = @tls_key, source = @source, updated_at = @updated_at
         WHERE id = @id`
      ),
      remove: db.prepare<[string]>('DELETE FROM nats_profiles WHERE id = ?'),
      getSetting: db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?'),
      setSetting: db.prepare(
        `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`
      ),
      deleteSetting: db.prepare<[string]>('DELETE FROM settings WHERE key = ?'),
      withPaths: db.prepare<[], ProfileRow>(
        `SELECT * FROM nats_profiles
         WHERE auth_file IS NOT NULL OR tls_ca IS NOT NULL OR tls_cert IS NOT NULL OR tls_key IS NOT NULL`
      ),
      clearPaths: db.prepare<[string]>(
        'UPDATE nats_profiles SET auth_file = NULL, tls_ca = NULL, tls_cert = NULL, tls_key = NULL WHERE id = ?'
      )
    };
  }

  /**
   * Profiles saved by an older version named their key files by path and read them at every
   * connect. Once, at start, each such file is read (regular file, size-capped) and checked, and its
   * content stored like a picked file; one that cannot be read or is not of its kind is recorded as
   * missing, so connecting says to pick it again. The paths are then emptied either way.
   */
  importKeyPaths(): Array<{
    profile: string;
    kind: KeyKind;
    file: string;
    outcome: 'imported' | 'missing';
    sha256: string | null;
    reason: string | null;
  }> {
    const out: ReturnType<ProfileStore['importKeyPaths']> = [];
    for (const row of this.statements.withPaths.all()) {
      const slots: Array<[KeyKind, string | null]> = [
        ['creds', row.auth_kind === 'creds' ? row.auth_file : null],
        ['seed', row.auth_kind === 'nkey' ? row.auth_file : null],
        ['ca', row.tls_ca],
        ['cert', row.tls_cert],
        ['key', row.tls_key]
      ];
      this.db.transaction(() => {
        for (const [kind, file] of slots) {
          if (!file) continue;
          const fileName = keyFileName(file, kind);
          try {
            const content = readKeyFile(file, KEY_LABEL[kind]);
            checkKeyContent(kind, content, fileName);
            const sha256 = sha256Hex(content);
            this.keys.store(
              row.id,
              { kind, fileName, bytes: content.length, sha256, pickedAt: new Date().toISOString() },
              content
            );
            out.push({ profile: row.name, kind, file, outcome: 'imported', sha256, reason: null });
          } catch (error) {
            const reason = (error as Error).message;
            this.keys.markMissing(row.id, kind, fileName, reason);
            out.push({ profile: row.name, kind, file, outcome: 'missing', sha256: null, reason });
          }
        }
        this.statements.clearPaths.run(row.id);
      })();
    }
    return out;
  }

  /**
   * Rewrites profiles saved before URLs were split (their password sat in plain text in the
   * servers column): the userinfo becomes the sealed user/token auth when the profile had none,
   * and is dropped when it had another. Returns how many rows were rewritten.
   */
  sealUrlCredentials(): number {
    let changed = 0;
    for (const row of this.statements.all.all()) {
      const split = (JSON.parse(row.servers) as string[]).map(splitUrlCredentials);
      const creds = split.find((s) => s.credentials !== null)?.credentials;
      if (!creds) continue;
      const next: ProfileRow = { ...row, servers: JSON.stringify(split.map((s) => s.url)) };
      if (row.auth_kind === 'none') {
        if (creds.token !== undefined) {
          next.auth_kind = 'token';
          next.auth_secret = this.secrets.encrypt(creds.token);
        } else {
          next.auth_kind = 'user';
          next.auth_user = creds.user ?? '';
          next.auth_secret = creds.password ? this.secrets.encrypt(creds.password) : null;
        }
      }
      this.statements.update.run({ ...next, updated_at: new Date().toISOString() });
      changed++;
    }
    return changed;
  }

  /**
   * Reads a key file named on the command line or by a natscli context (trusted callers only, never
   * a request handler) now, once, and returns its pick for save.
   */
  pickKeyFile(kind: KeyKind, file: string): string {
    return this.picks.addFromPath(kind, file).pick;
  }

  /** Every profile, by name. */
  list(): ProfileView[] {
    const active = this.activeId();
    return this.statements.all.all().map((row) => this.toView(row, active));
  }

  /** One profile; NOT_FOUND otherwise. */
  get(id: string): ProfileView {
    return this.toView(this.row(id), this.activeId());
  }

  findByName(name: string): ProfileView | null {
    const row = this.statements.byName.get(name.trim());
    return row ? this.toView(row, this.activeId()) : null;
  }

  /** Finds a profile by id or, failing that, by name (the CLI takes either). */
  resolveRef(ref: string): ProfileView {
    const row = this.statements.byId.get(ref) ?? this.statements.byName.get(ref.trim());
    if (!row) {
      throw new ContractError('NOT_FOUND', `no connection profile "${ref}"`, {
        hint: 'List them with: synos-cc profiles list'
      });
    }
    return this.toView(row, this.activeId());
  }

  /**
   * Creates (no id) or updates (id) a profile. A secret or key file left out of an update keeps
   * the stored one as long as the auth kind is unchanged; names are unique regardless of case
   * (CONFLICT). Picked key files are stored sealed and the picks forgotten.
   */
  save(given: ParsedProfileInput, source: ProfileSource = 'manual'): ProfileView {
    const input = moveUrlCredentials(given);
    const now = new Date().toISOString();
    const existing = input.id !== undefined ? this.row(input.id) : null;
    const clash = this.statements.byName.get(input.name);
    if (clash && clash.id !== existing?.id) {
      throw new ContractError('CONFLICT', `a connection profile named "${clash.name}" already exists`, {
        hint: 'Choose another name, or edit that profile.'
      });
    }
    const auth = authColumns(input.auth);
    const plan = this.planSlots(input, existing);
    let sealed: string | null;
    if (auth.secret !== undefined) sealed = this.secrets.encrypt(auth.secret);
    else if (existing && existing.auth_kind === auth.kind && !plan.get('seed')) sealed = existing.auth_secret;
    else sealed = null;
    if (auth.kind === 'token' && sealed === null) {
      throw new ContractError('INVALID_INPUT', `profile "${input.name}" uses token auth but no token was given`);
    }
    if (auth.kind === 'nkey' && sealed === null && !plan.get('seed')) {
      throw new ContractError(
        'INVALID_INPUT',
        `profile "${input.name}" uses nkey auth: pick the seed file or paste the seed`
      );
    }
    const row: ProfileRow = {
      id: existing?.id ?? randomUUID(),
      name: input.name,
      description: input.description ?? existing?.description ?? null,
      servers: JSON.stringify(input.servers.map((s) => (s.includes('://') ? s : `nats://${s}`))),
      auth_kind: auth.kind,
      auth_user: auth.user,
      auth_file: null,
      auth_secret: sealed,
      tls_ca: null,
      tls_cert: null,
      tls_key: null,
      source,
      created_at: existing?.created_at ?? now,
      updated_at: now
    };
    this.db.transaction(() => {
      if (existing) this.statements.update.run(row);
      else this.statements.insert.run(row);
      for (const [kind, step] of plan) {
        if (step === null) this.keys.remove(row.id, kind);
        else if (step !== 'keep') this.keys.store(row.id, step.meta, step.content);
      }
    })();
    for (const step of plan.values()) if (step && step !== 'keep') this.picks.release(step.meta.pick);
    return this.get(row.id);
  }

  /**
   * What becomes of each key slot when `input` is saved over `existing`: a pick to store, `keep`
   * the stored file, or null (none). Keeping what is not stored is INVALID_INPUT, except for an
   * nkey seed left out, which falls back to a stored pasted seed.
   */
  private planSlots(
    input: ParsedProfileInput,
    existing: ProfileRow | null
  ): Map<KeyKind, { meta: KeyPick; content: Buffer } | 'keep' | null> {
    const stored = existing ? this.keys.of(existing.id) : new Map<KeyKind, unknown>();
    const plan = new Map<KeyKind, { meta: KeyPick; content: Buffer } | 'keep' | null>();
    for (const [kind, source] of slotSources(input)) {
      if (source === null) plan.set(kind, null);
      else if ('pick' in source) plan.set(kind, this.picks.get(source.pick, kind));
      else if (stored.has(kind)) plan.set(kind, 'keep');
      else if (kind === 'seed' && input.auth.kind === 'nkey' && input.auth.seedKey !== 'keep') plan.set(kind, null);
      else {
        throw new ContractError(
          'INVALID_INPUT',
          `profile "${input.name}" has no stored ${KEY_LABEL[kind]} to keep: pick the file`,
          { kind }
        );
      }
    }
    return plan;
  }

  /** Deletes a profile; the active setting is cleared with it. */
  delete(id: string): boolean {
    return this.db.transaction(() => {
      const deleted = this.statements.remove.run(id).changes > 0;
      if (deleted && this.activeId() === id) this.statements.deleteSetting.run(ACTIVE_KEY);
      return deleted;
    })();
  }

  activeId(): string | null {
    const value = this.statements.getSetting.get(ACTIVE_KEY)?.value ?? null;
    return value && this.statements.byId.get(value) ? value : null;
  }

  /** Persists the active profile (null: none). NOT_FOUND for an unknown id. */
  setActive(id: string | null): string | null {
    if (id === null) {
      this.statements.deleteSetting.run(ACTIVE_KEY);
      return null;
    }
    this.row(id);
    this.statements.setSetting.run(ACTIVE_KEY, id, new Date().toISOString());
    return id;
  }

  /** A saved profile with its secrets and key files opened, ready to connect with. */
  target(id: string): ConnectTarget {
    const row = this.row(id);
    const stored = this.keys.of(row.id);
    const contents = new Map<KeyKind, { content: Buffer; fileName: string }>();
    for (const [kind, keyRow] of stored) {
      contents.set(kind, { content: this.keys.content(keyRow, row.name), fileName: keyRow.file_name });
    }
    return this.toTarget(row, contents);
  }

  /**
   * An unsaved draft as a connect target (profiles.test before save). Secrets and key files the
   * draft leaves out come from the saved profile `baseId`, as a save would keep them; picks are
   * used without being forgotten (the draft may be saved next).
   */
  draftTarget(given: ParsedProfileInput, baseId?: string): ConnectTarget {
    const input = moveUrlCredentials(given);
    const base = baseId !== undefined ? this.row(baseId) : null;
    const auth = authColumns(input.auth);
    const plan = this.planSlots(input, base);
    let secret = auth.secret;
    if (secret === undefined && base && base.auth_kind === auth.kind && base.auth_secret && !plan.get('seed')) {
      secret = this.secrets.decrypt(base.auth_secret);
    }
    const stored = base ? this.keys.of(base.id) : new Map();
    const contents = new Map<KeyKind, { content: Buffer; fileName: string }>();
    for (const [kind, step] of plan) {
      if (step === null) continue;
      if (step === 'keep') {
        const keyRow = stored.get(kind);
        if (keyRow) contents.set(kind, { content: this.keys.content(keyRow, input.name), fileName: keyRow.file_name });
      } else contents.set(kind, { content: step.content, fileName: step.meta.fileName });
    }
    const row: ProfileRow = {
      id: base?.id ?? 'draft',
      name: input.name,
      description: null,
      servers: JSON.stringify(input.servers),
      auth_kind: auth.kind,
      auth_user: auth.user,
      auth_file: null,
      auth_secret: null,
      tls_ca: null,
      tls_cert: null,
      tls_key: null,
      source: 'manual',
      created_at: '',
      updated_at: ''
    };
    return this.toTarget(row, contents, secret);
  }

  private row(id: string): ProfileRow {
    const row = this.statements.byId.get(id);
    if (!row) {
      throw new ContractError('NOT_FOUND', `no connection profile with id ${id}`, {
        hint: 'It may have been deleted; list the profiles again.'
      });
    }
    return row;
  }

  /** Connect values from a row and its key files' content (never a path: nothing is read here). */
  private toTarget(
    row: ProfileRow,
    keys: Map<KeyKind, { content: Buffer; fileName: string }>,
    plainSecret?: string
  ): ConnectTarget {
    const secret = plainSecret ?? (row.auth_secret ? this.secrets.decrypt(row.auth_secret) : undefined);
    const target: ConnectTarget = {
      servers: JSON.parse(row.servers) as string[],
      auth: {},
      tls: null,
      profile: { id: row.id, name: row.name }
    };
    const need = (kind: KeyKind): { content: Buffer; fileName: string } => {
      const key = keys.get(kind);
      if (!key) throw missingKeyError(row.name, kind, null, 'none is stored');
      return key;
    };
    switch (row.auth_kind) {
      case 'token':
        if (secret !== undefined) target.auth.token = secret;
        break;
      case 'user':
        target.auth.user = row.auth_user ?? '';
        if (secret !== undefined) target.auth.password = secret;
        break;
      case 'nkey': {
        const file = keys.get('seed');
        if (file) target.auth.nkeySeed = parseSeedFile(file.content.toString('utf8'), file.fileName);
        else if (secret !== undefined) target.auth.nkeySeed = secret;
        else need('seed');
        break;
      }
      case 'creds':
        target.auth.credsData = new Uint8Array(need('creds').content);
        break;
      case 'none':
        break;
    }
    const ca = keys.get('ca');
    const cert = keys.get('cert');
    const key = keys.get('key');
    if (ca || cert || key) {
      target.tls = {};
      if (ca) target.tls.ca = ca.content.toString('utf8');
      if (cert) target.tls.cert = cert.content.toString('utf8');
      if (key) target.tls.key = key.content.toString('utf8');
    }
    return target;
  }

  private toView(row: ProfileRow, activeId: string | null): ProfileView {
    const keys = this.keys.of(row.id);
    const view = (kind: KeyKind): KeyFileView | null => {
      const keyRow = keys.get(kind);
      return keyRow ? ProfileKeys.view(keyRow) : null;
    };
    let auth: ProfileAuthView;
    switch (row.auth_kind) {
      case 'none':
        auth = { kind: 'none' };
        break;
      case 'token':
        auth = { kind: 'token', hasToken: row.auth_secret !== null };
        break;
      case 'user':
        auth = { kind: 'user', user: row.auth_user ?? '', hasPassword: row.auth_secret !== null };
        break;
      case 'nkey':
        auth = { kind: 'nkey', seedKey: view('seed'), hasSeed: row.auth_secret !== null };
        break;
      case 'creds':
        auth = { kind: 'creds', creds: view('creds') };
        break;
    }
    const tls = { ca: view('ca'), cert: view('cert'), key: view('key') };
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      // Rows saved before URLs were split may still carry userinfo: never shown.
      servers: (JSON.parse(row.servers) as string[]).map(redactUrls),
      auth,
      tls: tls.ca || tls.cert || tls.key ? tls : null,
      source: row.source,
      active: row.id === activeId,
      createdAt: row.created_at,
      updatedAt: row.updated_at
    };
  }
}
