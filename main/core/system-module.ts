import os from 'node:os';
import type { ModuleFactory } from './module';
import { APP_VERSION } from './version';

/** system.* procedures: what the app is and where its data lives. */
export const systemModule: ModuleFactory = (ctx) => ({
  name: 'system',
  handlers: {
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
});
