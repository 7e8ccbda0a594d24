import type { Migration } from '../../store/database';

/** The profile tables (nats range 0100–0149). */
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
  }
];
