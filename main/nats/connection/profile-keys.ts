/**
 * The key files of connection profiles (creds, nkey seed, TLS CA / client certificate / client
 * key), read once when the user picks them — the desktop's file dialog, a web upload, a path given
 * on the command line — checked for their kind, and kept as secrets in the database (sealed by the
 * SecretStore). A profile never holds a path: connecting uses the stored content, so a profile can
 * neither probe the filesystem nor change silently when a file changes. What is shown is metadata
 * only (file name, size, SHA-256, when picked), and no error quotes a byte of a file.
 */
import { createHash, createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import path from 'node:path';
import { ContractError, type KeyFileView, type KeyKind, type KeyPick } from '../../contract';
import { readKeyFile } from '../../core/key-files';
import { registerSecret } from '../../core/redact';
import type { SecretStore } from '../../core/secrets';
import type { Database } from '../../store/database';
import { parseCredsFile, parseSeedFile } from './credentials';

export const KEY_KINDS: readonly KeyKind[] = ['creds', 'seed', 'ca', 'cert', 'key'];

/** What each kind is called in messages. */
export const KEY_LABEL: Record<KeyKind, string> = {
  creds: 'creds file',
  seed: 'nkey seed file',
  ca: 'TLS CA file',
  cert: 'TLS client certificate',
  key: 'TLS client key'
};

/** The CLI flag that picks each kind (for hints). */
export const KEY_FLAG: Record<KeyKind, string> = {
  creds: '--creds',
  seed: '--nkey',
  ca: '--tls-ca',
  cert: '--tls-cert',
  key: '--tls-key'
};

function wrongKind(kind: KeyKind, fileName: string, why: string, hint?: string): never {
  throw new ContractError('CONFIG_INVALID', `${fileName} is not a usable ${KEY_LABEL[kind]}: ${why}`, {
    file: fileName,
    kind,
    reason: 'wrong-kind',
    ...(hint ? { hint } : {})
  });
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

function pemBlocks(text: string): Array<{ label: string; pem: string }> {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1] as string, pem: m[0] }));
}

/**
 * Checks that a file's content is what its kind needs: a creds file has a user JWT block and a seed
 * block, a seed file an nkey seed line, a CA or client certificate PEM certificates (and no private
 * key), a client key one unencrypted PEM private key. CONFIG_INVALID (details.reason `wrong-kind`)
 * says what is wrong without quoting the content.
 */
export function checkKeyContent(kind: KeyKind, content: Buffer, fileName: string): void {
  if (content.length === 0) wrongKind(kind, fileName, 'it is empty');
  const text = content.toString('utf8');
  if (kind === 'creds' || kind === 'seed') {
    try {
      if (kind === 'creds') parseCredsFile(text, fileName);
      else parseSeedFile(text, fileName);
    } catch (error) {
      const e = error as ContractError;
      const hint = (e.details as { hint?: string } | undefined)?.hint;
      throw new ContractError('CONFIG_INVALID', e.message, {
        file: fileName,
        kind,
        reason: 'wrong-kind',
        ...(hint ? { hint } : {})
      });
    }
    return;
  }
  const blocks = pemBlocks(text);
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE');
  const keys = blocks.filter((b) => b.label.endsWith('PRIVATE KEY'));
  if (kind === 'ca' || kind === 'cert') {
    if (keys.length > 0) {
      wrongKind(
        kind,
        fileName,
        'it holds a private key',
        kind === 'ca'
          ? 'A CA file holds only the certificates that sign the server certificate; pick that file.'
          : 'Pick the certificate alone here, and its private key as the client key.'
      );
    }
    if (certs.length === 0) wrongKind(kind, fileName, 'it holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
    certs.forEach((block, i) => {
      try {
        new X509Certificate(block.pem);
      } catch {
        wrongKind(kind, fileName, `certificate ${i + 1} of ${certs.length} cannot be parsed`);
      }
    });
    return;
  }
  // kind === 'key'
  const encrypted = keys.some((b) => b.label === 'ENCRYPTED PRIVATE KEY') || /Proc-Type:\s*4,ENCRYPTED/.test(text);
  if (encrypted) {
    wrongKind(
      kind,
      fileName,
      'it is encrypted with a passphrase, which a connection cannot give',
      'Write an unencrypted copy (openssl pkey -in KEY -out KEY.plain), pick that, then delete it.'
    );
  }
  if (keys.length === 0) {
    wrongKind(
      kind,
      fileName,
      certs.length > 0 ? 'it holds a certificate, not a private key' : 'it holds no PEM private key',
      certs.length > 0
        ? 'Pick the private key (often .key) here and the certificate as the client certificate.'
        : undefined
    );
  }
  if (keys.length > 1) wrongKind(kind, fileName, `it holds ${keys.length} private keys; give one`);
  try {
    createPrivateKey(keys[0]!.pem);
  } catch {
    wrongKind(kind, fileName, 'its private key cannot be parsed');
  }
}

/** Registers the secret parts of a key file with the log redactor (seeds, private key lines). */
function registerKeySecrets(kind: KeyKind, content: Buffer): void {
  const text = content.toString('utf8');
  if (kind === 'creds' || kind === 'seed') {
    for (const m of text.matchAll(/S[A-Z][A-Z2-7]{50,}/g)) registerSecret(m[0]);
    for (const m of text.matchAll(/[\w-]{20,}\.[\w-]{20,}\.[\w-]{20,}/g)) registerSecret(m[0]);
  }
  if (kind === 'key') {
    for (const line of text.split(/\r?\n/)) if (/^[A-Za-z0-9+/=]{16,}$/.test(line.trim())) registerSecret(line);
  }
}

export function sha256Hex(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** A display name for a picked file: its base name, without control characters, bounded. */
export function keyFileName(given: string | null | undefined, kind: KeyKind): string {
  // eslint-disable-next-line no-control-regex
  const base = path.basename((given ?? '').replace(/\\/g, '/')).replace(/[\u0000-\u001f\u007f]/g, '');
  const trimmed = base.trim().slice(0, 200);
  return trimmed.length > 0 && trimmed !== '.' && trimmed !== '..' ? trimmed : `${kind}.pem`;
}

interface Picked {
  meta: KeyPick;
  content: Buffer;
  expires: number;
}

const PICK_TTL_MS = 60 * 60_000;
const MAX_PICKS = 64;

/**
 * Key files picked but not yet saved, in memory only, for an hour. A pick stands for content
 * already read and checked; profiles.save stores it and forgets the pick.
 */
export class KeyPicks {
  private readonly entries = new Map<string, Picked>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Checks the content for its kind and holds it; returns what the UI may see. */
  add(kind: KeyKind, content: Buffer, fileName: string): KeyPick {
    checkKeyContent(kind, content, fileName);
    registerKeySecrets(kind, content);
    this.prune();
    while (this.entries.size >= MAX_PICKS) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    const pick = `kp_${randomBytes(18).toString('base64url')}`;
    const meta: KeyPick = {
      pick,
      kind,
      fileName,
      bytes: content.length,
      sha256: sha256Hex(content),
      pickedAt: new Date(this.now()).toISOString()
    };
    this.entries.set(pick, { meta, content: Buffer.from(content), expires: this.now() + PICK_TTL_MS });
    return meta;
  }

  /**
   * Reads a file the user named on the command line (or that a natscli context names) now, once:
   * only a regular file, bounded in size; a typed error names the file and the reason, never its content.
   */
  addFromPath(kind: KeyKind, file: string): KeyPick {
    const content = readKeyFile(path.resolve(file), KEY_LABEL[kind]);
    return this.add(kind, content, keyFileName(file, kind));
  }

  /** A pick for this kind; NOT_FOUND when unknown or expired, INVALID_INPUT for another kind. */
  get(pick: string, kind: KeyKind): Picked {
    const entry = this.entries.get(pick);
    if (!entry || entry.expires <= this.now()) {
      this.entries.delete(pick);
      throw new ContractError(
        'NOT_FOUND',
        `the picked ${KEY_LABEL[kind]} is unknown or has expired; pick the file again`,
        {
          kind,
          hint: 'Picked files are held for an hour until the profile is saved.'
        }
      );
    }
    if (entry.meta.kind !== kind) {
      throw new ContractError(
        'INVALID_INPUT',
        `${entry.meta.fileName} was picked as the ${KEY_LABEL[entry.meta.kind]}, not as the ${KEY_LABEL[kind]}`
      );
    }
    return entry;
  }

  release(pick: string): void {
    this.entries.get(pick)?.content.fill(0);
    this.entries.delete(pick);
  }

  private prune(): void {
    const now = this.now();
    for (const [id, entry] of this.entries) if (entry.expires <= now) this.release(id);
  }
}

export interface KeyRow {
  profile_id: string;
  kind: KeyKind;
  sealed: string | null;
  file_name: string;
  bytes: number | null;
  sha256: string | null;
  picked_at: string | null;
  note: string | null;
}

/** The stored key files of every profile (table nats_profile_keys), content sealed by the SecretStore. */
export class ProfileKeys {
  private readonly statements;

  constructor(
    db: Database,
    private readonly secrets: SecretStore
  ) {
    this.statements = {
      ofProfile: db.prepare<[string], KeyRow>('SELECT * FROM nats_profile_keys WHERE profile_id = ?'),
      upsert: db.prepare(
        `INSERT INTO nats_profile_keys (profile_id, kind, sealed, file_name, bytes, sha256, picked_at, note)
         VALUES (@profile_id, @kind, @sealed, @file_name, @bytes, @sha256, @picked_at, @note)
         ON CONFLICT(profile_id, kind) DO UPDATE SET sealed = excluded.sealed, file_name = excluded.file_name,
           bytes = excluded.bytes, sha256 = excluded.sha256, picked_at = excluded.picked_at, note = excluded.note`
      ),
      remove: db.prepare<[string, string]>('DELETE FROM nats_profile_keys WHERE profile_id = ? AND kind = ?')
    };
  }

  /** The key files of a profile by kind. */
  of(profileId: string): Map<KeyKind, KeyRow> {
    return new Map(this.statements.ofProfile.all(profileId).map((r) => [r.kind, r]));
  }

  store(profileId: string, meta: Omit<KeyPick, 'pick'>, content: Buffer): void {
    this.statements.upsert.run({
      profile_id: profileId,
      kind: meta.kind,
      sealed: this.secrets.encrypt(content.toString('base64')),
      file_name: meta.fileName,
      bytes: meta.bytes,
      sha256: meta.sha256,
      picked_at: meta.pickedAt,
      note: null
    });
  }

  /** Records that a key file could not be read (a path from an older version): the profile must pick it again. */
  markMissing(profileId: string, kind: KeyKind, fileName: string, note: string): void {
    this.statements.upsert.run({
      profile_id: profileId,
      kind,
      sealed: null,
      file_name: fileName,
      bytes: null,
      sha256: null,
      picked_at: null,
      note
    });
  }

  remove(profileId: string, kind: KeyKind): void {
    this.statements.remove.run(profileId, kind);
  }

  /** The stored content; CONFIG_INVALID (details.reason `key-file-missing`) saying what to do when it is missing. */
  content(row: KeyRow, profileName: string): Buffer {
    if (row.sealed === null) throw missingKeyError(profileName, row.kind, row.file_name, row.note);
    const content = Buffer.from(this.secrets.decrypt(row.sealed), 'base64');
    registerKeySecrets(row.kind, content);
    return content;
  }

  static view(row: KeyRow): KeyFileView {
    return {
      kind: row.kind,
      state: row.sealed === null ? 'missing' : 'stored',
      fileName: row.file_name,
      bytes: row.bytes,
      sha256: row.sha256,
      pickedAt: row.picked_at,
      note: row.sealed === null ? `key file missing — pick it again${row.note ? ` (${row.note})` : ''}` : null
    };
  }
}

export function missingKeyError(
  profileName: string,
  kind: KeyKind,
  fileName: string | null,
  note: string | null
): ContractError {
  return new ContractError(
    'CONFIG_INVALID',
    `profile "${profileName}": its ${KEY_LABEL[kind]}${fileName ? ` ${fileName}` : ''} is missing — pick it again${note ? ` (${note})` : ''}`,
    {
      reason: 'key-file-missing',
      kind,
      hint: `In Settings → Connection profiles, edit "${profileName}" and choose Replace… next to the ${KEY_LABEL[kind]}; on the command line: synos-cc profiles add "${profileName}" --replace --nats URL ${KEY_FLAG[kind]} PATH`
    }
  );
}
