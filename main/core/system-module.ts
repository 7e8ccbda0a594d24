import os from 'node:os';
import path from 'node:path';
import { ContractError, type OpenedFile, type StartupSettings } from '../contract';
import { ConfigFileSchema, describeIssues, readConfigFile } from './config';
import { resolveMonitoringSettings } from '../monitoring/settings';
import { CONFIG_FILE } from './paths';
import { ensurePrivateDir, writePrivateFileAtomic } from './file-modes';
import type { CoreContext, CoreModule } from './module';
import { APP_VERSION } from './version';

/**
 * Files the OS hands the app (a double-clicked .ndjson recording, a path on the command line).
 * The desktop shell offers them; the UI takes them and opens the recordings import.
 */
export class OpenedFiles {
  private pending: OpenedFile[] = [];
  constructor(private readonly ctx: CoreContext) {}

  /** The shell offers a file the OS opened with the app; the UI gets a read grant, never the path. */
  offer(file: string): void {
    const { grant, name } = this.ctx.grants.grant(path.resolve(file), 'read');
    const opened: OpenedFile = { name, grant, time: new Date().toISOString() };
    this.pending.push(opened);
    this.ctx.events.emit('system.fileOpened', opened);
  }

  take(): OpenedFile[] {
    const taken = this.pending;
    this.pending = [];
    return taken;
  }
}

/**
 * Reads and edits the start-up settings in config.json, keeping every other key as it is. The
 * file is validated before it is replaced (atomically), so a bad edit never leaves it broken.
 */
function startupSettings(ctx: CoreContext): StartupSettings {
  const configFile = path.join(ctx.config.dataDir, CONFIG_FILE);
  const file = readConfigFile(configFile);
  return {
    synchronous: file.database?.synchronous ?? 'NORMAL',
    metricsPort: file.metricsPort ?? null,
    jetstreamSampleIntervalMs: resolveMonitoringSettings(file.monitoring).jetstreamSampleIntervalMs,
    running: {
      synchronous: ctx.config.database.synchronous,
      metricsPort: ctx.config.metricsPort,
      jetstreamSampleIntervalMs: ctx.config.monitoring.jetstreamSampleIntervalMs
    },
    configFile
  };
}

function saveStartupSettings(
  ctx: CoreContext,
  input: {
    synchronous?: 'NORMAL' | 'FULL' | undefined;
    metricsPort?: number | null | undefined;
    jetstreamSampleIntervalMs?: number | undefined;
  }
): StartupSettings {
  const configFile = path.join(ctx.config.dataDir, CONFIG_FILE);
  const current = readConfigFile(configFile) as Record<string, unknown> & {
    database?: Record<string, unknown>;
    monitoring?: Record<string, unknown>;
  };
  const next: Record<string, unknown> = { ...current };
  if (input.synchronous !== undefined) next.database = { ...(current.database ?? {}), synchronous: input.synchronous };
  if (input.metricsPort !== undefined) next.metricsPort = input.metricsPort;
  if (input.jetstreamSampleIntervalMs !== undefined) {
    next.monitoring = { ...(current.monitoring ?? {}), jetstreamSampleIntervalMs: input.jetstreamSampleIntervalMs };
  }
  const checked = ConfigFileSchema.safeParse(next);
  if (!checked.success) {
    throw new ContractError('CONFIG_INVALID', `config.json would be invalid: ${describeIssues(checked.error.issues)}`);
  }
  ensurePrivateDir(ctx.config.dataDir, ctx.logger);
  // config.json may hold a password: the rewrite is 0600 whatever mode the old file had.
  writePrivateFileAtomic(configFile, JSON.stringify(next, null, 2) + '\n');
  ctx.logger.info('start-up settings saved; they apply at the next start', { configFile, ...input });
  return startupSettings(ctx);
}

export interface SystemModule extends CoreModule {
  /** Where the desktop shell offers the files the OS opened with the app. */
  openedFiles: OpenedFiles;
}

/** system.* procedures: what the app is and where its data lives. */
export function createSystemModule(ctx: CoreContext): SystemModule {
  const openedFiles = new OpenedFiles(ctx);
  return {
    name: 'system',
    openedFiles,
    handlers: {
      'system.takeOpenedFiles': () => openedFiles.take(),
      'settings.startup': () => startupSettings(ctx),
      'settings.setStartup': (input) => saveStartupSettings(ctx, input),
      'system.info': () => ({
        appVersion: APP_VERSION,
        mode: ctx.config.mode,
        dataDir: ctx.config.dataDir,
        databasePath: ctx.databasePath,
        platform: `${os.platform()} ${os.arch()}`,
        nodeVersion: process.versions.node,
        startedAt: ctx.startedAt.toISOString(),
        server: ctx.nats.status().serverInfo,
        databaseRecoveredFrom: ctx.databaseRecoveredFrom,
        secretStorage: ctx.secrets.protection
      }),
      'system.notices': () => ctx.notices.list()
    }
  };
}
