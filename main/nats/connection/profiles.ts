/**
 * Connection profiles in SQLite. Secrets (token, password, inline nkey seed) are sealed with the
 * SecretStore before they reach the database and opened only to connect; views carry presence
 * flags instead. Key files (creds, seed, TLS) are stored as sealed content when picked
 * (profile-keys.ts): a profile holds no path. The active profile is a setting, so the app
 * reconnects with it after a restart.
 */
import { randomUUID } from 'node:crypto';
import { ContractError, type KeyKind, type ProfileView } from '../../contract';
import type { SecretStore } from '../../core/secrets';
import type { Database } from '../../store/database';
import type { ConnectTarget } from './connect-options';
import {
  authColumns,
  moveUrlCredentials,
  planKeySlots,
  type ParsedProfileInput,
  type ProfileSource
} from './profile-input';
import { KeyPicks, ProfileKeys, type KeyRow } from './profile-keys';
import {
  ACTIVE_KEY,
  prepareProfileStatements,
  toConnectTarget,
  toProfileView,
  type KeyContent,
  type ProfileRow,
  type ProfileStatements
} from './profile-rows';
import { importKeyPaths, sealUrlCredentials, type KeyPathImport } from './profile-upgrades';

/** The saved connection profiles and the active-profile setting, over prepared statements. */
export class ProfileStore {
  /** Key files picked and not yet saved (desktop dialog, web upload, CLI path). */
  readonly picks = new KeyPicks();
  private readonly keys: ProfileKeys;
  private readonly statements: ProfileStatements;

  constructor(
    private readonly db: Database,
    private readonly secrets: SecretStore
  ) {
    this.keys = new ProfileKeys(db, secrets);
    this.statements = prepareProfileStatements(db);
  }

  /** Stores the key files that profiles of an older version named by path (profile-upgrades.ts); once, at start. */
  importKeyPaths(): KeyPathImport[] {
    return importKeyPaths(this.db, this.statements, this.keys);
  }

  /** Seals credentials that older profiles kept in their server URLs (profile-upgrades.ts); returns the rows rewritten. */
  sealUrlCredentials(): number {
    return sealUrlCredentials(this.statements, this.secrets);
  }

  /**
   * Reads a key file named on the command line or by a natscli context (trusted callers only, never
   * a request handler) now, once, and returns its pick for save.
   */
  pickKeyFile(kind: KeyKind, file: string): string {
    return this.picks.addFromPath(kind, file).pick;
  }

  /** Every profile, by name. */
  list(): ProfileView[] {
    const active = this.activeId();
    return this.statements.all.all().map((row) => this.toView(row, active));
  }

  /** One profile; NOT_FOUND otherwise. */
  get(id: string): ProfileView {
    return this.toView(this.row(id), this.activeId());
  }

  findByName(name: string): ProfileView | null {
    const row = this.statements.byName.get(name.trim());
    return row ? this.toView(row, this.activeId()) : null;
  }

  /** Finds a profile by id or, failing that, by name (the CLI takes either). */
  resolveRef(ref: string): ProfileView {
    const row = this.statements.byId.get(ref) ?? this.statements.byName.get(ref.trim());
    if (!row) {
      throw new ContractError('NOT_FOUND', `no connection profile "${ref}"`, {
        hint: 'List them with: synos-cc profiles list'
      });
    }
    return this.toView(row, this.activeId());
  }

  /**
   * Creates (no id) or updates (id) a profile. A secret or key file left out of an update keeps
   * the stored one as long as the auth kind is unchanged; names are unique regardless of case
   * (CONFLICT). Picked key files are stored sealed and the picks forgotten.
   */
  save(given: ParsedProfileInput, source: ProfileSource = 'manual'): ProfileView {
    const input = moveUrlCredentials(given);
    const now = new Date().toISOString();
    const existing = input.id !== undefined ? this.row(input.id) : null;
    const clash = this.statements.byName.get(input.name);
    if (clash && clash.id !== existing?.id) {
      throw new ContractError('CONFLICT', `a connection profile named "${clash.name}" already exists`, {
        hint: 'Choose another name, or edit that profile.'
      });
    }
    const auth = authColumns(input.auth);
    const plan = planKeySlots(input, existing ? this.keys.of(existing.id) : new Map<KeyKind, unknown>(), this.picks);
    let sealed: string | null;
    if (auth.secret !== undefined) sealed = this.secrets.encrypt(auth.secret);
    else if (existing && existing.auth_kind === auth.kind && !plan.get('seed')) sealed = existing.auth_secret;
    else sealed = null;
    if (auth.kind === 'token' && sealed === null) {
      throw new ContractError('INVALID_INPUT', `profile "${input.name}" uses token auth but no token was given`);
    }
    if (auth.kind === 'nkey' && sealed === null && !plan.get('seed')) {
      throw new ContractError(
        'INVALID_INPUT',
        `profile "${input.name}" uses nkey auth: pick the seed file or paste the seed`
      );
    }
    const row: ProfileRow = {
      id: existing?.id ?? randomUUID(),
      name: input.name,
      description: input.description ?? existing?.description ?? null,
      servers: JSON.stringify(input.servers.map((s) => (s.includes('://') ? s : `nats://${s}`))),
      auth_kind: auth.kind,
      auth_user: auth.user,
      auth_file: null,
      auth_secret: sealed,
      tls_ca: null,
      tls_cert: null,
      tls_key: null,
      source,
      created_at: existing?.created_at ?? now,
      updated_at: now
    };
    this.db.transaction(() => {
      if (existing) this.statements.update.run(row);
      else this.statements.insert.run(row);
      for (const [kind, step] of plan) {
        if (step === null) this.keys.remove(row.id, kind);
        else if (step !== 'keep') this.keys.store(row.id, step.meta, step.content);
      }
    })();
    for (const step of plan.values()) if (step && step !== 'keep') this.picks.release(step.meta.pick);
    return this.get(row.id);
  }

  /** Deletes a profile; the active setting is cleared with it. */
  delete(id: string): boolean {
    return this.db.transaction(() => {
      const deleted = this.statements.remove.run(id).changes > 0;
      if (deleted && this.activeId() === id) this.statements.deleteSetting.run(ACTIVE_KEY);
      return deleted;
    })();
  }

  activeId(): string | null {
    const value = this.statements.getSetting.get(ACTIVE_KEY)?.value ?? null;
    return value && this.statements.byId.get(value) ? value : null;
  }

  /** Persists the active profile (null: none). NOT_FOUND for an unknown id. */
  setActive(id: string | null): string | null {
    if (id === null) {
      this.statements.deleteSetting.run(ACTIVE_KEY);
      return null;
    }
    this.row(id);
    this.statements.setSetting.run(ACTIVE_KEY, id, new Date().toISOString());
    return id;
  }

  /** A saved profile with its secrets and key files opened, ready to connect with. */
  target(id: string): ConnectTarget {
    const row = this.row(id);
    const stored = this.keys.of(row.id);
    const contents = new Map<KeyKind, KeyContent>();
    for (const [kind, keyRow] of stored) {
      contents.set(kind, { content: this.keys.content(keyRow, row.name), fileName: keyRow.file_name });
    }
    return this.toTarget(row, contents);
  }

  /**
   * An unsaved draft as a connect target (profiles.test before save). Secrets and key files the
   * draft leaves out come from the saved profile `baseId`, as a save would keep them; picks are
   * used without being forgotten (the draft may be saved next).
   */
  draftTarget(given: ParsedProfileInput, baseId?: string): ConnectTarget {
    const input = moveUrlCredentials(given);
    const base = baseId !== undefined ? this.row(baseId) : null;
    const auth = authColumns(input.auth);
    const stored = base ? this.keys.of(base.id) : new Map<KeyKind, KeyRow>();
    const plan = planKeySlots(input, stored, this.picks);
    let secret = auth.secret;
    if (secret === undefined && base && base.auth_kind === auth.kind && base.auth_secret && !plan.get('seed')) {
      secret = this.secrets.decrypt(base.auth_secret);
    }
    const contents = new Map<KeyKind, KeyContent>();
    for (const [kind, step] of plan) {
      if (step === null) continue;
      if (step === 'keep') {
        const keyRow = stored.get(kind);
        if (keyRow) contents.set(kind, { content: this.keys.content(keyRow, input.name), fileName: keyRow.file_name });
      } else contents.set(kind, { content: step.content, fileName: step.meta.fileName });
    }
    const row: ProfileRow = {
      id: base?.id ?? 'draft',
      name: input.name,
      description: null,
      servers: JSON.stringify(input.servers),
      auth_kind: auth.kind,
      auth_user: auth.user,
      auth_file: null,
      auth_secret: null,
      tls_ca: null,
      tls_cert: null,
      tls_key: null,
      source: 'manual',
      created_at: '',
      updated_at: ''
    };
    return this.toTarget(row, contents, secret);
  }

  private row(id: string): ProfileRow {
    const row = this.statements.byId.get(id);
    if (!row) {
      throw new ContractError('NOT_FOUND', `no connection profile with id ${id}`, {
        hint: 'It may have been deleted; list the profiles again.'
      });
    }
    return row;
  }

  /** Opens the row's sealed secret (unless given plain) and builds its connect target. */
  private toTarget(row: ProfileRow, keys: ReadonlyMap<KeyKind, KeyContent>, plainSecret?: string): ConnectTarget {
    const secret = plainSecret ?? (row.auth_secret ? this.secrets.decrypt(row.auth_secret) : undefined);
    return toConnectTarget(row, keys, secret);
  }

  private toView(row: ProfileRow, activeId: string | null): ProfileView {
    return toProfileView(row, this.keys.of(row.id), activeId);
  }
}
