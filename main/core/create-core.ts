/**
 * The composition root: `createCore(config)` builds every part from one configuration and returns
 * `{ api, start, stop }`. It never imports electron; what the desktop adds comes in as adapters.
 */
import path from 'node:path';
import {
  ContractError,
  SESSION_METHODS,
  procedures,
  type CoreMethod,
  type EventChannel,
  type InputOf,
  type OutputOf,
  type PayloadOf
} from '../contract';
import { createRouter, type CallContext, type CallOutcome, type Handlers } from '../api/router';
import { ConnectionManager } from '../nats/connection';
import { startBackgroundCheckpoints, type BackgroundCheckpointer } from '../store/checkpointer';
import { openDatabase } from '../store/database';
import { nativeBinding } from '../store/native-binding';
import { MIGRATIONS } from '../store/migrations';
import type { HostAdapters } from './adapters';
import type { Config } from './config';
import { EventHub } from './event-hub';
import { createLogger, type Logger } from './logger';
import { MODULES } from './modules';
import { NoticeBoard, type CoreContext, type CoreModule, type ModuleFactory } from './module';
import { CONFIG_FILE, DATABASE_FILE } from './paths';
import { tightenFile } from './file-modes';
import { createKeyFileSecretStore } from './secrets';

/** What transports and the CLI use to talk to the core. */
export interface CoreApi {
  /** Validated dispatch by name; never throws. */
  call(method: string, input: unknown, ctx?: CallContext): Promise<CallOutcome>;
  /** Typed call for in-process callers (CLI); throws ContractError on failure. */
  invoke<M extends CoreMethod>(method: M, input: InputOf<M>, ctx?: CallContext): Promise<OutputOf<M>>;
  /** Pushed events; a client session passes its id so events addressed to other sessions skip it. */
  subscribe<C extends EventChannel>(
    channel: C,
    listener: (payload: PayloadOf<C>) => void,
    options?: { sessionId?: string }
  ): () => void;
}

export interface Core {
  api: CoreApi;
  context: CoreContext;
  /** Contract procedures no module handles (empty in a complete build). */
  unservedMethods: readonly string[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface CreateCoreOptions {
  adapters?: HostAdapters;
  logger?: Logger;
  /** Module list override (tests); defaults to every area. */
  modules?: readonly ModuleFactory[];
  /** Validate handler outputs against the contract (tests). */
  validateOutput?: boolean;
}

export function createCore(config: Config, options: CreateCoreOptions = {}): Core {
  const logger = options.logger ?? createLogger({ level: config.log.level, format: config.log.format });
  const events = new EventHub((channel, error) => logger.error('event listener failed', { channel, error }));
  const notices = new NoticeBoard((notice) => events.emit('system.notice', notice));

  const databasePath = path.join(config.dataDir, DATABASE_FILE);
  const opened = openDatabase(databasePath, {
    migrations: MIGRATIONS,
    logger,
    synchronous: config.database.synchronous
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
    events,
    nats,
    secrets: options.adapters?.secrets ?? createKeyFileSecretStore(config.dataDir, logger),
    notifier: options.adapters?.notifier ?? null,
    notices,
    startedAt: new Date(),
    services: new Map()
  };

  const modules: CoreModule[] = (options.modules ?? MODULES).map((factory) => factory(context));
  const handlers: Partial<Handlers> = {};
  for (const mod of modules) {
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
  if (unserved.length > 0 && !options.modules) logger.warn('procedures without a handler', { methods: unserved });
  const router = createRouter(handlers, { logger, validateOutput: options.validateOutput ?? false });

  const api: CoreApi = {
    call: (method, input, ctx) => router.call(method, input, ctx ?? { transport: 'memory' }),
    async invoke(method, input, ctx) {
      const outcome = await router.call(method, input, ctx ?? { transport: 'cli' });
      if (!outcome.ok) throw ContractError.fromShape(outcome.error);
      return outcome.value as never;
    },
    subscribe: (channel, listener, options) => events.on(channel, listener, options)
  };

  let started = false;
  let stopped = false;
  const startedModules: CoreModule[] = [];

  return {
    api,
    context,
    unservedMethods: unserved,
    async start() {
      if (started) return;
      started = true;
      for (const mod of modules) {
        await mod.start?.();
        startedModules.push(mod);
      }
      if (config.autoConnect) void nats.connect();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const mod of [...startedModules].reverse()) {
        try {
          await mod.stop?.();
        } catch (error) {
          logger.error('module failed to stop', { module: mod.name, error });
        }
      }
      await nats.stop();
      await checkpointer?.stop();
      opened.db.close();
    }
  };
}
