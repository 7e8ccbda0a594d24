/**
 * An area of the core (nats, engine, outbox, …) plugs in as a module: its handlers for the
 * contract's procedures, and what to do at start and stop. Every area gets the kernel below (the
 * same for all) and, as typed constructor parameters, the other areas' parts it needs; the
 * composition root (main/app/compose.ts) builds them in dependency order. There is no registry to
 * look a part up in by name: a missing piece is a type error, or a clear refusal to start.
 */
import type { Notice } from '../contract';
import type { Handlers } from '../api/router';
import type { Database } from '../store/database';
import type { ConnectionManager } from '../nats/connection';
import type { FileChooser, FileDialogs, Notifier } from './adapters';
import type { FileGrants } from './file-grants';
import type { Config } from './config';
import type { EventHub } from './event-hub';
import type { Logger } from './logger';
import type { SecretStore } from './secrets';
import { RingBuffer } from './ring-buffer';

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
  /** The desktop's dialogs for object uploads and downloads by path; null in web mode and the CLI. */
  fileDialogs: FileDialogs | null;
  notices: NoticeBoard;
  startedAt: Date;
}

export interface CoreModule {
  name: string;
  handlers?: Partial<Handlers>;
  /** Runs in module order when the core starts, before the NATS connection is attempted. */
  start?(): Promise<void> | void;
  /** Runs in reverse module order when the core stops, before the connection is drained. */
  stop?(): Promise<void> | void;
}

/** Notices for the operator, kept for the session and pushed on `system.notice`. */
export class NoticeBoard {
  /** The newest 200: a session that keeps raising notices cannot grow the core's memory. */
  private readonly items = new RingBuffer<Notice>(200);
  constructor(private readonly publish: (notice: Notice) => void) {}

  add(level: Notice['level'], code: string, message: string, details?: unknown): Notice {
    const notice: Notice = { level, code, message, time: new Date().toISOString() };
    if (details !== undefined) notice.details = details;
    this.items.push(notice);
    this.publish(notice);
    return notice;
  }

  list(): Notice[] {
    return [...this.items];
  }
}
