import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BrowserWindow } from 'electron';
import { loadWindowState, trackWindowState } from './window-state';
import { hardenWebContents } from './security';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererIndex = path.join(here, '../renderer/index.html');

/** The dev server (electron-vite dev) or the built renderer file. */
export function rendererUrl(): string {
  return process.env.ELECTRON_RENDERER_URL ?? pathToFileURL(rendererIndex).toString();
}

/** Only the app's own renderer may call into main or be navigated to. */
export function isTrustedRendererUrl(url: string): boolean {
  try {
    const target = new URL(url);
    const own = new URL(rendererUrl());
    if (own.protocol === 'file:') return target.protocol === 'file:' && target.pathname === own.pathname;
    return target.origin === own.origin;
  } catch {
    return false;
  }
}

export function createMainWindow(dataDir: string): BrowserWindow {
  const state = loadWindowState(dataDir);
  const window = new BrowserWindow({
    width: state.bounds.width,
    height: state.bounds.height,
    ...(state.positioned ? { x: state.bounds.x, y: state.bounds.y } : {}),
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Syn_OS Control Center',
    autoHideMenuBar: false,
    webPreferences: {
      preload: path.join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false
    }
  });
  if (state.maximized) window.maximize();
  hardenWebContents(window.webContents, isTrustedRendererUrl);
  trackWindowState(window, dataDir);
  window.once('ready-to-show', () => window.show());
  void window.loadURL(rendererUrl());
  return window;
}
