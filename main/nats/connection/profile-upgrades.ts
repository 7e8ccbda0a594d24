/**
 * Once-at-start rewrites of profiles saved by older versions: key files named by path become stored
 * content (or are marked missing), and credentials left in server URLs are sealed into the auth
 * columns. Both are idempotent: a rewritten row no longer matches.
 */
import { splitUrlCredentials, type KeyKind } from '../../contract';
import { readKeyFile } from '../../core/key-files';
import type { SecretStore } from '../../core/secrets';
import type { Database } from '../../store/database';
import { KEY_LABEL, checkKeyContent, keyFileName, sha256Hex, type ProfileKeys } from './profile-keys';
import type { ProfileRow, ProfileStatements } from './profile-rows';

/** What became of one key file path found in an old profile. */
export interface KeyPathImport {
  profile: string;
  kind: KeyKind;
  file: string;
  outcome: 'imported' | 'missing';
  sha256: string | null;
  reason: string | null;
}

/**
 * Profiles saved by an older version named their key files by path and read them at every
 * connect. Once, at start, each such file is read (regular file, size-capped) and checked, and its
 * content stored like a picked file; one that cannot be read or is not of its kind is recorded as
 * missing, so connecting says to pick it again. The paths are then emptied either way.
 */
export function importKeyPaths(db: Database, statements: ProfileStatements, keys: ProfileKeys): KeyPathImport[] {
  const out: KeyPathImport[] = [];
  for (const row of statements.withPaths.all()) {
    const slots: Array<[KeyKind, string | null]> = [
      ['creds', row.auth_kind === 'creds' ? row.auth_file : null],
      ['seed', row.auth_kind === 'nkey' ? row.auth_file : null],
      ['ca', row.tls_ca],
      ['cert', row.tls_cert],
      ['key', row.tls_key]
    ];
    db.transaction(() => {
      for (const [kind, file] of slots) {
        if (!file) continue;
        const fileName = keyFileName(file, kind);
        try {
          const content = readKeyFile(file, KEY_LABEL[kind]);
          checkKeyContent(kind, content, fileName);
          const sha256 = sha256Hex(content);
          keys.store(
            row.id,
            { kind, fileName, bytes: content.length, sha256, pickedAt: new Date().toISOString() },
            content
          );
          out.push({ profile: row.name, kind, file, outcome: 'imported', sha256, reason: null });
        } catch (error) {
          const reason = (error as Error).message;
          keys.markMissing(row.id, kind, fileName, reason);
          out.push({ profile: row.name, kind, file, outcome: 'missing', sha256: null, reason });
        }
      }
      statements.clearPaths.run(row.id);
    })();
  }
  return out;
}

/**
 * Rewrites profiles saved before URLs were split (their password sat in plain text in the
 * servers column): the userinfo becomes the sealed user/token auth when the profile had none,
 * and is dropped when it had another. Returns how many rows were rewritten.
 */
export function sealUrlCredentials(statements: ProfileStatements, secrets: SecretStore): number {
  let changed = 0;
  for (const row of statements.all.all()) {
    const split = (JSON.parse(row.servers) as string[]).map(splitUrlCredentials);
    const creds = split.find((s) => s.credentials !== null)?.credentials;
    if (!creds) continue;
    const next: ProfileRow = { ...row, servers: JSON.stringify(split.map((s) => s.url)) };
    if (row.auth_kind === 'none') {
      if (creds.token !== undefined) {
        next.auth_kind = 'token';
        next.auth_secret = secrets.encrypt(creds.token);
      } else {
        next.auth_kind = 'user';
        next.auth_user = creds.user ?? '';
        next.auth_secret = creds.password ? secrets.encrypt(creds.password) : null;
      }
    }
    statements.update.run({ ...next, updated_at: new Date().toISOString() });
    changed++;
  }
  return changed;
}
