/**
 * Configuration: defaults < config file in the data dir < NATS_URL < CLI flags.
 * Every source is validated; a bad value is a CONFIG_INVALID error naming the source and the field.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  AlertRuleIdSchema,
  ContractError,
  NatsUrlSchema,
  RuleValuesSchema,
  splitUrlCredentials,
  type AlertRuleId,
  type UrlCredentials,
  type RuleValues
} from '../contract';
import type { LogFormat, LogLevel } from './logger';
import { registerSecret } from './redact';
import { parseJsonQuietly } from './key-files';
import { CONFIG_FILE, defaultDataDir } from './paths';
import { DEFAULT_DUPLICATE_WINDOW_MS } from '../nats/topology/topology';
import {
  EngineConfigFileSchema,
  engineConfigIssues,
  resolveEngineConfig,
  type DeepPartial,
  type EngineConfig
} from '../engine/config';
import { BridgeSettingsFileSchema, resolveBridgeSettings, type BridgeSettings } from '../bridge/settings';
import {
  MonitorUrlSchema,
  MonitoringSettingsFileSchema,
  resolveMonitoringSettings,
  type MonitoringSettings
} from '../monitoring/settings';

export type RunMode = 'desktop' | 'web' | 'cli';

/** How the app authenticates to NATS. Secrets here are plain only in memory. */
export interface NatsAuthConfig {
  token?: string;
  user?: string;
  password?: string;
  /** Path of an nkey seed file (SU…). */
  nkeyFile?: string;
  /** Path of a .creds file (JWT + seed). */
  credsFile?: string;
}

export interface NatsTlsConfig {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface NatsConfig {
  servers: string[];
  /** True when the servers came from the config file, NATS_URL or a flag (no embedded fallback then). */
  explicit: boolean;
  /** Client name shown by the server (connz). */
  name: string;
  auth: NatsAuthConfig;
  tls: NatsTlsConfig | null;
  /** Timeout of one connection attempt. */
  connectTimeoutMs: number;
}

export interface Config {
  mode: RunMode;
  dataDir: string;
  nats: NatsConfig;
  /** Start a managed nats-server when nothing is configured and nothing answers on 127.0.0.1:4222. */
  embedded: { enabled: boolean; binary: string };
  /** Connect to NATS when the core starts. */
  autoConnect: boolean;
  log: { level: LogLevel; format: LogFormat };
  database: { synchronous: 'NORMAL' | 'FULL' };
  /** Serve /metrics on 127.0.0.1 on this port; null for off. */
  metricsPort: number | null;
  /** Apply the Syn_OS streams and consumers on each new connection (docs/architecture.md §2). */
  provision: boolean;
  /** Replicas and dedupe window of the provisioned streams. */
  topology: { replicas: number; duplicateWindowMs: number };
  /** Alert rule values over the defaults (edits made in the app win), and how often rules run (null: default). */
  alerts: { rules: Partial<Record<AlertRuleId, Partial<RuleValues>>>; evaluateIntervalMs: number | null };
  /** The consciousness engine's parameters (docs/architecture.md §3): the defaults with the file's `engine` section merged on. */
  engine: EngineConfig;
  /** The bridge's subject mapping, own messages and intervals (docs/architecture.md §2), with the file's `bridge` section merged on. */
  bridge: BridgeSettings;
  /** How often JetStream and the metrics are sampled, with the file's `monitoring` section merged on. */
  monitoring: MonitoringSettings;
  /** Who runs the engine when several cores share one NATS account (`engine.role`, `engine.group`, `engine.leaseTtlMs`). */
  leadership: LeadershipConfig;
  /** Largest recording file an import or a web upload takes (bytes). */
  recordings: { maxImportBytes: number };
}

export interface LeadershipConfig {
  /** auto: contend for the engine lease; observer: never lead, only watch. */
  role: 'auto' | 'observer';
  /** Cores of one group share one lease (one active engine per account and group). */
  group: string;
  ttlMs: number;
}

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

const LogLevelSchema = z.enum(['debug', 'info', 'warn', 'error']);

/** What `<dataDir>/config.json` may hold. Unknown keys are errors, so typos do not pass silently. */
export const ConfigFileSchema = z
  .object({
    nats: z
      .object({
        servers: z.array(NatsUrlSchema).min(1).optional(),
        name: z.string().min(1).optional(),
        token: z.string().optional(),
        user: z.string().optional(),
        password: z.string().optional(),
        nkeyFile: z.string().optional(),
        credsFile: z.string().optional(),
        tls: z
          .object({ caFile: z.string().optional(), certFile: z.string().optional(), keyFile: z.string().optional() })
          .strict()
          .optional(),
        connectTimeoutMs: z.number().int().min(100).max(120_000).optional()
      })
      .strict()
      .optional(),
    embedded: z.object({ enabled: z.boolean().optional(), binary: z.string().optional() }).strict().optional(),
    autoConnect: z.boolean().optional(),
    log: z.object({ level: LogLevelSchema.optional() }).strict().optional(),
    database: z
      .object({ synchronous: z.enum(['NORMAL', 'FULL']).optional() })
      .strict()
      .optional(),
    metricsPort: z.number().int().min(0).max(65535).nullable().optional(),
    provision: z.boolean().optional(),
    topology: z
      .object({
        replicas: z.number().int().min(1).max(5).optional(),
        duplicateWindowMs: z.number().int().min(1000).max(604_800_000).optional()
      })
      .strict()
      .optional(),
    alerts: z
      .object({
        rules: z.partialRecord(AlertRuleIdSchema, RuleValuesSchema.partial().strict()).optional(),
        evaluateIntervalMs: z.number().int().min(100).max(3_600_000).optional()
      })
      .strict()
      .optional(),
    engine: EngineConfigFileSchema.extend({
      role: z.enum(['auto', 'observer']).optional(),
      group: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only (1–64): it names a KV key')
        .optional(),
      leaseTtlMs: z.number().int().min(1000).max(600_000).optional()
    }).optional(),
    bridge: BridgeSettingsFileSchema.optional(),
    monitoring: MonitoringSettingsFileSchema.optional(),
    recordings: z
      .object({
        maxImportBytes: z
          .number()
          .int()
          .min(1024)
          .max(64 * 1024 ** 3)
          .optional()
      })
      .strict()
      .optional()
  })
  .strict();
export type ConfigFile = z.infer<typeof ConfigFileSchema>;

/** Values given on the command line (or by the desktop shell); each wins over every other source. */
export interface ConfigOverrides {
  dataDir?: string;
  servers?: string[];
  token?: string;
  user?: string;
  password?: string;
  nkeyFile?: string;
  credsFile?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
  metricsPort?: number | null;
  autoConnect?: boolean;
  embedded?: boolean;
  /** false: do not provision streams and consumers on connect (--no-provision). */
  provision?: boolean;
  replicas?: number;
  /** The monitoring URL for the Servers view (`--monitor-url`); wins over `monitoring.serverMonitorUrl`. */
  serverMonitorUrl?: string;
  /** --engine-role on run/serve. */
  engineRole?: 'auto' | 'observer';
}

/** Formats zod issues as `path: message; path: message`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

export function normaliseNatsUrl(value: string): string {
  const trimmed = value.trim();
  return trimmed.includes('://') ? trimmed : `nats://${trimmed}`;
}

/**
 * Takes the userinfo off a list of server URLs (`nats://user:pass@host`, `nats://token@host`).
 * The URLs come back clean; the credentials (the same for every URL, or CONFIG_INVALID) go into
 * the auth fields, so a password never sits in a server list that is logged, stored or shown.
 */
export function splitServerCredentials(
  servers: readonly string[],
  source: string
): { servers: string[]; credentials: UrlCredentials | null } {
  let credentials: UrlCredentials | null = null;
  const clean = servers.map((server) => {
    const split = splitUrlCredentials(server);
    if (split.credentials) {
      const same =
        credentials === null ||
        (credentials.user === split.credentials.user &&
          credentials.password === split.credentials.password &&
          credentials.token === split.credentials.token);
      if (!same) {
        throw new ContractError(
          'CONFIG_INVALID',
          `${source}: the server URLs carry different credentials; give them once (--user/--password, --token or NATS_USER/NATS_PASSWORD/NATS_TOKEN) and list the servers without them`,
          { source }
        );
      }
      credentials = split.credentials;
      registerSecret(split.credentials.password);
      registerSecret(split.credentials.token);
    }
    return split.url;
  });
  return { servers: clean, credentials };
}

type PasswordAuth = Pick<NatsAuthConfig, 'token' | 'user' | 'password'>;

/** One source's user/password/token, with its URL's userinfo filling what the source left out. */
function withUrlFill(fields: PasswordAuth, url: UrlCredentials | null): PasswordAuth {
  const out: PasswordAuth = { ...fields };
  if (url && out.user === undefined && out.token === undefined) {
    if (url.token !== undefined) out.token = url.token;
    if (url.user !== undefined) {
      out.user = url.user;
      if (out.password === undefined) out.password = url.password;
    }
  }
  return out;
}

/**
 * Reads a secret from a file named on the command line (--password-file, --token-file): the first
 * line, without its line ending. Only a regular file up to 64 KiB; errors name the file and the
 * reason, never its content.
 */
export function readSecretFile(file: string, flag: string): string {
  const fail = (reason: string): never => {
    throw new ContractError('CONFIG_INVALID', `${flag} ${file}: ${reason}`, {
      file,
      hint: `Write the secret alone on the first line of a file readable only by you (chmod 600 ${file}).`
    });
  };
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : `cannot read it (${code})`
    );
  }
  if (!st.isFile()) return fail('not a regular file');
  if (st.size > 64 * 1024) return fail('larger than 64 KiB, so not a secret file');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(code === 'EACCES' ? 'permission denied' : `cannot read it (${code})`);
  }
  const secret = (text.split(/\r?\n/)[0] ?? '').trim();
  if (secret.length === 0) return fail('the first line is empty');
  registerSecret(secret);
  return secret;
}

/** NATS_URL may hold several comma-separated servers, as natscli accepts. */
export function parseServerList(value: string, source: string): string[] {
  const parts = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  const parsed = z.array(NatsUrlSchema).min(1).safeParse(parts);
  if (!parsed.success) {
    throw new ContractError('CONFIG_INVALID', `${source}: ${describeIssues(parsed.error.issues)}`, {
      source,
      value
    });
  }
  return parsed.data.map(normaliseNatsUrl);
}

export function readConfigFile(file: string): ConfigFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ContractError('CONFIG_INVALID', `cannot read config file ${file}: ${(error as Error).message}`, {
      file
    });
  }
  // config.json may hold a password: a parse error says where, never quotes the text.
  const parsedJson = parseJsonQuietly(text);
  if (!parsedJson.ok) {
    throw new ContractError('CONFIG_INVALID', `config file ${file}: ${parsedJson.reason}. Fix or remove it.`, { file });
  }
  const json = parsedJson.value;
  const parsed = ConfigFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new ContractError('CONFIG_INVALID', `config file ${file}: ${describeIssues(parsed.error.issues)}`, {
      file,
      issues: parsed.error.issues
    });
  }
  return parsed.data;
}

export interface LoadConfigOptions {
  mode: RunMode;
  overrides?: ConfigOverrides;
  env?: NodeJS.ProcessEnv;
}

/** Builds the effective configuration from all sources, in precedence order. */
export function loadConfig(options: LoadConfigOptions): Config {
  const env = options.env ?? process.env;
  const o = options.overrides ?? {};
  const dataDir = path.resolve(o.dataDir ?? defaultDataDir(env));
  const configFile = path.join(dataDir, CONFIG_FILE);
  const file = readConfigFile(configFile);

  let servers = [DEFAULT_NATS_URL];
  let explicit = false;
  // Credentials in a URL are taken out of it and count as given by the URL's source: they fill that
  // source's missing user/password or token, and then sources stack as usual (flags > env > file).
  let fileUrl: UrlCredentials | null = null;
  let envUrl: UrlCredentials | null = null;
  let flagUrl: UrlCredentials | null = null;
  if (file.nats?.servers) {
    const split = splitServerCredentials(file.nats.servers.map(normaliseNatsUrl), configFile);
    servers = split.servers;
    fileUrl = split.credentials;
    explicit = true;
  }
  if (env.NATS_URL && env.NATS_URL.trim().length > 0) {
    const split = splitServerCredentials(parseServerList(env.NATS_URL, 'NATS_URL'), 'NATS_URL');
    servers = split.servers;
    envUrl = split.credentials;
    explicit = true;
  }
  if (o.servers && o.servers.length > 0) {
    const split = splitServerCredentials(
      o.servers.flatMap((s) => parseServerList(s, '--nats')),
      '--nats'
    );
    servers = split.servers;
    flagUrl = split.credentials;
    explicit = true;
  }

  const tlsFile = file.nats?.tls ?? {};
  const tls: NatsTlsConfig = {
    caFile: o.tlsCa ?? tlsFile.caFile,
    certFile: o.tlsCert ?? tlsFile.certFile,
    keyFile: o.tlsKey ?? tlsFile.keyFile
  };
  const hasTls = Boolean(tls.caFile || tls.certFile || tls.keyFile);

  // natscli's environment variables sit between the config file and the flags.
  const fromEnv = (name: string): string | undefined => {
    const value = env[name];
    return value !== undefined && value.length > 0 ? value : undefined;
  };
  const fileLayer = withUrlFill(
    { token: file.nats?.token, user: file.nats?.user, password: file.nats?.password },
    fileUrl
  );
  const envLayer = withUrlFill(
    { token: fromEnv('NATS_TOKEN'), user: fromEnv('NATS_USER'), password: fromEnv('NATS_PASSWORD') },
    envUrl
  );
  const flagLayer = withUrlFill({ token: o.token, user: o.user, password: o.password }, flagUrl);
  const auth: NatsAuthConfig = {
    token: flagLayer.token ?? envLayer.token ?? fileLayer.token,
    user: flagLayer.user ?? envLayer.user ?? fileLayer.user,
    password: flagLayer.password ?? envLayer.password ?? fileLayer.password,
    nkeyFile: o.nkeyFile ?? fromEnv('NATS_NKEY') ?? file.nats?.nkeyFile,
    credsFile: o.credsFile ?? fromEnv('NATS_CREDS') ?? file.nats?.credsFile
  };
  for (const key of Object.keys(auth) as (keyof NatsAuthConfig)[]) {
    if (auth[key] === undefined) delete auth[key];
  }
  registerSecret(auth.password);
  registerSecret(auth.token);

  return {
    mode: options.mode,
    dataDir,
    nats: {
      servers,
      explicit,
      name: file.nats?.name ?? `synos-control-center (${options.mode})`,
      auth,
      tls: hasTls ? tls : null,
      connectTimeoutMs: file.nats?.connectTimeoutMs ?? 5000
    },
    embedded: {
      enabled: o.embedded ?? file.embedded?.enabled ?? true,
      binary: file.embedded?.binary ?? 'nats-server'
    },
    autoConnect: o.autoConnect ?? file.autoConnect ?? true,
    log: {
      level: o.logLevel ?? file.log?.level ?? 'info',
      format: o.logFormat ?? (options.mode === 'desktop' ? 'pretty' : 'json')
    },
    database: { synchronous: file.database?.synchronous ?? 'NORMAL' },
    metricsPort: o.metricsPort !== undefined ? o.metricsPort : (file.metricsPort ?? null),
    provision: o.provision ?? file.provision ?? true,
    topology: {
      replicas: o.replicas ?? file.topology?.replicas ?? 1,
      duplicateWindowMs: file.topology?.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS
    },
    alerts: { rules: file.alerts?.rules ?? {}, evaluateIntervalMs: file.alerts?.evaluateIntervalMs ?? null },
    monitoring: withMonitorUrl(resolveMonitoringSettings(file.monitoring), o.serverMonitorUrl),
    leadership: {
      role: o.engineRole ?? file.engine?.role ?? 'auto',
      group: file.engine?.group ?? 'synos',
      ttlMs: file.engine?.leaseTtlMs ?? 5000
    },
    recordings: { maxImportBytes: file.recordings?.maxImportBytes ?? 2 * 1024 ** 3 },
    ...engineAndBridge(file, configFile)
  };
}

/**
 * Merges the file's `engine` and `bridge` sections onto their defaults and checks the rules that
 * hold between values (e.g. a resource problem clears at or below where it opens), naming the field.
 */
function engineAndBridge(file: ConfigFile, configFile: string): { engine: EngineConfig; bridge: BridgeSettings } {
  // role, group and leaseTtlMs are the leadership's, not the engine's parameters.
  const { role: _role, group: _group, leaseTtlMs: _ttl, ...engineFile } = file.engine ?? {};
  const engine = resolveEngineConfig(engineFile as DeepPartial<EngineConfig>);
  const bridge = resolveBridgeSettings(file.bridge ?? {});
  const issues = [
    ...engineConfigIssues(engine).map((i) => ({ ...i, field: `engine.${i.field}` })),
    ...bridge.issues.map((i) => ({ ...i, field: `bridge.${i.field}` }))
  ];
  if (issues.length > 0) {
    throw new ContractError(
      'CONFIG_INVALID',
      `config file ${configFile}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
      {
        file: configFile,
        issues: issues.map((i) => ({ path: i.field.split('.'), message: i.message }))
      }
    );
  }
  return { engine, bridge: bridge.settings };
}

/** `--monitor-url` over the file's `monitoring.serverMonitorUrl`, validated like it. */
function withMonitorUrl(settings: MonitoringSettings, url: string | undefined): MonitoringSettings {
  if (url === undefined) return settings;
  const parsed = MonitorUrlSchema.safeParse(url);
  if (!parsed.success) {
    throw new ContractError('CONFIG_INVALID', `--monitor-url: ${describeIssues(parsed.error.issues)}`, {
      source: '--monitor-url'
    });
  }
  return { ...settings, serverMonitorUrl: parsed.data };
}
