/**
 * Secrets at rest (passwords, tokens, nkey seeds). The desktop passes an adapter over Electron's
 * safeStorage; headless runs use a key file readable only by the user (AES-256-GCM), with a
 * warning, as docs/architecture.md §7 says.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ContractError } from '../contract';
import type { Logger } from './logger';
import { ensurePrivateDir } from './file-modes';

export type SecretStorageKind = 'os-keychain' | 'key-file' | 'unencrypted';

/** What protects stored secrets, in words for the Settings view and `synos-cc doctor`. */
export interface SecretProtection {
  kind: SecretStorageKind;
  /** One line: "OS keychain (…)", "stored unencrypted", … */
  label: string;
  /** Why, and what to do, when the protection is weaker than the OS keychain; null otherwise. */
  reason: string | null;
}

export interface SecretStore {
  /** What protects the secrets, for the Settings view. */
  readonly kind: SecretStorageKind;
  readonly protection: SecretProtection;
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
}

const PREFIX = 'kf1:';

export const KEY_FILE_PROTECTION: SecretProtection = {
  kind: 'key-file',
  label: 'encrypted with secret.key in the data directory',
  reason:
    'Headless runs have no OS keychain: secrets are sealed with a key file (0600) beside the database, which protects copies of the database but not against anyone who can read the data directory.'
};

/**
 * Which store seals secrets on the desktop, from what Electron reports. On Linux without a
 * keyring Electron's safeStorage still says encryption is available but uses the `basic_text`
 * backend, a key built into Electron: that is not the OS keychain and must not be shown as one.
 * Pure (Electron cannot run in the tests): the desktop shell passes safeStorage's answers in.
 */
export function chooseSecretProtection(facts: {
  platform: NodeJS.Platform;
  encryptionAvailable: boolean;
  /** safeStorage.getSelectedStorageBackend() on Linux; undefined elsewhere or when unknown. */
  linuxBackend?: string | undefined;
}): { useSafeStorage: boolean; protection: SecretProtection } {
  if (!facts.encryptionAvailable) {
    return {
      useSafeStorage: false,
      protection: {
        kind: 'key-file',
        label: 'encrypted with secret.key in the data directory (no OS keychain)',
        reason:
          'The OS offers no secret storage to this app, so secrets are sealed with a key file (0600) beside the database: anyone who can read the data directory can read them. On Linux install and unlock a keyring (gnome-keyring, KWallet) and restart.'
      }
    };
  }
  if (facts.platform === 'linux' && (facts.linuxBackend === 'basic_text' || facts.linuxBackend === 'unknown')) {
    return {
      useSafeStorage: false,
      protection: {
        kind: 'unencrypted',
        label: 'stored unencrypted',
        reason: `No keyring answers on this Linux session (Electron's safeStorage backend is ${facts.linuxBackend}, a key built into Electron that protects nothing), so secrets are only sealed with secret.key beside the database and anyone who can read the data directory can read them. Install and unlock a keyring (gnome-keyring or KWallet; secret-tool must work) and restart the app.`
      }
    };
  }
  const where =
    facts.platform === 'darwin'
      ? 'macOS Keychain'
      : facts.platform === 'win32'
        ? 'Windows DPAPI'
        : `the ${facts.linuxBackend ?? 'system'} keyring`;
  return { useSafeStorage: true, protection: { kind: 'os-keychain', label: `OS keychain (${where})`, reason: null } };
}

/** A key file (0600) in the data directory protects the secrets. */
export function createKeyFileSecretStore(
  dataDir: string,
  logger: Logger,
  protection: SecretProtection = KEY_FILE_PROTECTION
): SecretStore {
  const file = path.join(dataDir, 'secret.key');
  let key: Buffer | null = null;
  const loadKey = (): Buffer => {
    if (key) return key;
    try {
      key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
      if (key.length !== 32) throw new Error('the key file does not hold a 32-byte key');
      if (process.platform !== 'win32' && (fs.statSync(file).mode & 0o077) !== 0) {
        logger.warn(`secret key file ${file} is readable by other users; fix with: chmod 600 ${file}`);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new ContractError('INTERNAL', `cannot use secret key file ${file}: ${(error as Error).message}`);
      }
      ensurePrivateDir(dataDir, logger);
      key = randomBytes(32);
      fs.writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
      logger.warn(
        `secrets are encrypted with a key file (${file}, readable only by you); the desktop app uses the OS keychain instead`
      );
    }
    return key;
  };
  return {
    kind: protection.kind,
    protection,
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', loadKey(), iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    },
    decrypt(sealed) {
      if (!sealed.startsWith(PREFIX))
        throw new ContractError('INTERNAL', 'secret was not sealed by the key-file store');
      const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
      const decipher = createDecipheriv('aes-256-gcm', loadKey(), raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      try {
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      } catch {
        throw new ContractError('INTERNAL', `cannot decrypt a stored secret: was ${file} replaced?`);
      }
    }
  };
}
