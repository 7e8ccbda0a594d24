/**
 * The `app://synos/` scheme that serves the built renderer in place of file://: registered as
 * privileged before the app is ready, handled from the renderer folder once it is (path
 * decisions in renderer-source.ts).
 */
import fs from 'node:fs';
import { protocol } from 'electron';
import { CSP_HEADER } from '../core/csp';
import type { Logger } from '../core/logger';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, resolveAppRequest } from './renderer-source';

/** Must run before app 'ready' (Electron reads privileged schemes once, at startup). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }]);
}

/** After 'ready': answers app://synos/<path> with the file from rendererDir, or a refusal. */
export function handleAppScheme(rendererDir: string, logger: Logger): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const resolved = resolveAppRequest(rendererDir, request.url, request.method);
    if (!resolved.ok) {
      logger.warn('refused an app:// request', { url: request.url.slice(0, 200), reason: resolved.reason });
      return new Response(resolved.reason, {
        status: resolved.status,
        headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }
      });
    }
    const body = request.method === 'HEAD' ? null : await fs.promises.readFile(resolved.file);
    return new Response(body, {
      status: 200,
      headers: {
        'Content-Type': resolved.contentType,
        'Content-Security-Policy': CSP_HEADER,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-cache'
      }
    });
  });
}
