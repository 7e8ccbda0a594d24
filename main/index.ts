/**
 * The desktop shell: Electron's main process. Thin on purpose — it builds the same core as the CLI
 * and web mode, with desktop adapters (OS keychain secrets, notifications), wires IPC and opens
 * the window. Everything else lives in the core and is tested on Node.
 */
import { app, BrowserWindow, dialog, ipcMain, session } from 'electron';
import { loadConfig } from './core/config';
import { createCore, type Core } from './app/create-core';
import { createLogger } from './core/logger';
import { handleAppScheme, registerAppScheme } from './desktop/app-protocol';
import { createDialogFileChooser } from './desktop/file-dialog';
import { createElectronNotifier } from './desktop/notifications';
import { installAppMenu } from './desktop/menu';
import { createSafeStorageSecretStore } from './desktop/secrets';
import { hardenSession } from './desktop/security';
import { startUpdater } from './desktop/updater';
import { chooseRendererUrl } from './desktop/renderer-source';
import { createMainWindow, isTrustedRendererUrl, rendererDir } from './desktop/window';
import { registerIpcTransport } from './transport/ipc';
import { createFileDialogs } from './desktop/file-dialogs';

const rendererChoice = chooseRendererUrl({ isPackaged: app.isPackaged, devUrl: process.env.ELECTRON_RENDERER_URL });
const isDev = !rendererChoice.url.startsWith('app:');
// The renderer's scheme must be privileged before 'ready'.
registerAppScheme();
let core: Core | null = null;
let mainWindow: BrowserWindow | null = null;
/** Recordings opened before the core exists (macOS open-file arrives early). */
const earlyFiles: string[] = [];

function recordingsIn(argv: readonly string[]): string[] {
  return argv.filter((arg) => /\.(ndjson|jsonl|csv)$/i.test(arg) && !arg.startsWith('-'));
}

function openRecording(file: string): void {
  if (!core) {
    earlyFiles.push(file);
    return;
  }
  core.app.system.openedFiles.offer(file);
  mainWindow?.show();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('open-file', (event, file) => {
    event.preventDefault();
    openRecording(file);
  });

  app.on('second-instance', (_event, argv) => {
    for (const file of recordingsIn(argv.slice(1))) openRecording(file);
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });

  void app.whenReady().then(async () => {
    const dataDir = app.getPath('userData');
    const config = loadConfig({ mode: 'desktop', overrides: { dataDir } });
    const logger = createLogger({ level: config.log.level, format: config.log.format });
    hardenSession(session.defaultSession);
    handleAppScheme(rendererDir, logger);
    if (rendererChoice.ignoredDevUrl) logger.warn(rendererChoice.ignoredDevUrl);
    core = createCore(config, {
      logger,
      adapters: {
        secrets: createSafeStorageSecretStore(dataDir, logger),
        notifier: createElectronNotifier(),
        // Dialogs are modal to the window; the chosen file reaches the renderer only as a grant.
        fileChooser: createDialogFileChooser(
          {
            showOpenDialog: (options) =>
              mainWindow ? dialog.showOpenDialog(mainWindow, options) : dialog.showOpenDialog(options),
            showSaveDialog: (options) =>
              mainWindow ? dialog.showSaveDialog(mainWindow, options) : dialog.showSaveDialog(options)
          },
          { defaultDir: () => app.getPath('documents') }
        ),
        fileDialogs: createFileDialogs(() => mainWindow)
      }
    });
    registerIpcTransport({ ipcMain, api: core.api, logger, isTrustedUrl: isTrustedRendererUrl });
    installAppMenu(isDev);
    mainWindow = createMainWindow(dataDir);
    mainWindow.on('closed', () => (mainWindow = null));
    await core.start();
    for (const file of [...earlyFiles.splice(0), ...recordingsIn(process.argv.slice(1))]) openRecording(file);
    // Installed builds look for updates and ask before installing (off for deb/rpm and unpackaged runs).
    const updater = startUpdater({ logger, getWindow: () => mainWindow });
    app.on('will-quit', () => updater.stop());

    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) mainWindow = createMainWindow(dataDir);
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  let stopping = false;
  app.on('before-quit', (event) => {
    if (!core || stopping) return;
    // Drain NATS and close the database before leaving.
    event.preventDefault();
    stopping = true;
    void core.stop().finally(() => app.quit());
  });
}
