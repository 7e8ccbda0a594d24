import os from 'node:os';
import path from 'node:path';
import type { OpenedFile } from '../contract';
import type { CoreContext, ModuleFactory } from './module';
import { APP_VERSION } from './version';

/**
 * Files the OS hands the app (a double-clicked .ndjson recording, a path on the command line).
 * The desktop shell offers them; the UI takes them and opens the recordings import.
 */
export class OpenedFiles {
  private pending: OpenedFile[] = [];
  constructor(private readonly ctx: CoreContext) {}

  offer(file: string): void {
    const opened: OpenedFile = { path: path.resolve(file), time: new Date().toISOString() };
    this.pending.push(opened);
    this.ctx.events.emit('system.fileOpened', opened);
  }

  take(): OpenedFile[] {
    const taken = this.pending;
    this.pending = [];
    return taken;
  }
}

export const OPENED_FILES_SERVICE = 'openedFiles';

/** system.* procedures: what the app is and where its data lives. */
export const systemModule: ModuleFactory = (ctx) => {
  const openedFiles = new OpenedFiles(ctx);
  ctx.services.set(OPENED_FILES_SERVICE, openedFiles);
  return {
    name: 'system',
    handlers: {
      'system.takeOpenedFiles': () => openedFiles.take(),
      'system.info': () => ({
        appVersion: APP_VERSION,
        mode: ctx.config.mode,
        dataDir: ctx.config.dataDir,
        databasePath: ctx.databasePath,
        platform: `${os.platform()} ${os.arch()}`,
        nodeVersion: process.versions.node,
        startedAt: ctx.startedAt.toISOString(),
        server: ctx.nats.status().serverInfo,
        databaseRecoveredFrom: ctx.databaseRecoveredFrom
      }),
      'system.notices': () => ctx.notices.list()
    }
  };
};
