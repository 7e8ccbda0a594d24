/**
 * Web mode: an HTTP(S) server that serves the built renderer and a WebSocket at /ws carrying the
 * same messages as IPC. The socket needs the random token (as ?token= or Authorization: Bearer)
 * and an Origin equal to the server's own; the server binds 127.0.0.1 unless told otherwise.
 * GET /healthz answers without a token.
 *
 * Nothing a client sends may end the process: every listener validates what it reads (request
 * target, Host, frame shape) and answers 400/421/close with a reason, and each has a last-resort
 * catch that logs the escaped error with its context. Requests are dispatched through a small
 * route table (ROUTES below, plus options.routes); anything else is the static UI.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { pipeline } from 'node:stream';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { WS_PATH, type CallRequest } from '../contract';
import type { CoreApi } from '../api/core-api';
import type { Logger } from '../core/logger';
import type { RouteContext, WebRoute, WebRouteFactory } from '../core/web-route';
import { objectTransferRoute } from '../core/transfer-tickets';
import { keyUploadRoute } from '../core/key-upload';
import { APP_VERSION } from '../core/version';
import { AuthThrottle, RefusalSummary, type AuthThrottleOptions } from './auth-throttle';
import { ClientSession } from './session';
import {
  allowedHostNames,
  certificateNames,
  hostForUrl,
  hostHeaderName,
  isWildcardHost,
  normaliseHostName,
  originsFor,
  rawResponse,
  securityHeaders
} from './web-security';

export { isLoopbackHost } from './web-security';

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
  /** Serve HTTPS and WSS with this certificate chain and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Host names answered besides the loopback names, the bound host and the certificate's names. */
  allowHosts?: readonly string[];
  /** Token guesses allowed per client and window. */
  throttle?: AuthThrottleOptions;
  /** How often refused requests are summed up in one log line (default 60 s). */
  refusalLogIntervalMs?: number;
  /** More routes (tests, features wired by the caller). */
  routes?: readonly WebRoute[];
}

export interface WebServer {
  url: string;
  /** The URL to open, with the token. */
  urlWithToken: string;
  host: string;
  port: number;
  token: string;
  origins: ReadonlySet<string>;
  /** Host header names the server answers to. */
  hostNames: ReadonlySet<string>;
  close(): Promise<void>;
}

export type { RouteContext, WebRoute, WebRouteFactory } from '../core/web-route';

/** Feature routes mounted on every web server, one line each (the static UI answers everything else). */
const ROUTES: readonly WebRouteFactory[] = [() => objectTransferRoute, () => keyUploadRoute];

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

function tokenMatches(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
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

function routeMatches(route: WebRoute, pathname: string): boolean {
  return route.path.endsWith('/') ? pathname.startsWith(route.path) : pathname === route.path;
}

function clientOf(req: http.IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

function fileIsServable(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function serveStatic(staticDir: string, url: URL, req: http.IncomingMessage, res: http.ServerResponse): void {
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('bad path');
    return;
  }
  if (pathname.includes('\0')) {
    res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('bad path');
    return;
  }
  const root = path.resolve(staticDir);
  let file = path.resolve(root, '.' + (pathname === '/' ? '/index.html' : pathname));
  if (file !== root && !file.startsWith(root + path.sep)) {
    res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end('forbidden');
    return;
  }
  // Client-side routes fall back to the app shell.
  if (!fileIsServable(file)) file = path.join(root, 'index.html');
  if (!fileIsServable(file)) {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`The UI is not built (no ${file}). Run: npm run build`);
    return;
  }
  res.writeHead(200, {
    'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
    'Cache-Control': file.endsWith('index.html') ? 'no-store' : 'public, max-age=3600'
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  // pipeline: a read error (the file went away) ends this response instead of the process.
  pipeline(fs.createReadStream(file), res, () => undefined);
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const logger = options.logger.child({ part: 'web' });
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const tls = options.tls !== undefined;
  const certNames = options.tls ? certificateNames(options.tls.cert) : [];
  const hostNames = allowedHostNames(host, [...certNames, ...(options.allowHosts ?? [])]);
  let origins = new Set<string>();
  let port = 0;
  const throttle = new AuthThrottle(options.throttle);
  const refusals = new RefusalSummary(logger, options.refusalLogIntervalMs);
  const headers = securityHeaders(tls);

  /** The token check shared by the socket and token-protected routes. */
  const checkToken = (
    req: http.IncomingMessage,
    url: URL
  ): { ok: true } | { ok: false; status: 401 | 429; retryAfterS?: number } => {
    const client = clientOf(req);
    const blocked = throttle.blockedFor(client);
    if (blocked > 0) {
      refusals.add('throttled', client);
      return { ok: false, status: 429, retryAfterS: Math.ceil(blocked / 1000) };
    }
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? null;
    if (tokenMatches(url.searchParams.get('token') ?? bearer, token)) {
      throttle.succeed(client);
      return { ok: true };
    }
    throttle.fail(client);
    refusals.add('token', client);
    return { ok: false, status: 401 };
  };

  const originAllowed = (req: http.IncomingMessage): boolean => {
    const origin = req.headers.origin;
    return origin === undefined || origins.has(origin);
  };

  const sendText = (
    res: http.ServerResponse,
    status: number,
    body: string,
    extra: Record<string, string> = {}
  ): void => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...extra });
    res.end(body);
  };

  const routes: WebRoute[] = [
    {
      path: '/healthz',
      methods: ['GET', 'HEAD'],
      handle: ({ res, req }) => {
        const body = JSON.stringify({ status: 'ok', version: APP_VERSION, ...(options.health?.() ?? {}) });
        res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      }
    },
    ...ROUTES.flatMap((factory) => factory({ logger })),
    ...(options.routes ?? [])
  ];

  /** Host header check: a name the server does not answer to is DNS rebinding or a misdirected request. */
  const hostRefusal = (req: http.IncomingMessage): { status: number; reason: string } | null => {
    const name = hostHeaderName(req.headers.host);
    if (name === null) return { status: 400, reason: 'missing or malformed Host header' };
    if (!hostNames.has(name)) {
      return {
        status: 421,
        reason: `this server does not answer to the host name "${name}" (start serve with --allow-host ${name} if it should)`
      };
    }
    return null;
  };

  const handleRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    const url = parseRequestTarget(req.url);
    if (!url) return sendText(res, 400, 'bad request target');
    const misdirected = hostRefusal(req);
    if (misdirected) {
      refusals.add(`host ${misdirected.status}`, clientOf(req));
      return sendText(res, misdirected.status, misdirected.reason);
    }
    const route = routes.find((r) => routeMatches(r, url.pathname));
    if (route) {
      if (!route.methods.includes(req.method ?? '')) {
        return sendText(res, 405, 'method not allowed', { Allow: route.methods.join(', ') });
      }
      const context: RouteContext = {
        req,
        res,
        url,
        logger,
        authorize: () => {
          const verdict = checkToken(req, url);
          if (verdict.ok) return true;
          if (verdict.status === 429) {
            sendText(res, 429, 'too many wrong tokens from this address; try again later', {
              'Retry-After': String(verdict.retryAfterS ?? 60)
            });
          } else {
            sendText(res, 401, 'missing or wrong token', { 'WWW-Authenticate': 'Bearer' });
          }
          return false;
        },
        sameOrigin: () => originAllowed(req),
        send: (status, body, extra = {}) => {
          if (typeof body === 'string') return sendText(res, status, body, extra);
          res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...extra });
          res.end(JSON.stringify(body));
        }
      };
      const outcome = route.handle(context);
      if (outcome instanceof Promise) {
        outcome.catch((error: unknown) => lastResort(error, req, res));
      }
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendText(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
    serveStatic(options.staticDir, url, req, res);
  };

  /** Whatever escaped a handler is logged with its context and answered, never allowed to end the process. */
  const lastResort = (error: unknown, req: http.IncomingMessage, res: http.ServerResponse): void => {
    logger.error('request handler failed', {
      error,
      method: req.method,
      target: String(req.url).slice(0, 200),
      client: clientOf(req)
    });
    try {
      if (!res.headersSent) sendText(res, 500, 'internal error');
      else res.destroy();
    } catch {
      res.destroy();
    }
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    try {
      handleRequest(req, res);
    } catch (error) {
      lastResort(error, req, res);
    }
  };
  const server: http.Server = options.tls
    ? https.createServer({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' }, onRequest)
    : http.createServer(onRequest);

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    try {
      if (error.code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
      socket.end(
        tooLarge
          ? rawResponse(431, 'Request Header Fields Too Large', 'request headers too large', tls)
          : rawResponse(400, 'Bad Request', 'malformed request', tls)
      );
    } catch {
      socket.destroy();
    }
  });
  // CONNECT (a proxy request) is not served: answered instead of the default silent close.
  server.on('connect', (_req: http.IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    if (socket.writable) socket.end(rawResponse(405, 'Method Not Allowed', 'method not allowed', tls));
    else socket.destroy();
  });
  // A failed TLS handshake (plain HTTP to the HTTPS port, a scanner) is counted, not logged line by line.
  server.on('tlsClientError', (_error: Error, socket: { remoteAddress?: string }) => {
    refusals.add('tls handshake', socket.remoteAddress ?? 'unknown');
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });

  const handleUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const client = clientOf(req);
    const refuse = (status: number, reason: string, extra = ''): void => {
      refusals.add(`upgrade ${status}`, client);
      if (socket.writable) socket.end(rawResponse(status, http.STATUS_CODES[status] ?? 'Error', reason, tls, extra));
      else socket.destroy();
    };
    const url = parseRequestTarget(req.url);
    if (!url) return refuse(400, 'bad request target');
    const misdirected = hostRefusal(req);
    if (misdirected) return refuse(misdirected.status, misdirected.reason);
    if (url.pathname !== WS_PATH) return refuse(404, 'not found');
    const origin = req.headers.origin;
    if (!origin || !origins.has(origin)) return refuse(403, 'origin not allowed');
    const verdict = checkToken(req, url);
    if (!verdict.ok) {
      return verdict.status === 429
        ? refuse(
            429,
            'too many wrong tokens from this address; try again later',
            `Retry-After: ${verdict.retryAfterS ?? 60}\r\n`
          )
        : refuse(401, 'missing or wrong token');
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    // The HTTP server stops listening for this socket's errors once it is an upgrade: a reset
    // before ws takes over would otherwise be an unhandled 'error' event.
    socket.on('error', () => socket.destroy());
    try {
      handleUpgrade(req, socket, head);
    } catch (error) {
      logger.error('upgrade handler failed', { error, target: String(req.url).slice(0, 200), client: clientOf(req) });
      socket.destroy();
    }
  });

  wss.on('connection', (ws: WebSocket) => {
    const reply = (message: unknown): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const invalid = (id: number, message: string): void =>
      reply({ kind: 'result', id, ok: false, error: { code: 'INVALID_INPUT', message } });
    const session = new ClientSession(
      options.api,
      'ws',
      (batch) => reply(batch),
      undefined,
      () => ws.bufferedAmount < MAX_BUFFERED_BYTES
    );
    const onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
      if (isBinary) return invalid(0, 'binary frames are not accepted');
      let parsed: unknown;
      try {
        parsed = JSON.parse(data.toString());
      } catch {
        return invalid(0, 'message is not JSON');
      }
      // `null`, a number or an array parse as JSON too: only an object can be a call.
      const message: Partial<CallRequest> =
        typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Partial<CallRequest>) : {};
      const id = typeof message.id === 'number' && Number.isSafeInteger(message.id) ? message.id : 0;
      if (message.kind !== 'call' || typeof message.method !== 'string') {
        return invalid(id, 'expected { kind: "call", id, method, input }');
      }
      const method = message.method;
      session
        .handle(id, method, message.input)
        .then(reply)
        .catch((error: unknown) => {
          logger.error('websocket call failed', { error, method: method.slice(0, 100) });
          reply({
            kind: 'result',
            id,
            ok: false,
            error: { code: 'INTERNAL', message: 'the call failed; see the server log' }
          });
        });
    };
    ws.on('message', (data, isBinary) => {
      try {
        onMessage(data, isBinary);
      } catch (error) {
        logger.error('websocket message handler failed', { error, bytes: Buffer.isBuffer(data) ? data.length : null });
        ws.close(1011, 'internal error');
      }
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
  // After listening, a server error (EMFILE on accept) is logged; an unhandled 'error' would end the process.
  server.on('error', (error) => logger.error('web server error', { error }));
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  origins = originsFor(hostNames, port, tls);
  // A name given with --allow-host is usually a proxy in front (TLS terminated there, its own
  // port): pages it serves present its origin on the default ports.
  for (const name of options.allowHosts ?? []) {
    const normalised = normaliseHostName(name);
    if (normalised) for (const scheme of ['https', 'http']) origins.add(`${scheme}://${normalised}`);
  }
  const shownHost = isWildcardHost(host) ? (certNames.find((n) => !/^[\d.:]+$/.test(n)) ?? '127.0.0.1') : host;
  const url = `${tls ? 'https' : 'http'}://${hostForUrl(shownHost)}:${port}`;
  logger.info('web UI listening', { url, host, tls });

  return {
    url,
    urlWithToken: `${url}/?token=${token}`,
    host,
    port,
    token,
    origins,
    hostNames,
    close: () =>
      new Promise<void>((resolve) => {
        refusals.close();
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      })
  };
}
