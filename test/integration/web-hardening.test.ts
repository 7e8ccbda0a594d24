/**
 * Hardening finding 6 on a real server: the Host allow-list (DNS rebinding of /healthz), throttled
 * token guesses with one summary log line, security headers on every answer including errors,
 * and HTTPS + WSS with a certificate made here by openssl.
 */
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../main/app/create-core';
import { createLogger, silentLogger } from '../../main/core/logger';
import { startWebServer, type WebServer } from '../../main/transport/web-server';
import { createTestCore } from '../harness/core';
import { makeTlsFiles } from '../harness/nats-auth';
import { tempDir, waitFor } from '../harness/temp';
import { parseRawHead, rawExchange, request, upgradeStatus } from '../harness/web-client';

const SECURITY_HEADERS = [
  'content-security-policy',
  'x-content-type-options',
  'referrer-policy',
  'x-frame-options',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy'
];

function expectSecurityHeaders(headers: Record<string, unknown>, what: string): void {
  for (const name of SECURITY_HEADERS) expect(headers[name], `${name} on ${what}`).toBeTruthy();
  expect(String(headers['content-security-policy'])).toContain("frame-ancestors 'none'");
  expect(headers['x-content-type-options']).toBe('nosniff');
}

function upgradeRequest(target: string, host: string, origin: string): string {
  return (
    `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: ${origin}\r\n\r\n`
  );
}

describe('web mode hardening', () => {
  let core: Core;
  let staticDir: string;
  const lines: string[] = [];
  let server: WebServer;

  beforeAll(async () => {
    core = createTestCore();
    await core.start();
    staticDir = tempDir();
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>ui</title>');
    server = await startWebServer({
      api: core.api,
      logger: createLogger({ level: 'info', write: (line) => lines.push(line) }),
      staticDir,
      throttle: { maxFailures: 5, windowMs: 60_000 },
      // Longer than the test: the only summary line is the one written when the server closes.
      refusalLogIntervalMs: 600_000
    });
  });

  afterAll(async () => {
    await server.close();
    await core.stop();
  });

  // Finding 6: a DNS-rebinding page (evil.example resolving to 127.0.0.1) read /healthz.
  it('answers 421 to a Host it does not serve, on /healthz, the UI and the upgrade, and serves its own names', async () => {
    const rebinding = await rawExchange(
      server.port,
      `GET /healthz HTTP/1.1\r\nHost: rebind.evil.example:${server.port}\r\n\r\n`
    );
    const head = parseRawHead(rebinding);
    expect(head.status).toBe(421);
    expect(rebinding).not.toContain('"status":"ok"');
    expectSecurityHeaders(head.headers, '421');
    expect((await request(`${server.url}/`, { headers: { Host: 'evil.example' } })).status).toBe(421);
    const upgrade = await rawExchange(
      server.port,
      upgradeRequest(`/ws?token=${server.token}`, `evil.example:${server.port}`, `http://evil.example:${server.port}`)
    );
    expect(parseRawHead(upgrade).status).toBe(421);
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `[::1]:${server.port}`, 'LOCALHOST.']) {
      const ok = await request(`${server.url}/healthz`, { headers: { Host: host } });
      expect(ok.status, host).toBe(200);
    }
    // HTTP/1.0 without a Host, and a Host that is not a host name.
    expect(parseRawHead(await rawExchange(server.port, 'GET /healthz HTTP/1.0\r\n\r\n')).status).toBe(400);
    expect(parseRawHead(await rawExchange(server.port, 'GET /healthz HTTP/1.1\r\nHost: a@b/c\r\n\r\n')).status).toBe(
      400
    );
  });

  it('puts the security headers on every answer: /healthz, the UI, 400, 404, 405 and refused upgrades', async () => {
    const healthz = await request(`${server.url}/healthz`);
    expect(healthz.status).toBe(200);
    expectSecurityHeaders(healthz.headers, '/healthz');
    expect(healthz.headers['strict-transport-security']).toBeUndefined();
    expectSecurityHeaders((await request(`${server.url}/`)).headers, 'the UI');
    const post = await request(`${server.url}/healthz`, { method: 'POST' });
    expect(post.status).toBe(405);
    expectSecurityHeaders(post.headers, '405');
    const badTarget = parseRawHead(await rawExchange(server.port, 'GET //[ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    expect(badTarget.status).toBe(400);
    expectSecurityHeaders(badTarget.headers, '400 bad target');
    const malformed = parseRawHead(await rawExchange(server.port, 'GARBAGE\r\n\r\n'));
    expect(malformed.status).toBe(400);
    expectSecurityHeaders(malformed.headers, '400 unparsable');
    const notFound = parseRawHead(
      await rawExchange(server.port, upgradeRequest('/nope', `127.0.0.1:${server.port}`, server.url))
    );
    expect(notFound.status).toBe(404);
    expectSecurityHeaders(notFound.headers, 'refused upgrade');
  });

  // Finding 6: 3,539 token guesses a second, and a log line for each refusal.
  it('throttles token guesses per client with 429, even for the right token, and logs one summary line', async () => {
    const base = `ws://127.0.0.1:${server.port}/ws`;
    const statuses: number[] = [];
    for (let i = 0; i < 40; i += 1) {
      statuses.push(await upgradeStatus(`${base}?token=guess${i}`, { Origin: server.url }));
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
    // Locked out: the right token is not even looked at, so a lucky guess learns nothing.
    expect(await upgradeStatus(`${base}?token=${server.token}`, { Origin: server.url })).toBe(429);
    const raw = parseRawHead(
      await rawExchange(server.port, upgradeRequest('/ws?token=x', `127.0.0.1:${server.port}`, server.url))
    );
    expect(raw.status).toBe(429);
    expect(Number(raw.headers['retry-after'])).toBeGreaterThan(0);
    // Another client address is not affected.
    expect(
      await upgradeStatus(`${base}?token=${server.token}`, { Origin: server.url }, { localAddress: '127.0.0.2' })
    ).toBe(101);
    expect((await request(`${server.url}/healthz`)).status).toBe(200);

    const before = lines.length;
    await server.close();
    const summaries = lines.slice(before).filter((l) => l.includes('refused'));
    expect(summaries).toHaveLength(1);
    const summary = JSON.parse(summaries[0]!) as { refused: number; reasons: Record<string, number>; top: unknown[] };
    expect(summary.reasons.token).toBe(5);
    expect(summary.reasons.throttled).toBe(37);
    expect(lines.filter((l) => /refused a WebSocket upgrade|wrong token/.test(l))).toHaveLength(0);
    // Reopen for afterAll.
    server = await startWebServer({ api: core.api, logger: silentLogger, staticDir });
  });
});

describe('web mode behind a proxy (--allow-host)', () => {
  it('answers the allowed name and accepts the socket from the proxy origin, on its default port', async () => {
    const core = createTestCore();
    await core.start();
    const server = await startWebServer({
      api: core.api,
      logger: silentLogger,
      staticDir: tempDir(),
      allowHosts: ['Synos.Example.org']
    });
    try {
      expect((await request(`${server.url}/healthz`, { headers: { Host: 'synos.example.org' } })).status).toBe(200);
      const ws = `ws://127.0.0.1:${server.port}/ws?token=${server.token}`;
      expect(await upgradeStatus(ws, { Origin: 'https://synos.example.org', Host: 'synos.example.org' })).toBe(101);
      expect(await upgradeStatus(ws, { Origin: 'https://other.example.org' })).toBe(403);
    } finally {
      await server.close();
      await core.stop();
    }
  });
});

describe('web mode over TLS', () => {
  let core: Core;
  let server: WebServer;
  let ca: Buffer;

  beforeAll(async () => {
    core = createTestCore();
    await core.start();
    const dir = tempDir();
    const files = makeTlsFiles(dir);
    ca = fs.readFileSync(files.caFile);
    const staticDir = tempDir();
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>ui</title>');
    server = await startWebServer({
      api: core.api,
      logger: silentLogger,
      staticDir,
      tls: { cert: fs.readFileSync(files.certFile), key: fs.readFileSync(files.keyFile) }
    });
  });

  afterAll(async () => {
    await server.close();
    await core.stop();
  });

  it('serves HTTPS with HSTS and the WebSocket over WSS, and shrugs off plain HTTP on its port', async () => {
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
    expect(server.urlWithToken.startsWith('https://')).toBe(true);
    const healthz = await request(`${server.url}/healthz`, { ca });
    expect(healthz.status).toBe(200);
    expectSecurityHeaders(healthz.headers, 'https /healthz');
    expect(healthz.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    // The certificate's names (localhost) are served; others get 421 over TLS too.
    expect((await request(`https://localhost:${server.port}/healthz`, { ca })).status).toBe(200);
    expect((await request(`${server.url}/healthz`, { ca, headers: { Host: 'evil.example' } })).status).toBe(421);

    const wss = `wss://127.0.0.1:${server.port}/ws?token=${server.token}`;
    expect(await upgradeStatus(wss, { Origin: server.url }, { ca })).toBe(101);
    // The http:// origin of the same host is not the page's origin under TLS.
    expect(await upgradeStatus(wss, { Origin: `http://127.0.0.1:${server.port}` }, { ca })).toBe(403);
    const ws = new WebSocket(wss, { headers: { Origin: server.url }, ca });
    await new Promise((r) => ws.once('open', r));
    const reply = new Promise<string>((r) => ws.once('message', (d) => r(d.toString())));
    ws.send(JSON.stringify({ kind: 'call', id: 3, method: 'system.info', input: {} }));
    expect(JSON.parse(await reply)).toMatchObject({ id: 3, ok: true });
    ws.close();

    // Plain HTTP and garbage at the TLS port: refused in the handshake, the server keeps going.
    await rawExchange(server.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 2_000).catch(() => '');
    await rawExchange(server.port, Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff, 0, 0, 0]), 2_000).catch(() => '');
    await waitFor(async () => (await request(`${server.url}/healthz`, { ca })).status === 200, {
      message: '/healthz after a bad handshake'
    });
  });
});

describe('feature routes (the route table other modules mount on)', () => {
  it('dispatches by path and method, checks the token under the throttle, and catches a failing handler', async () => {
    const core = createTestCore();
    await core.start();
    const lines: string[] = [];
    const server = await startWebServer({
      api: core.api,
      logger: createLogger({ level: 'info', write: (line) => lines.push(line) }),
      staticDir: tempDir(),
      throttle: { maxFailures: 3, windowMs: 60_000 },
      routes: [
        {
          path: '/api/private',
          methods: ['GET', 'POST'],
          handle: (ctx) => {
            if (!ctx.authorize()) return;
            if (!ctx.sameOrigin()) return ctx.send(403, 'origin not allowed');
            ctx.send(200, { ok: true, method: ctx.req.method });
          }
        },
        {
          path: '/api/fails/',
          methods: ['GET'],
          handle: async () => {
            await new Promise((r) => setTimeout(r, 1));
            throw new Error('boom in a feature route');
          }
        }
      ]
    });
    try {
      const bearer = { Authorization: `Bearer ${server.token}` };
      const ok = await request(`${server.url}/api/private`, { headers: bearer });
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body)).toEqual({ ok: true, method: 'GET' });
      expectSecurityHeaders(ok.headers, 'a feature route');
      const put = await request(`${server.url}/api/private`, { method: 'PUT', headers: bearer });
      expect(put.status).toBe(405);
      expect(put.headers.allow).toBe('GET, POST');
      expect(
        (
          await request(`${server.url}/api/private`, {
            method: 'POST',
            headers: { ...bearer, Origin: 'https://evil.example' }
          })
        ).status
      ).toBe(403);
      const wrong = [];
      for (let i = 0; i < 5; i += 1) {
        wrong.push((await request(`${server.url}/api/private?token=guess${i}`)).status);
      }
      expect(wrong).toEqual([401, 401, 401, 429, 429]);
      // The same budget covers the socket.
      expect(
        await upgradeStatus(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, { Origin: server.url })
      ).toBe(429);
      const failed = await request(`${server.url}/api/fails/x`);
      expect(failed.status).toBe(500);
      expect(failed.body).toBe('internal error');
      expect(lines.some((l) => l.includes('request handler failed') && l.includes('boom in a feature route'))).toBe(
        true
      );
      expect((await request(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
      await core.stop();
    }
  });
});
