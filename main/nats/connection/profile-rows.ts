/**
 * The nats_profiles table: its row, its prepared statements (the active profile is a row of
 * settings), and what a row becomes — the view the UI sees and the target the connection manager
 * connects with.
 */
import { redactUrls, type KeyFileView, type KeyKind, type ProfileAuthView, type ProfileView } from '../../contract';
import type BetterSqlite3 from 'better-sqlite3';
import type { Database } from '../../store/database';
import type { ConnectTarget } from './connect-options';
import { parseSeedFile } from './credentials';
import type { ProfileSource } from './profile-input';
import { ProfileKeys, missingKeyError, type KeyRow } from './profile-keys';

/** A row of nats_profiles. */
export interface ProfileRow {
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

/** The setting that holds the active profile's id. */
export const ACTIVE_KEY = 'nats.activeProfileId';

/** A key file's opened content and the name it was picked under. */
export interface KeyContent {
  content: Buffer;
  fileName: string;
}

type Statement<P extends unknown[] = unknown[], R = unknown> = BetterSqlite3.Statement<P, R>;

/** The prepared statements over nats_profiles and the active-profile setting, by what they do. */
export interface ProfileStatements {
  all: Statement<[], ProfileRow>;
  byId: Statement<[string], ProfileRow>;
  byName: Statement<[string], ProfileRow>;
  insert: Statement;
  update: Statement;
  remove: Statement<[string]>;
  getSetting: Statement<[string], { value: string }>;
  setSetting: Statement;
  deleteSetting: Statement<[string]>;
  /** Rows that still name key files by path (saved by an older version). */
  withPaths: Statement<[], ProfileRow>;
  clearPaths: Statement<[string]>;
}

export function prepareProfileStatements(db: Database): ProfileStatements {
  return {
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
 * Connect values from a row, its key files' content and its opened secret (never a path: nothing
 * is read here). CONFIG_INVALID when the auth kind needs a key file that is not there.
 */
export function toConnectTarget(
  row: ProfileRow,
  keys: ReadonlyMap<KeyKind, KeyContent>,
  secret: string | undefined
): ConnectTarget {
  const target: ConnectTarget = {
    servers: JSON.parse(row.servers) as string[],
    auth: {},
    tls: null,
    profile: { id: row.id, name: row.name }
  };
  const need = (kind: KeyKind): KeyContent => {
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

/** What the UI sees of a row: presence flags for secrets, key-file metadata, never content or userinfo. */
export function toProfileView(
  row: ProfileRow,
  keys: ReadonlyMap<KeyKind, KeyRow>,
  activeId: string | null
): ProfileView {
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
