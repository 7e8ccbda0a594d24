/**
 * Web mode: an HTTP server that serves the built renderer and a WebSocket at /ws carrying the
 * same messages as IPC. The socket needs the random token (as ?token= or Authorization: Bearer)
 * and an Origin equal to the server's own; the server binds 127.0.0.1 unless told otherwise.
 * GET /healthz answers without a token.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { WS_PATH, type CallRequest } from '../contract';
import type { CoreApi } from '../core/create-core';
import { CSP_HEADER } from '../core/csp';
import type { Logger } from '../core/logger';
import { APP_VERSION } from '../core/version';
import { ClientSession } from './session';
import { handleObjectTransfer } from './object-routes';

export interface WebServerOptions {
  api: CoreApi;
  logger: Logger;
  /** Folder of the built renderer (index.html and assets). */
  staticDir: string;
  host?: string;
  port?: number;
  /** Fixed token (tests); random otherwise. */
  token?: string;
  /** For /healthz. */
  health?: () => Record<string, unknown>;
}

export interface WebServer {
  url: string;
  /** The URL to open, with the token. */
  urlWithToken: string;
  host: string;
  port: number;
  token: string;
  origins: ReadonlySet<string>;
  close(): Promise<void>;
}

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
  '.map': 'application/json; charset=utf-8'
};

/** Pushed events wait (bounded, counted) while this much is still buffered for a client. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Origins a browser may legitimately present: loopback names, the bound host, local addresses when bound to all. */
export function ownOrigins(host: string, port: number): Set<string> {
  const names = new Set<string>(['127.0.0.1', 'localhost', '::1']);
  if (isWildcard(host)) {
    for (const list of Object.values(os.networkInterfaces())) {
      for (const address of list ?? []) names.add(address.address);
    }
    names.add(os.hostname());
  } else {
    names.add(host);
  }
  return new Set([...names].map((name) => `http://${hostForUrl(name)}:${port}`));
}

function tokenMatches(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': CSP_HEADER,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin'
  };
}

/**
 * The request target as a URL, or null when it is not one (`//[`, a bare `*`, an absolute URL
 * naming another scheme): `new URL` throws on those, and a throw inside a listener would end the
 * process with the engine and the outbox.
 */
export function parseRequestTarget(target: string | undefined): URL | null {
  const raw = target ?? '/';
  if (!raw.startsWith('/') || raw.startsWith('//')) return null;
  try {
    return new URL(raw, 'http://localhost');
  } catch {
    return null;
  }
}

function serveStatic(staticDir: string, url: URL, req: http.IncomingMessage, res: http.ServerResponse): void {
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    res.writeHead(400).end('bad path');
    return;
  }
  const root = path.resolve(staticDir);
  let file = path.resolve(root, '.' + (pathname === '/' ? '/index.html' : pathname));
  if (file !== root && !file.startsWith(root + path.sep)) {
    res.writeHead(403).end('forbidden');
    return;
  }
  if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) {
    // Client-side routes fall back to the app shell.
    file = path.join(root, 'index.html');
  }
  if (!fs.existsSync(file)) {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`The UI is not built (no ${file}). Run: npm run build`);
    return;
  }
  const headers: Record<string, string> = {
    ...securityHeaders(),
    'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
    'Cache-Control': file.endsWith('index.html') ? 'no-store' : 'public, max-age=3600'
  };
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  fs.createReadStream(file).pipe(res);
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const logger = options.logger.child({ part: 'web' });
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  let origins = new Set<string>();
  let port = 0;

  const handleRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = parseRequestTarget(req.url);
    if (!url) {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('bad request target');
      return;
    }
    if (handleObjectTransfer(req, res, url)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify({ status: 'ok', version: APP_VERSION, ...(options.health?.() ?? {}) }));
      return;
    }
    serveStatic(options.staticDir, url, req, res);
  };
  const server = http.createServer((req, res) => {
    try {
      handleRequest(req, res);
    } catch (error) {
      // Last resort: whatever escaped is logged and answered, never allowed to end the process.
      logger.error('request handler failed', { error, method: req.method, target: String(req.url).slice(0, 200) });
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('internal error');
    }
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });

  const handleUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const refuse = (status: number, reason: string): void => {
      logger.warn('refused a WebSocket upgrade', { reason, origin: req.headers.origin ?? null });
      socket.write(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${reason}`
      );
      socket.destroy();
    };
    const url = parseRequestTarget(req.url);
    if (!url) return refuse(400, 'bad request target');
    if (url.pathname !== WS_PATH) return refuse(404, 'not found');
    const origin = req.headers.origin;
    if (!origin || !origins.has(origin)) return refuse(403, 'origin not allowed');
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? null;
    if (!tokenMatches(url.searchParams.get('token') ?? bearer, token)) return refuse(401, 'missing or wrong token');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    try {
      handleUpgrade(req, socket, head);
    } catch (error) {
      logger.error('upgrade handler failed', { error, target: String(req.url).slice(0, 200) });
      socket.destroy();
    }
  });

  wss.on('connection', (ws: WebSocket) => {
    const session = new ClientSession(
      options.api,
      'ws',
      (batch) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(batch));
      },
      undefined,
      () => ws.bufferedAmount < MAX_BUFFERED_BYTES
    );
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        ws.send(
          JSON.stringify({
            kind: 'result',
            id: 0,
            ok: false,
            error: { code: 'INVALID_INPUT', message: 'binary frames are not accepted' }
          })
        );
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(data.toString());
      } catch {
        ws.send(
          JSON.stringify({
            kind: 'result',
            id: 0,
            ok: false,
            error: { code: 'INVALID_INPUT', message: 'message is not JSON' }
          })
        );
        return;
      }
      // `null`, a number or an array parse as JSON too: only an object can be a call.
      const message: Partial<CallRequest> =
        typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Partial<CallRequest>) : {};
      const id = typeof message.id === 'number' && Number.isSafeInteger(message.id) ? message.id : 0;
      if (message.kind !== 'call' || typeof message.method !== 'string') {
        ws.send(
          JSON.stringify({
            kind: 'result',
            id,
            ok: false,
            error: { code: 'INVALID_INPUT', message: 'expected { kind: "call", id, method, input }' }
          })
        );
        return;
      }
      session
        .handle(id, message.method, message.input)
        .then((result) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(result));
        })
        .catch((error: unknown) => logger.error('websocket reply failed', { error, method: message.method }));
    });
    ws.on('close', () => session.close());
    ws.on('error', (error) => logger.debug('websocket error', { error }));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  origins = ownOrigins(host, port);
  const shownHost = isWildcard(host) ? '127.0.0.1' : hostForUrl(host);
  const url = `http://${shownHost}:${port}`;
  logger.info('web UI listening', { url, host });

  return {
    url,
    urlWithToken: `${url}/?token=${token}`,
    host,
    port,
    token,
    origins,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      })
  };
}
