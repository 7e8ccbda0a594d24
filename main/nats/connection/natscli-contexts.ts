/**
 * natscli contexts (~/.config/nats/context/NAME.json, the selected one named in context.txt),
 * read the way natscli reads them, so `--context NAME` and the profile import connect exactly
 * where `nats --context NAME` would.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseJsonQuietly, readKeyFile } from '../../core/key-files';
import { ContractError, ProfileInputSchema, type KeyKind, type ProfileAuthInput } from '../../contract';
import type { ConfigOverrides } from '../../core/config';

/** The fields of a natscli context file this app understands (natscli writes empty strings for unset ones). */
const NatsContextFileSchema = z
  .object({
    description: z.string().optional(),
    url: z.string().optional(),
    token: z.string().optional(),
    user: z.string().optional(),
    password: z.string().optional(),
    creds: z.string().optional(),
    nkey: z.string().optional(),
    cert: z.string().optional(),
    key: z.string().optional(),
    ca: z.string().optional(),
    nsc: z.string().optional(),
    user_jwt: z.string().optional(),
    socks_proxy: z.string().optional(),
    tls_first: z.boolean().optional()
  })
  .passthrough();
export type NatsContextFile = z.infer<typeof NatsContextFileSchema>;

/** A context's credentials: secrets as given, key files as the paths the context names. */
export type ContextAuth =
  | Exclude<ProfileAuthInput, { kind: 'nkey' } | { kind: 'creds' }>
  | { kind: 'nkey'; seedFile: string }
  | { kind: 'creds'; credsFile: string };

/** A context's TLS files, as paths. */
export interface ContextTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** A context turned into what a connection needs. */
export interface NatsContextConnection {
  name: string;
  description: string | null;
  /** Empty when the context names no URL (natscli then uses its default, as this app does). */
  servers: string[];
  auth: ContextAuth;
  tls: ContextTls | null;
  /** Settings present in the context that this app does not use, in words. */
  notes: string[];
}

const CONTEXT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** natscli's configuration directory: $XDG_CONFIG_HOME/nats, else ~/.config/nats. */
export function natsConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.trim() !== '' ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  return path.join(base, 'nats');
}

function expandHome(file: string): string {
  if (file === '~') return os.homedir();
  if (file.startsWith('~/')) return path.join(os.homedir(), file.slice(2));
  return file;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** The context natscli has selected (context.txt), or null. */
export function selectedNatsContext(configDir: string): string | null {
  try {
    const name = fs.readFileSync(path.join(configDir, 'context.txt'), 'utf8').trim();
    return name.length > 0 ? name : null;
  } catch {
    return null;
  }
}

/** Names of the context files in the directory, sorted. */
export function listNatsContextNames(configDir: string): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(path.join(configDir, 'context'));
  } catch {
    return [];
  }
  return entries
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .filter((n) => CONTEXT_NAME.test(n))
    .sort();
}

/** Reads and parses one context file; CONFIG_INVALID with what to do when it is missing or broken. */
export function readNatsContext(name: string, configDir: string = natsConfigDir()): NatsContextFile {
  if (!CONTEXT_NAME.test(name)) {
    throw new ContractError('CONFIG_INVALID', `"${name}" is not a natscli context name (letters, digits, . _ - only)`);
  }
  const file = path.join(configDir, 'context', `${name}.json`);
  let text: string;
  try {
    text = readKeyFile(file, 'natscli context').toString('utf8');
  } catch (error) {
    const known = listNatsContextNames(configDir);
    const reason = (error as Error).message.replace(/^cannot use natscli context [^:]*: /, '');
    throw new ContractError(
      'CONFIG_INVALID',
      reason === 'no such file'
        ? `natscli context "${name}" not found (${file})`
        : `natscli context "${name}" cannot be read (${file}: ${reason})`,
      {
        file,
        hint:
          known.length > 0
            ? `Known contexts in ${configDir}: ${known.join(', ')}.`
            : `There are no contexts in ${path.join(configDir, 'context')}; create one with: nats context save ${name} --server URL`
      }
    );
  }
  // A context holds credentials: a parse error says where, never what the file holds.
  const parsedJson = parseJsonQuietly(text);
  if (!parsedJson.ok) {
    throw new ContractError('CONFIG_INVALID', `natscli context ${file}: ${parsedJson.reason}`, { file });
  }
  const json = parsedJson.value;
  const parsed = NatsContextFileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ContractError('CONFIG_INVALID', `natscli context ${file}: ${issues}`, { file });
  }
  return parsed.data;
}

/** Maps a context to servers, auth and TLS with natscli's precedence (creds, nkey, user, token). */
export function contextToConnection(name: string, ctx: NatsContextFile): NatsContextConnection {
  const notes: string[] = [];
  const servers = (nonEmpty(ctx.url) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => (s.includes('://') ? s : `nats://${s}`));

  const creds = nonEmpty(ctx.creds);
  const nkey = nonEmpty(ctx.nkey);
  const user = nonEmpty(ctx.user);
  const password = ctx.password !== undefined && ctx.password !== '' ? ctx.password : undefined;
  const token = nonEmpty(ctx.token);
  let auth: ContextAuth;
  if (creds) auth = { kind: 'creds', credsFile: expandHome(creds) };
  else if (nkey) auth = { kind: 'nkey', seedFile: expandHome(nkey) };
  else if (user && password !== undefined) auth = { kind: 'user', user, password };
  // natscli sends a user without a password as a token ("Username or Token").
  else if (user) auth = { kind: 'token', token: user };
  else if (token) auth = { kind: 'token', token };
  else auth = { kind: 'none' };
  const used = [creds && 'creds', nkey && 'nkey', user && 'user', token && 'token'].filter(Boolean);
  if (used.length > 1) notes.push(`several credentials given (${used.join(', ')}); using ${auth.kind}`);

  const tls: ContextTls = {};
  const ca = nonEmpty(ctx.ca);
  const cert = nonEmpty(ctx.cert);
  const key = nonEmpty(ctx.key);
  if (ca) tls.caFile = expandHome(ca);
  if (cert && key) {
    tls.certFile = expandHome(cert);
    tls.keyFile = expandHome(key);
  } else if (cert || key) {
    notes.push('a TLS client certificate needs both cert and key; ignored the one given');
  }
  if (nonEmpty(ctx.nsc)) notes.push('nsc lookups are not supported; give the creds file instead');
  if (nonEmpty(ctx.user_jwt)) notes.push('user_jwt is not supported; use a creds file');
  if (nonEmpty(ctx.socks_proxy)) notes.push('socks_proxy is not supported');
  if (ctx.tls_first) notes.push('tls_first is not supported');
  return {
    name,
    description: nonEmpty(ctx.description) ?? null,
    servers,
    auth,
    tls: Object.keys(tls).length > 0 ? tls : null,
    notes
  };
}

/** Loads a context by name as config overrides for the CLI (`--context NAME`); flags are applied on top. */
export function contextOverrides(name: string, configDir: string = natsConfigDir()): ConfigOverrides {
  const conn = contextToConnection(name, readNatsContext(name, configDir));
  const o: ConfigOverrides = {};
  if (conn.servers.length > 0) o.servers = [conn.servers.join(',')];
  switch (conn.auth.kind) {
    case 'creds':
      o.credsFile = conn.auth.credsFile;
      break;
    case 'nkey':
      o.nkeyFile = conn.auth.seedFile;
      break;
    case 'user':
      o.user = conn.auth.user;
      if (conn.auth.password !== undefined) o.password = conn.auth.password;
      break;
    case 'token':
      if (conn.auth.token) o.token = conn.auth.token;
      break;
    case 'none':
      break;
  }
  if (conn.tls?.caFile) o.tlsCa = conn.tls.caFile;
  if (conn.tls?.certFile) o.tlsCert = conn.tls.certFile;
  if (conn.tls?.keyFile) o.tlsKey = conn.tls.keyFile;
  return o;
}

/** What {@link importNatsContexts} needs of the profile store. */
export interface ProfileSink {
  findByName(name: string): { id: string; source: 'manual' | 'natscli' } | null;
  save(input: z.output<typeof ProfileInputSchema>, source: 'natscli'): { id: string };
  /** Reads a key file the context names, now, once; returns its pick for save. */
  pickKeyFile(kind: KeyKind, file: string): string;
}

/**
 * A context's connection as a profile input: each key file it names is read now (regular file,
 * size-capped, checked for its kind) and handed to save as a pick, so the profile holds the
 * content and never the path. A file that cannot be used throws its typed error.
 */
function contextProfileAuth(
  conn: NatsContextConnection,
  pick: ProfileSink['pickKeyFile']
): { auth: ProfileAuthInput; tls: { ca?: string; cert?: string; key?: string } | null } {
  let auth: ProfileAuthInput;
  if (conn.auth.kind === 'creds') auth = { kind: 'creds', creds: pick('creds', conn.auth.credsFile) };
  else if (conn.auth.kind === 'nkey') auth = { kind: 'nkey', seedKey: pick('seed', conn.auth.seedFile) };
  else auth = conn.auth;
  if (!conn.tls) return { auth, tls: null };
  const tls: { ca?: string; cert?: string; key?: string } = {};
  if (conn.tls.caFile) tls.ca = pick('ca', conn.tls.caFile);
  if (conn.tls.certFile) tls.cert = pick('cert', conn.tls.certFile);
  if (conn.tls.keyFile) tls.key = pick('key', conn.tls.keyFile);
  return { auth, tls };
}

export interface ImportedContext {
  name: string;
  profileId: string | null;
  outcome: 'created' | 'updated' | 'skipped';
  note: string | null;
  selected: boolean;
}

/**
 * Imports every natscli context as a profile of the same name (re-importing updates it), reading
 * the creds, nkey and TLS files it names now into the secret store. A context that cannot be read,
 * names a key file that cannot be used, or whose name is taken by a profile entered here, is
 * skipped with a note.
 */
export function importNatsContexts(store: ProfileSink, configDir: string, defaultServer: string): ImportedContext[] {
  const selected = selectedNatsContext(configDir);
  const out: ImportedContext[] = [];
  for (const name of listNatsContextNames(configDir)) {
    const isSelected = name === selected;
    let conn: NatsContextConnection;
    try {
      conn = contextToConnection(name, readNatsContext(name, configDir));
    } catch (error) {
      out.push({ name, profileId: null, outcome: 'skipped', note: (error as Error).message, selected: isSelected });
      continue;
    }
    const existing = store.findByName(name);
    if (existing && existing.source !== 'natscli') {
      out.push({
        name,
        profileId: existing.id,
        outcome: 'skipped',
        note: `a profile named "${name}" was entered here; rename it to import this context`,
        selected: isSelected
      });
      continue;
    }
    let keyed: ReturnType<typeof contextProfileAuth>;
    try {
      keyed = contextProfileAuth(conn, (kind, file) => store.pickKeyFile(kind, file));
    } catch (error) {
      out.push({ name, profileId: null, outcome: 'skipped', note: (error as Error).message, selected: isSelected });
      continue;
    }
    const input = ProfileInputSchema.safeParse({
      ...(existing ? { id: existing.id } : {}),
      name,
      servers: conn.servers.length > 0 ? conn.servers : [defaultServer],
      auth: keyed.auth,
      tls: keyed.tls,
      ...(conn.description ? { description: conn.description.slice(0, 1000) } : {})
    });
    if (!input.success) {
      const issues = input.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      out.push({ name, profileId: null, outcome: 'skipped', note: issues, selected: isSelected });
      continue;
    }
    try {
      const saved = store.save(input.data, 'natscli');
      out.push({
        name,
        profileId: saved.id,
        outcome: existing ? 'updated' : 'created',
        note: conn.notes.length > 0 ? conn.notes.join('; ') : null,
        selected: isSelected
      });
    } catch (error) {
      out.push({ name, profileId: null, outcome: 'skipped', note: (error as Error).message, selected: isSelected });
    }
  }
  return out;
}
