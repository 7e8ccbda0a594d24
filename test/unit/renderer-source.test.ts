/**
 * Hardening finding 7: the desktop window's renderer source. ELECTRON_RENDERER_URL pointed an
 * installed app at any page, which then passed the IPC sender check; the renderer loaded from
 * file://. These are the decisions Electron's main process makes, without Electron.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APP_INDEX_URL,
  APP_SCHEME_PRIVILEGES,
  chooseRendererUrl,
  isTrustedRendererUrl,
  resolveAppRequest
} from '../../main/desktop/renderer-source';
import { tempDir } from '../harness/temp';

describe('which renderer the window loads', () => {
  it('ignores ELECTRON_RENDERER_URL in a packaged app (finding 7) and loads app://synos/', () => {
    const choice = chooseRendererUrl({ isPackaged: true, devUrl: 'https://evil.example/' });
    expect(choice.url).toBe(APP_INDEX_URL);
    expect(choice.ignoredDevUrl).toMatch(/packaged/);
    expect(chooseRendererUrl({ isPackaged: true, devUrl: 'http://localhost:5173' }).url).toBe(APP_INDEX_URL);
    expect(chooseRendererUrl({ isPackaged: true, devUrl: undefined })).toEqual({ url: APP_INDEX_URL });
  });

  it('uses a loopback dev server only in an unpackaged run', () => {
    expect(chooseRendererUrl({ isPackaged: false, devUrl: 'http://localhost:5173' }).url).toBe(
      'http://localhost:5173/'
    );
    expect(chooseRendererUrl({ isPackaged: false, devUrl: 'http://127.0.0.1:5173/' }).url).toBe(
      'http://127.0.0.1:5173/'
    );
    for (const devUrl of ['https://evil.example/', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url']) {
      const choice = chooseRendererUrl({ isPackaged: false, devUrl });
      expect(choice.url, devUrl).toBe(APP_INDEX_URL);
      expect(choice.ignoredDevUrl, devUrl).toBeTruthy();
    }
    expect(chooseRendererUrl({ isPackaged: false, devUrl: '' })).toEqual({ url: APP_INDEX_URL });
  });

  it('registers app:// as standard and secure, without bypassing the CSP', () => {
    expect(APP_SCHEME_PRIVILEGES).toMatchObject({ standard: true, secure: true });
    expect('bypassCSP' in APP_SCHEME_PRIVILEGES).toBe(false);
  });
});

describe('the IPC sender origin check', () => {
  it('trusts app://synos/ frames only, when the app loaded app://synos/', () => {
    for (const url of ['app://synos/index.html', 'app://synos/index.html#/streams', 'app://SYNOS/x']) {
      expect(isTrustedRendererUrl(url, APP_INDEX_URL), url).toBe(true);
    }
    for (const url of [
      'file:///opt/synos/resources/app.asar/out/renderer/index.html',
      'app://evil/index.html',
      'app://synos.evil/index.html',
      'app://user@synos/index.html',
      'app://synos:8080/index.html',
      'http://synos/index.html',
      'https://evil.example/',
      'about:blank',
      'garbage'
    ]) {
      expect(isTrustedRendererUrl(url, APP_INDEX_URL), url).toBe(false);
    }
  });

  it('trusts the dev server origin only when that is what was loaded', () => {
    expect(isTrustedRendererUrl('http://localhost:5173/#/x', 'http://localhost:5173/')).toBe(true);
    expect(isTrustedRendererUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
    expect(isTrustedRendererUrl('app://synos/index.html', 'http://localhost:5173/')).toBe(false);
  });
});

describe('app:// path resolution', () => {
  const root = tempDir();
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html>');
  fs.mkdirSync(path.join(root, 'assets'));
  fs.writeFileSync(path.join(root, 'assets', 'index-abc.js'), 'export {}');
  const outside = tempDir();
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret');
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'assets', 'link.txt'));
  fs.symlinkSync(path.join(root, 'index.html'), path.join(root, 'assets', 'inside-link.html'));

  it('serves files of the renderer folder with their content type', () => {
    const index = resolveAppRequest(root, 'app://synos/');
    expect(index).toMatchObject({ ok: true, contentType: 'text/html; charset=utf-8' });
    expect(resolveAppRequest(root, 'app://synos/index.html?x=1#/streams')).toMatchObject({ ok: true });
    const script = resolveAppRequest(root, 'app://synos/assets/index-abc.js', 'HEAD');
    expect(script).toMatchObject({ ok: true, contentType: 'text/javascript; charset=utf-8' });
    if (script.ok) expect(script.file).toBe(fs.realpathSync(path.join(root, 'assets', 'index-abc.js')));
    expect(resolveAppRequest(root, 'app://synos/assets/inside-link.html')).toMatchObject({ ok: true });
  });

  it('refuses traversal, symlinks out of the folder, other hosts, bad paths and methods', () => {
    const refused: Array<[string, number, string?]> = [
      ['app://synos/..%2f..%2fetc%2fpasswd', 403],
      ['app://synos/assets/..%2F..%2F..%2Fetc%2Fpasswd', 403],
      // The URL parser removes encoded dot segments itself: the path stays inside the folder.
      ['app://synos/%2e%2e/%2e%2e/etc/passwd', 404],
      ['app://synos/assets/link.txt', 403],
      ['app://synos/%zz', 400],
      ['app://synos/index.html%00.js', 400],
      ['app://synos/missing.js', 404],
      ['app://synos/assets', 404],
      ['app://other/index.html', 404],
      ['https://synos/index.html', 404],
      ['app://synos/index.html', 405, 'POST']
    ];
    for (const [url, status, method] of refused) {
      expect(resolveAppRequest(root, url, method ?? 'GET'), url).toMatchObject({ ok: false, status });
    }
  });
});
