/**
 * An area of the core (nats, engine, outbox, …) plugs in as a module: its handlers for the
 * contract's procedures, and what to do at start and stop. Modules get their dependencies in the
 * context; they never build their own database or connection.
 */
import type { Notice } from '../contract';
import type { Handlers } from '../api/router';
import type { Database } from '../store/database';
import type { ConnectionManager } from '../nats/connection';
import type { FileChooser, Notifier } from './adapters';
import type { FileGrants } from './file-grants';
import type { Config } from './config';
import type { EventHub } from './event-hub';
import type { Logger } from './logger';
import type { SecretStore } from './secrets';

export interface CoreContext {
  config: Config;
  logger: Logger;
  db: Database;
  databasePath: string;
  databaseRecoveredFrom: string | null;
  /** Why the database is open read-only (the disk is full); null when it can be written. */
  databaseReadOnly?: string | null;
  events: EventHub;
  nats: ConnectionManager;
  secrets: SecretStore;
  notifier: Notifier | null;
  /** Files the user chose (dialog, file-open), known to the API only by grant id. */
  grants: FileGrants;
  /** The desktop's native file dialog; null in web mode and the CLI. */
  fileChooser: FileChooser | null;
  notices: NoticeBoard;
  startedAt: Date;
  /**
   * Services other modules may use, registered by the module that owns them
   * (e.g. `services.outbox`). Look up with {@link getService}.
   */
  services: Map<string, unknown>;
}

export interface CoreModule {
  name: string;
  handlers?: Partial<Handlers>;
  /** Runs in module order when the core starts, before the NATS connection is attempted. */
  start?(): Promise<void> | void;
  /** Runs in reverse module order when the core stops, before the connection is drained. */
  stop?(): Promise<void> | void;
}

export type ModuleFactory = (ctx: CoreContext) => CoreModule;

/** Notices for the operator, kept for the session and pushed on `system.notice`. */
export class NoticeBoard {
  private readonly items: Notice[] = [];
  constructor(private readonly publish: (notice: Notice) => void) {}

  add(level: Notice['level'], code: string, message: string, details?: unknown): Notice {
    const notice: Notice = { level, code, message, time: new Date().toISOString() };
    if (details !== undefined) notice.details = details;
    this.items.push(notice);
    if (this.items.length > 200) this.items.shift();
    this.publish(notice);
    return notice;
  }

  list(): Notice[] {
    return [...this.items];
  }
}

export function getService<T>(ctx: CoreContext, name: string): T {
  const service = ctx.services.get(name);
  if (service === undefined) throw new Error(`service "${name}" is not registered (module order?)`);
  return service as T;
}
