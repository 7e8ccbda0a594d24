/**
 * Opaque grants for files the user chose. No procedure reachable from the renderer or a socket takes
 * a filesystem path: the trusted side that saw the user choose (the desktop shell's open/save
 * dialog, the OS handing the app a double-clicked file) registers the path here and passes only the
 * grant id on. A grant names one file for one use (read or write) and expires.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ContractError } from '../contract';

export type GrantMode = 'read' | 'write';

export interface GrantedFile {
  grant: string;
  /** The file's base name, for display. */
  name: string;
}

interface Entry {
  path: string;
  mode: GrantMode;
  expiresAt: number;
}

export interface FileGrantsOptions {
  /** How long a grant stays usable (default one hour). */
  ttlMs?: number;
  now?: () => number;
}

export class FileGrants {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: FileGrantsOptions = {}) {
    this.ttlMs = options.ttlMs ?? 3_600_000;
    this.now = options.now ?? Date.now;
  }

  /** Registers a file the user chose; only trusted code (never a request handler) calls this. */
  grant(file: string, mode: GrantMode): GrantedFile {
    if (!path.isAbsolute(file)) throw new Error(`a granted file needs an absolute path, got ${file}`);
    this.prune();
    const grant = randomBytes(18).toString('base64url');
    this.entries.set(grant, { path: path.normalize(file), mode, expiresAt: this.now() + this.ttlMs });
    return { grant, name: path.basename(file) };
  }

  /** The path behind a grant, for this use; a typed error when it is unknown, expired or for the other use. */
  resolve(grant: string, mode: GrantMode): { path: string; name: string } {
    const entry = this.entries.get(grant);
    if (!entry || entry.expiresAt <= this.now()) {
      this.entries.delete(grant);
      throw new ContractError('NOT_FOUND', 'this file choice is unknown or has expired; choose the file again', {
        hint: 'Open the file again (dialog, drop or upload).'
      });
    }
    if (entry.mode !== mode) {
      throw new ContractError(
        'FORBIDDEN',
        `this file was chosen to be ${entry.mode === 'read' ? 'read' : 'written'}, not ${mode === 'read' ? 'read' : 'written'}`
      );
    }
    return { path: entry.path, name: path.basename(entry.path) };
  }

  revoke(grant: string): void {
    this.entries.delete(grant);
  }

  private prune(): void {
    const now = this.now();
    for (const [id, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(id);
  }
}
