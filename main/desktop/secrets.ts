import { safeStorage } from 'electron';
import { ContractError } from '../contract';
import type { Logger } from '../core/logger';
import { chooseSecretProtection, createKeyFileSecretStore, type SecretStore } from '../core/secrets';

const PREFIX = 'ss1:';

/** safeStorage's Linux backend (basic_text, gnome_libsecret, kwallet…); undefined elsewhere. */
function linuxBackend(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return safeStorage.getSelectedStorageBackend();
  } catch {
    return 'unknown';
  }
}

/**
 * Secrets sealed by the OS keychain through Electron's safeStorage (DPAPI, Keychain, libsecret).
 * Where the OS offers none — also a Linux session whose safeStorage fell back to `basic_text` —
 * the key-file store seals them and the Settings view says "stored unencrypted" with the reason.
 */
export function createSafeStorageSecretStore(dataDir: string, logger: Logger): SecretStore {
  const choice = chooseSecretProtection({
    platform: process.platform,
    encryptionAvailable: safeStorage.isEncryptionAvailable(),
    linuxBackend: linuxBackend()
  });
  const fallback = createKeyFileSecretStore(dataDir, logger, choice.protection);
  const decrypt = (sealed: string): string => {
    if (!sealed.startsWith(PREFIX)) return fallback.decrypt(sealed);
    // Secrets sealed by safeStorage earlier (also by its basic_text backend) still open with it.
    try {
      return safeStorage.decryptString(Buffer.from(sealed.slice(PREFIX.length), 'base64'));
    } catch (error) {
      throw new ContractError(
        'INTERNAL',
        `the OS keychain could not decrypt a stored secret: ${(error as Error).message}`
      );
    }
  };
  if (!choice.useSafeStorage) {
    logger.warn(`secrets: ${choice.protection.label}`, { reason: choice.protection.reason });
    return { ...fallback, decrypt };
  }
  return {
    kind: 'os-keychain',
    protection: choice.protection,
    encrypt: (plain) => PREFIX + safeStorage.encryptString(plain).toString('base64'),
    decrypt
  };
}
