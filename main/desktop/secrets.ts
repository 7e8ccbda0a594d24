import { safeStorage } from 'electron';
import { ContractError } from '../contract';
import type { Logger } from '../core/logger';
import { createKeyFileSecretStore, type SecretStore } from '../core/secrets';

const PREFIX = 'ss1:';

/**
 * Secrets sealed by the OS keychain through Electron's safeStorage (DPAPI, Keychain, libsecret).
 * Where the OS offers none (a bare Linux session), falls back to the key-file store with a warning.
 */
export function createSafeStorageSecretStore(dataDir: string, logger: Logger): SecretStore {
  if (!safeStorage.isEncryptionAvailable()) {
    logger.warn('OS secret storage is not available; using a key file in the data directory instead');
    return createKeyFileSecretStore(dataDir, logger);
  }
  const fallback = createKeyFileSecretStore(dataDir, logger);
  return {
    kind: 'os-keychain',
    encrypt: (plain) => PREFIX + safeStorage.encryptString(plain).toString('base64'),
    decrypt: (sealed) => {
      if (!sealed.startsWith(PREFIX)) return fallback.decrypt(sealed);
      try {
        return safeStorage.decryptString(Buffer.from(sealed.slice(PREFIX.length), 'base64'));
      } catch (error) {
        throw new ContractError(
          'INTERNAL',
          `the OS keychain could not decrypt a stored secret: ${(error as Error).message}`
        );
      }
    }
  };
}
