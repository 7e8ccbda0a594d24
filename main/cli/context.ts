/**
 * Turns the global flags into a configuration and a core, for every command.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { createCore, type Core } from '../app/create-core';
import { loadConfig, readSecretFile, type ConfigOverrides, type RunMode } from '../core/config';
import { UsageError } from './io';
import { createLogger, type LogLevel } from '../core/logger';
import type { ConnectionStatus } from '../contract';
import { contextOverrides } from '../nats/connection';
import { ContractError } from '../contract';

/** The global flags, as commander hands them over. */
export interface GlobalOptions {
  nats?: string[];
  context?: string;
  creds?: string;
  user?: string;
  password?: string;
  passwordFile?: string;
  token?: string;
  tokenFile?: string;
  nkey?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  data?: string;
  logLevel?: LogLevel;
}

export function parseIntOption(name: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`${name} must be a whole number.`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}.`);
    return n;
  };
}

export function parseNumberOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number.`);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}.`);
    return n;
  };
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The global options of the root program, from any subcommand. */
export function globalsOf(command: Command): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}

/**
 * The configuration overrides of the global flags. `--context NAME` (or NATS_CONTEXT) loads that
 * natscli context first; flags given next to it win (any credential flag replaces the context's
 * credentials).
 */
export function overridesFrom(globals: GlobalOptions, extra: ConfigOverrides = {}): ConfigOverrides {
  const o: ConfigOverrides = { ...extra };
  // natscli also takes the context from NATS_CONTEXT.
  const contextName = globals.context ?? (process.env.NATS_CONTEXT?.trim() || undefined);
  if (contextName) {
    const fromContext = contextOverrides(contextName);
    const credentialFlag = Boolean(
      globals.token ||
      globals.tokenFile ||
      globals.user ||
      globals.password !== undefined ||
      globals.passwordFile ||
      globals.nkey ||
      globals.creds
    );
    if (credentialFlag) {
      delete fromContext.token;
      delete fromContext.user;
      delete fromContext.password;
      delete fromContext.nkeyFile;
      delete fromContext.credsFile;
    }
    Object.assign(o, fromContext);
  }
  if (globals.data) o.dataDir = globals.data;
  if (globals.nats && globals.nats.length > 0) o.servers = globals.nats;
  if (globals.token) o.token = globals.token;
  if (globals.user) o.user = globals.user;
  if (globals.password !== undefined) o.password = globals.password;
  if (globals.passwordFile) {
    if (globals.password !== undefined) throw new UsageError('give --password or --password-file, not both');
    o.password = readSecretFile(globals.passwordFile, '--password-file');
  }
  if (globals.tokenFile) {
    if (globals.token) throw new UsageError('give --token or --token-file, not both');
    o.token = readSecretFile(globals.tokenFile, '--token-file');
  }
  if (globals.nkey) o.nkeyFile = globals.nkey;
  if (globals.creds) o.credsFile = globals.creds;
  if (globals.tlsCa) o.tlsCa = globals.tlsCa;
  if (globals.tlsCert) o.tlsCert = globals.tlsCert;
  if (globals.tlsKey) o.tlsKey = globals.tlsKey;
  if (globals.logLevel) o.logLevel = globals.logLevel;
  return o;
}

export interface OpenCoreOptions {
  mode?: RunMode;
  /** Long-running commands (serve, run) connect in the background; one-shot ones connect first. */
  autoConnect?: boolean;
  /** One-shot commands log only warnings and errors unless --log-level says otherwise. */
  quiet?: boolean;
  overrides?: ConfigOverrides;
}

export function openCore(globals: GlobalOptions, options: OpenCoreOptions = {}): Core {
  const overrides = overridesFrom(globals, options.overrides);
  if (options.autoConnect !== undefined) overrides.autoConnect = options.autoConnect;
  if (options.quiet && !globals.logLevel) overrides.logLevel = 'warn';
  const config = loadConfig({ mode: options.mode ?? 'cli', overrides });
  const logger = createLogger({ level: config.log.level, format: config.log.format });
  return createCore(config, { logger });
}

/** Connects and waits for the first outcome; a failure becomes the typed error of the attempt. */
export async function connectOrThrow(core: Core): Promise<ConnectionStatus> {
  const status = await core.api.invoke('connection.connect', {});
  if (status.state !== 'connected') {
    const last = status.lastError;
    throw new ContractError(last?.code ?? 'NATS_UNREACHABLE', last?.message ?? `not connected (${status.state})`, {
      hint: status.hint
    });
  }
  return status;
}

/** Runs fn with a started core and always stops it. */
export async function withCore<T>(core: Core, fn: (core: Core) => Promise<T>): Promise<T> {
  await core.start();
  try {
    return await fn(core);
  } finally {
    await core.stop();
  }
}

/**
 * Resolves on SIGINT or SIGTERM (long-running commands). A second signal during the shutdown that
 * follows exits at once — through process.exit, so exit hooks still run (the embedded nats-server
 * is killed by one) instead of the default action leaving it orphaned.
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const done = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      const force = (again: NodeJS.Signals): void => {
        process.stderr.write(`\n${again} again: exiting without waiting for the shutdown to finish\n`);
        process.exit(again === 'SIGINT' ? 130 : 143);
      };
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      resolve(signal);
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
