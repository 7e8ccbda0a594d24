/**
 * Secrets at rest (passwords, tokens, nkey seeds). The desktop passes an adapter over Electron's
 * safeStorage; headless runs use a key file readable only by the user (AES-256-GCM), with a
 * warning, as DESIGN §7 says.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ContractError } from '../contract';
import type { Logger } from './logger';

export interface SecretStore {
  /** What protects the secrets, for the Settings view. */
  readonly kind: 'os-keychain' | 'key-file';
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
}

const PREFIX = 'kf1:';

/** A key file (0600) in the data directory protects the secrets. */
export function createKeyFileSecretStore(dataDir: string, logger: Logger): SecretStore {
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
      fs.mkdirSync(dataDir, { recursive: true });
      key = randomBytes(32);
      fs.writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
      logger.warn(
        `secrets are encrypted with a key file (${file}, readable only by you); the desktop app uses the OS keychain instead`
      );
    }
    return key;
  };
  return {
    kind: 'key-file',
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
