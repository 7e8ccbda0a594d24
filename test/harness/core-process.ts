/**
 * A core running as a real child process, as an operator runs it: `synos-cc run` from a private
 * build of the CLI (so a test never races another test's `npm run build:cli`), on a data directory
 * that outlives the process. Crash tests start it, kill it with SIGKILL, start it again on the same
 * directory, and read its SQLite file from outside while it runs.
 *
 *   const cores = useCoreProcesses();          // in the test file: builds the CLI, cleans up after
 *   const dir = coreDataDir({ engine: {…} });   // a temp data dir with this config.json
 *   const core = cores.start({ dataDir: dir.path, servers: server.url });
 *   await core.running();                        // its outbox drainer registered in SQLite
 *   await core.kill9();                          // crash; start again on dir.path to recover
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { JetStreamManager } from '@nats-io/jetstream';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll } from 'vitest';
import { DATABASE_FILE } from '../../main/core/paths';
import { buildPrivateCli, type PrivateCli } from './private-cli';
import { tempDir, waitFor } from './temp';

export type CoreLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface CoreProcessOptions {
  /** The data directory (SQLite, config.json); the same one across restarts. */
  dataDir: string;
  servers: string | string[];
  /** `--log-level` of the core (default warn). Its stdout and stderr are appended to `<dataDir>/core.log`. */
  logLevel?: CoreLogLevel;
}

export interface CoreProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly dataDir: string;
  /** Where its stdout and stderr go (every start on one data dir appends to the same file). */
  readonly logFile: string;
  /**
   * Resolves once the core runs: its outbox drainer has registered in SQLite (database open,
   * modules starting). Fails with the log file's name if that takes longer than `timeoutMs`.
   */
  running(timeoutMs?: number): Promise<void>;
  /** SIGKILL, as a crash would; resolves once the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (a graceful stop); resolves once the process is gone. */
  stop(): Promise<void>;
  /** Resolves once the process has exited (at once when it already has). */
  exited(): Promise<void>;
}

export interface CoreProcesses {
  /** Starts `synos-cc run` on `dataDir` against `servers`. */
  start(options: CoreProcessOptions): CoreProcess;
}

/** The log file a core on `dataDir` writes to. */
export function coreLogFile(dataDir: string): string {
  return path.join(dataDir, 'core.log');
}

/** A fresh data directory for a core process, with `config` as its config.json when given. */
export function coreDataDir(config?: unknown): { path: string; logFile: string } {
  const dir = tempDir();
  if (config !== undefined) fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return { path: dir, logFile: coreLogFile(dir) };
}

/**
 * Registers the file's hooks: beforeAll builds a private CLI, afterAll kills (SIGKILL) every core
 * still running and removes the build. Call it at the top level of a test file or a describe.
 */
export function useCoreProcesses(): CoreProcesses {
  let cli: PrivateCli | null = null;
  const children = new Set<ChildProcess>();
  beforeAll(async () => {
    cli = await buildPrivateCli();
  });
  afterAll(async () => {
    await Promise.all([...children].map((child) => signalAndWait(child, 'SIGKILL')));
    cli?.remove();
  });
  return {
    start(options) {
      if (!cli) throw new Error('useCoreProcesses: start() before its beforeAll built the CLI');
      const child = spawnRun(cli.file, options);
      children.add(child);
      child.once('exit', () => children.delete(child));
      return coreProcess(child, options.dataDir);
    }
  };
}

function spawnRun(cliFile: string, options: CoreProcessOptions): ChildProcess {
  const args = [cliFile, '--data', options.dataDir];
  for (const s of [options.servers].flat()) args.push('--nats', s);
  args.push('--log-level', options.logLevel ?? 'warn', 'run');
  const log = fs.openSync(coreLogFile(options.dataDir), 'a');
  try {
    return spawn(process.execPath, args, { env: { ...process.env, NATS_URL: '' }, stdio: ['ignore', log, log] });
  } finally {
    fs.closeSync(log);
  }
}

function coreProcess(child: ChildProcess, dataDir: string): CoreProcess {
  const logFile = coreLogFile(dataDir);
  return {
    child,
    pid: child.pid!,
    dataDir,
    logFile,
    running: (timeoutMs = 30_000) =>
      waitFor(() => drainerPids(dataDir).includes(child.pid!), {
        timeoutMs,
        intervalMs: 10,
        message: `core ${child.pid} running (log: ${logFile})`
      }).then(() => undefined),
    kill9: () => signalAndWait(child, 'SIGKILL'),
    stop: () => signalAndWait(child, 'SIGTERM'),
    exited: () => exited(child)
  };
}

/** Resolves once `child` has exited (at once when it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Sends `signal` to a running `child` and resolves once it has exited. */
export function signalAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const gone = exited(child);
  child.kill(signal);
  return gone;
}

/**
 * The core's SQLite file, opened from outside the process (read-only by default), with a busy
 * timeout so a read waits out the core's writes. Close it when done.
 */
export function openCoreDatabase(dataDir: string, options: { readonly?: boolean } = {}): BetterSqlite3.Database {
  const readonly = options.readonly ?? true;
  const db = new BetterSqlite3(path.join(dataDir, DATABASE_FILE), { readonly, fileMustExist: readonly });
  db.pragma('busy_timeout = 10000');
  return db;
}

/** Process ids of the outbox drainers registered in the data dir's SQLite (none before it exists). */
export function drainerPids(dataDir: string): number[] {
  if (!fs.existsSync(path.join(dataDir, DATABASE_FILE))) return [];
  let db: BetterSqlite3.Database | null = null;
  try {
    db = openCoreDatabase(dataDir);
    return (db.prepare('SELECT pid FROM outbox_drainers').all() as Array<{ pid: number }>).map((r) => r.pid);
  } catch {
    // Not migrated yet: the core is still opening its database.
    return [];
  } finally {
    db?.close();
  }
}

/** Outbox rows not yet delivered (pending, processing or retrying). */
export function openOutboxRows(db: BetterSqlite3.Database): number {
  return (
    db.prepare(`SELECT count(*) AS n FROM outbox WHERE status IN ('pending', 'processing', 'retrying')`).get() as {
      n: number;
    }
  ).n;
}

/**
 * Waits until the core has read everything and delivered every output: no message pending or
 * awaiting its ack on any of `durables` ([stream, durable] pairs) and no open outbox row in `db`.
 */
export async function waitAllSettled(
  jsm: JetStreamManager,
  db: BetterSqlite3.Database,
  durables: Array<readonly [stream: string, durable: string]>,
  { timeoutMs, logFile }: { timeoutMs: number; logFile: string }
): Promise<void> {
  await waitFor(
    async () => {
      for (const [stream, durable] of durables) {
        const info = await jsm.consumers.info(stream, durable).catch(() => null);
        if (!info || info.num_pending + info.num_ack_pending > 0) return false;
      }
      return openOutboxRows(db) === 0;
    },
    { timeoutMs, intervalMs: 250, message: `every input settled and every output delivered (log: ${logFile})` }
  );
}
