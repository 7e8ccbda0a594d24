import type { Migration } from '../../store/database';

/** The profile tables (nats range 0100–0149; key files 2200–2249). */
export const PROFILE_MIGRATIONS: readonly Migration[] = [
  {
    id: '0100',
    description: 'NATS connection profiles (secrets sealed by the secret store)',
    sql: `CREATE TABLE nats_profiles (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            description TEXT,
            servers TEXT NOT NULL,
            auth_kind TEXT NOT NULL CHECK (auth_kind IN ('none', 'token', 'user', 'nkey', 'creds')),
            auth_user TEXT,
            auth_file TEXT,
            auth_secret TEXT,
            tls_ca TEXT,
            tls_cert TEXT,
            tls_key TEXT,
            source TEXT NOT NULL CHECK (source IN ('manual', 'natscli')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
          );`
  },
  {
    id: '2200',
    description: 'profile key files stored as sealed content with metadata (no paths)',
    // The content of a picked creds, seed or TLS file, sealed by the secret store; sealed is NULL
    // when a path saved by an older version could not be read ("missing": pick it again). The old
    // path columns (auth_file, tls_*) are emptied by the one-time import at start.
    sql: `CREATE TABLE nats_profile_keys (
            profile_id TEXT NOT NULL REFERENCES nats_profiles(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('creds', 'seed', 'ca', 'cert', 'key')),
            sealed TEXT,
            file_name TEXT NOT NULL,
            bytes INTEGER,
            sha256 TEXT,
            picked_at TEXT,
            note TEXT,
            PRIMARY KEY (profile_id, kind)
          );`
  }
];
