/**
 * Where the desktop window's renderer comes from, as pure decisions (no Electron import, unit
 * tested): the built renderer is served from the privileged `app://synos/` scheme; a dev server
 * URL (ELECTRON_RENDERER_URL) is honoured only in an unpackaged run and only on loopback, so an
 * installed app cannot be pointed at another page that would then pass the IPC sender check.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isLoopbackHost } from '../transport/web-security';

export const APP_SCHEME = 'app';
export const APP_HOST = 'synos';
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/**
 * The scheme's privileges: standard (relative URLs, an origin of its own, storage), secure (a
 * secure context like https), fetch and CORS for the bundle's module scripts. Not bypassCSP: the
 * page's CSP applies as it did under file://.
 */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: true,
  corsEnabled: true,
  codeCache: true
} as const;

export interface RendererChoice {
  url: string;
  /** Why the dev URL was not used, when one was set. */
  ignoredDevUrl?: string;
}

/** The URL the window loads. */
export function chooseRendererUrl(input: { isPackaged: boolean; devUrl: string | undefined }): RendererChoice {
  const devUrl = input.devUrl?.trim();
  if (!devUrl) return { url: APP_INDEX_URL };
  if (input.isPackaged) {
    return { url: APP_INDEX_URL, ignoredDevUrl: 'ELECTRON_RENDERER_URL is ignored in a packaged app' };
  }
  let parsed: URL;
  try {
    parsed = new URL(devUrl);
  } catch {
    return { url: APP_INDEX_URL, ignoredDevUrl: 'ELECTRON_RENDERER_URL is not a URL' };
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !isLoopbackHost(parsed.hostname)) {
    return {
      url: APP_INDEX_URL,
      ignoredDevUrl: 'ELECTRON_RENDERER_URL must be an http(s) URL on this machine (a dev server on loopback)'
    };
  }
  return { url: parsed.toString() };
}

/**
 * Whether a frame or navigation URL is the app's own renderer: `app://synos/…`, or the dev
 * server's origin when that is what was loaded. (Node gives non-special schemes the origin
 * "null", so app:// is compared by scheme and host.)
 */
export function isTrustedRendererUrl(url: string, rendererUrl: string): boolean {
  let target: URL;
  let own: URL;
  try {
    target = new URL(url);
    own = new URL(rendererUrl);
  } catch {
    return false;
  }
  if (own.protocol === `${APP_SCHEME}:`) {
    // Chromium lower-cases the host of a standard scheme; Node's parser does not for app:.
    return (
      target.protocol === own.protocol &&
      target.hostname.toLowerCase() === own.hostname.toLowerCase() &&
      target.username === '' &&
      target.port === ''
    );
  }
  return (own.protocol === 'http:' || own.protocol === 'https:') && target.origin === own.origin;
}

export type AppRequestResolution =
  { ok: true; file: string; contentType: string } | { ok: false; status: 400 | 403 | 404 | 405; reason: string };

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm'
};

/**
 * Maps an `app://synos/<path>` request to a regular file inside the built renderer folder.
 * Refused: another scheme or host, methods other than GET/HEAD, undecodable or NUL paths, `..`
 * escapes (encoded or not), and symlinks whose target lies outside the folder.
 */
export function resolveAppRequest(
  rootDir: string,
  requestUrl: string,
  method = 'GET',
  realpath: (p: string) => string = fs.realpathSync
): AppRequestResolution {
  if (method !== 'GET' && method !== 'HEAD') return { ok: false, status: 405, reason: 'only GET and HEAD' };
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { ok: false, status: 400, reason: 'not a URL' };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host.toLowerCase() !== APP_HOST) {
    return { ok: false, status: 404, reason: 'not an app://synos URL' };
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return { ok: false, status: 400, reason: 'undecodable path' };
  }
  if (pathname.includes('\0')) return { ok: false, status: 400, reason: 'NUL in path' };
  const root = path.resolve(rootDir);
  const file = path.resolve(root, '.' + (pathname === '/' || pathname === '' ? '/index.html' : pathname));
  if (file !== root && !file.startsWith(root + path.sep)) {
    return { ok: false, status: 403, reason: 'outside the renderer folder' };
  }
  let real: string;
  let realRoot: string;
  try {
    real = realpath(file);
    realRoot = realpath(root);
  } catch {
    return { ok: false, status: 404, reason: 'no such file' };
  }
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
    return { ok: false, status: 403, reason: 'links outside the renderer folder' };
  }
  try {
    if (!fs.statSync(real).isFile()) return { ok: false, status: 404, reason: 'not a file' };
  } catch {
    return { ok: false, status: 404, reason: 'no such file' };
  }
  return { ok: true, file: real, contentType: MIME[path.extname(real).toLowerCase()] ?? 'application/octet-stream' };
}
