/**
 * `createCore(config)` builds the kernel (database, NATS connection manager, event hub, notices,
 * secrets) from one configuration, hands it to the composition root (./compose.ts) that builds
 * every area, and returns `{ api, app, start, stop }`. It never imports electron; what the desktop
 * adds comes in as adapters. Every host (the desktop, `synos-cc serve`, every CLI command) builds
 * its core here.
 */
import path from 'node:path';
import { ContractError, SESSION_METHODS, procedures } from '../contract';
import { createRouter, type CallContext, type CallOutcome, type Handlers } from '../api/router';
import type { CoreApi } from '../api/core-api';
import { ConnectionManager } from '../nats/connection';
import { startBackgroundCheckpoints, type BackgroundCheckpointer } from '../store/checkpointer';
import { diskFullError, openDatabase } from '../store/database';
import { MIN_FREE_BYTES, probeDatabaseWrite } from '../store/write-probe';
import { nativeBinding } from '../store/native-binding';
import { MIGRATIONS } from '../store/migrations';
import type { HostAdapters } from '../core/adapters';
import type { Config } from '../core/config';
import { EventHub } from '../core/event-hub';
import { FileGrants } from '../core/file-grants';
import { createLogger, type Logger } from '../core/logger';
import { NoticeBoard, type CoreContext } from '../core/module';
import { CONFIG_FILE, DATABASE_FILE } from '../core/paths';
import { tightenFile } from '../core/file-modes';
import { createKeyFileSecretStore } from '../core/secrets';
import { composeApp, type App, type ComposeOptions } from './compose';
import { Lifecycle } from './lifecycle';

export type { CoreApi };

export interface Core {
  api: CoreApi;
  context: CoreContext;
  /** Every area by its typed public face (the desktop shell offers opened files to `app.system`). */
  app: App;
  /** Contract procedures no module handles (empty in a complete build). */
  unservedMethods: readonly string[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface CreateCoreOptions extends ComposeOptions {
  adapters?: HostAdapters;
  logger?: Logger;
  /** Validate handler outputs against the contract (tests). */
  validateOutput?: boolean;
}

/**
 * While the database is read-only (a full disk) every background write fails the same way; those
 * failures are logged at debug level instead of one warning per write.
 */
function quietReadOnlyWrites(logger: Logger): Logger {
  const readOnlyError = (fields?: Record<string, unknown>): boolean =>
    Object.values(fields ?? {}).some((v) => (v as { code?: unknown } | null)?.code === 'SQLITE_READONLY');
  const wrap = (inner: Logger): Logger => ({
    debug: (m, f) => inner.debug(m, f),
    info: (m, f) => inner.info(m, f),
    warn: (m, f) => (readOnlyError(f) ? inner.debug(m, f) : inner.warn(m, f)),
    error: (m, f) => (readOnlyError(f) ? inner.debug(m, f) : inner.error(m, f)),
    child: (bindings) => wrap(inner.child(bindings))
  });
  return wrap(logger);
}

export function createCore(config: Config, options: CreateCoreOptions = {}): Core {
  const baseLogger = options.logger ?? createLogger({ level: config.log.level, format: config.log.format });
  let logger = baseLogger;
  const events = new EventHub((channel, error) => logger.error('event listener failed', { channel, error }));
  const notices = new NoticeBoard((notice) => events.emit('system.notice', notice));

  const databasePath = path.join(config.dataDir, DATABASE_FILE);
  const opened = openDatabase(databasePath, {
    migrations: MIGRATIONS,
    logger: baseLogger,
    synchronous: config.database.synchronous,
    // One-shot commands still answer on a full disk (read-only copy); long-running cores need to write.
    readOnlyWhenFull: !config.autoConnect
  });
  // config.json may hold a password and secret.key seals the profiles' secrets: private to the user.
  tightenFile(path.join(config.dataDir, CONFIG_FILE));
  tightenFile(path.join(config.dataDir, 'secret.key'));
  // Long-running cores (run, serve, the desktop) write steadily: their WAL checkpoints run in a
  // worker thread so the event loop never stalls on one. One-shot commands keep SQLite's own.
  const checkpointer: BackgroundCheckpointer | null = config.autoConnect
    ? startBackgroundCheckpoints(opened.db, {
        file: databasePath,
        synchronous: config.database.synchronous,
        nativeBinding: nativeBinding(),
        logger
      })
    : null;
  if (!config.autoConnect && !opened.readOnly) {
    // The file opened, but a full disk may still refuse every commit: a one-shot command then
    // reads without writing (its start-up bookkeeping is skipped) instead of failing.
    const probe = probeDatabaseWrite(opened.db, databasePath);
    if (probe.writeFailed && probe.freeBytes !== null && probe.freeBytes < MIN_FREE_BYTES) {
      opened.readOnly = diskFullError(databasePath).message;
      opened.db.pragma('query_only = ON');
      baseLogger.warn('the disk is full: the database is open read-only', { file: databasePath, reason: probe.reason });
    }
  }
  if (opened.readOnly) {
    logger = quietReadOnlyWrites(baseLogger);
    notices.add('error', 'database.read-only', `${opened.readOnly}; showing what is stored, read-only.`);
  }
  if (opened.recoveredFrom) {
    notices.add(
      'error',
      'database.recovered',
      `The database was unreadable and has been moved aside to ${opened.recoveredFrom}; a fresh one was created.`,
      { movedTo: opened.recoveredFrom }
    );
  }

  const nats = new ConnectionManager({
    nats: config.nats,
    embedded: { ...config.embedded, dataDir: config.dataDir },
    logger
  });

  const context: CoreContext = {
    config,
    logger,
    db: opened.db,
    databasePath,
    databaseRecoveredFrom: opened.recoveredFrom,
    databaseReadOnly: opened.readOnly,
    events,
    nats,
    secrets: options.adapters?.secrets ?? createKeyFileSecretStore(config.dataDir, logger),
    notifier: options.adapters?.notifier ?? null,
    grants: new FileGrants(),
    fileChooser: options.adapters?.fileChooser ?? null,
    fileDialogs: options.adapters?.fileDialogs ?? null,
    notices,
    startedAt: new Date()
  };

  const app = composeApp(context, { bridge: options.bridge, monitoring: options.monitoring });
  const handlers: Partial<Handlers> = {};
  for (const mod of app.modules) {
    for (const [method, handler] of Object.entries(mod.handlers ?? {})) {
      if (method in handlers) throw new Error(`two modules handle ${method}`);
      (handlers as Record<string, unknown>)[method] = handler;
    }
  }
  // Calls to a procedure nobody serves answer UNKNOWN_METHOD; a test (contract-complete) keeps the
  // full module list covering the whole contract.
  const unserved = (Object.keys(procedures) as string[]).filter(
    (m) => !(SESSION_METHODS as string[]).includes(m) && !(m in handlers)
  );
  if (unserved.length > 0) logger.warn('procedures without a handler', { methods: unserved });
  const router = createRouter(handlers, { logger, validateOutput: options.validateOutput ?? false });

  /** On a database opened read-only for a full disk, a refused write is DISK_FULL, not INTERNAL. */
  const routed = async (method: string, input: unknown, ctx: CallContext): Promise<CallOutcome> => {
    const outcome = await router.call(method, input, ctx);
    if (!outcome.ok && opened.readOnly && /readonly database/.test(outcome.error.message)) {
      return {
        ok: false,
        error: {
          code: 'DISK_FULL',
          message: `${opened.readOnly}; ${method} needs to write, and the database is open read-only`,
          details: { hint: 'Free space on that disk (or move the data directory with --data DIR), then try again.' }
        }
      };
    }
    return outcome;
  };

  const api: CoreApi = {
    call: (method, input, ctx) => routed(method, input, ctx ?? { transport: 'memory' }),
    async invoke(method, input, ctx) {
      const outcome = await routed(method, input, ctx ?? { transport: 'cli' });
      if (!outcome.ok) throw ContractError.fromShape(outcome.error);
      return outcome.value as never;
    },
    subscribe: (channel, listener, options) => events.on(channel, listener, options)
  };

  const lifecycle = new Lifecycle(app.modules, {
    tolerateStartFailure(mod, error) {
      // On a read-only database (full disk) a module's start-up bookkeeping cannot be written;
      // its reads still answer, which is all a one-shot command on a full disk needs.
      if (!opened.readOnly || (error as { code?: unknown }).code !== 'SQLITE_READONLY') return false;
      logger.debug('skipped a start-up write: the database is read-only', { module: mod.name });
      return true;
    },
    onStartFailure: (mod, error) =>
      logger.error('the core cannot start; stopping what already started', { module: mod.name, error }),
    onStopFailure: (mod, error) => logger.error('module failed to stop', { module: mod.name, error })
  });

  let started = false;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await lifecycle.stop();
    // The kernel goes last: the connection is drained and the database closed after every area.
    await nats.stop();
    await checkpointer?.stop();
    opened.db.close();
  };

  return {
    api,
    context,
    app,
    unservedMethods: unserved,
    async start() {
      if (started) return;
      started = true;
      try {
        await lifecycle.start();
      } catch (error) {
        await stop();
        throw error;
      }
      if (config.autoConnect) void nats.connect();
    },
    stop
  };
}
