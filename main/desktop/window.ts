import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow } from 'electron';
import { loadWindowState, trackWindowState } from './window-state';
import { hardenWebContents } from './security';
import { chooseRendererUrl, isTrustedRendererUrl as isTrustedFor } from './renderer-source';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The built renderer, served as app://synos/ (see app-protocol.ts). */
export const rendererDir = path.join(here, '../renderer');

/** app://synos/index.html, or the dev server (electron-vite dev) in an unpackaged run. */
export function rendererUrl(): string {
  return chooseRendererUrl({ isPackaged: app.isPackaged, devUrl: process.env.ELECTRON_RENDERER_URL }).url;
}

/** Only the app's own renderer may call into main or be navigated to. */
export function isTrustedRendererUrl(url: string): boolean {
  return isTrustedFor(url, rendererUrl());
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
