/**
 * Self-update for installed builds (electron-updater, GitHub release feed; policy in
 * update-policy.ts). Updates download in the background, but nothing is installed without the
 * operator: when a version is ready the app asks — restart and install now, install when the app
 * quits, or later.
 */
import { app, dialog, type BrowserWindow } from 'electron';
import electronUpdater, { type UpdateInfo } from 'electron-updater';
import type { Logger } from '../core/logger';
import { updatesOffReason } from './update-policy';

/** How often an installed app looks for a new release after the first check. */
const CHECK_INTERVAL_MS = 6 * 60 * 60 * 1000;
/** Let the window and the core come up before the first check. */
const FIRST_CHECK_DELAY_MS = 15_000;

export interface UpdaterOptions {
  logger: Logger;
  /** The window the question is attached to, if one is open. */
  getWindow: () => BrowserWindow | null;
}

/** A running updater; stop() clears its timers (on quit). */
export interface Updater {
  /** Why updates are off here, or null when they are on. */
  readonly offReason: string | null;
  stop(): void;
}

function releaseNotes(info: UpdateInfo): string {
  const notes = info.releaseNotes;
  const text =
    typeof notes === 'string' ? notes : Array.isArray(notes) ? notes.map((n) => n.note ?? '').join('\n') : '';
  // GitHub release notes arrive as HTML; the dialog shows plain text.
  const plain = text
    .replace(/<[^>]+>/g, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return plain.length > 600 ? `${plain.slice(0, 600)}…` : plain;
}

/** Starts checking for updates when this build may update itself; otherwise logs why not and does nothing. */
export function startUpdater({ logger, getWindow }: UpdaterOptions): Updater {
  const log = logger.child({ component: 'updater' });
  const offReason = updatesOffReason({
    isPackaged: app.isPackaged,
    platform: process.platform,
    resourcesPath: process.resourcesPath,
    env: process.env
  });
  if (offReason) {
    log.info('self-update is off', { reason: offReason });
    return { offReason, stop: () => undefined };
  }

  const { autoUpdater } = electronUpdater;
  autoUpdater.logger = {
    info: (message?: unknown) => log.debug(String(message)),
    warn: (message?: unknown) => log.warn(String(message)),
    error: (message?: unknown) => log.error(String(message)),
    debug: (message?: unknown) => log.debug(String(message))
  };
  autoUpdater.autoDownload = true;
  // Installing is the operator's decision (the question below), never a side effect of quitting.
  autoUpdater.autoInstallOnAppQuit = false;

  let asked: string | null = null;
  autoUpdater.on('update-available', (info: UpdateInfo) =>
    log.info('update available, downloading', { version: info.version })
  );
  autoUpdater.on('error', (error: Error) => log.warn('update check failed', { error }));
  autoUpdater.on('update-downloaded', (info: UpdateInfo) => {
    if (asked === info.version) return;
    asked = info.version;
    log.info('update downloaded', { version: info.version });
    const window = getWindow();
    const options: Electron.MessageBoxOptions = {
      type: 'info',
      title: 'Update ready',
      message: `${app.getName()} ${info.version} is ready to install (you have ${app.getVersion()}).`,
      detail: releaseNotes(info) || 'Restarting closes the app; your data and connections stay as they are.',
      buttons: ['Restart and install', 'Install when I quit', 'Later'],
      defaultId: 0,
      cancelId: 2,
      noLink: true
    };
    void (window ? dialog.showMessageBox(window, options) : dialog.showMessageBox(options)).then(({ response }) => {
      if (response === 0) {
        log.info('installing update now', { version: info.version });
        // Let the dialog close before the app starts quitting.
        setImmediate(() => autoUpdater.quitAndInstall());
      } else if (response === 1) {
        log.info('update will install when the app quits', { version: info.version });
        autoUpdater.autoInstallOnAppQuit = true;
      } else {
        // Asked again at the next check; the download is kept.
        asked = null;
        log.info('update postponed', { version: info.version });
      }
    });
  });

  const check = (): void => {
    autoUpdater.checkForUpdates().catch((error: unknown) => log.warn('update check failed', { error }));
  };
  const first = setTimeout(check, FIRST_CHECK_DELAY_MS);
  const every = setInterval(check, CHECK_INTERVAL_MS);
  return {
    offReason: null,
    stop() {
      clearTimeout(first);
      clearInterval(every);
    }
  };
}
