import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../main/app/create-core';
import { silentLogger } from '../../main/core/logger';
import { startWebServer, type WebServer } from '../../main/transport/web-server';
import { createTestCore } from '../harness/core';
import { tempDir, waitFor } from '../harness/temp';
import { rawExchange, upgradeStatus } from '../harness/web-client';

describe('web mode server', () => {
  let core: Core;
  let server: WebServer;
  let staticDir: string;

  beforeAll(async () => {
    core = createTestCore();
    await core.start();
    staticDir = tempDir();
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>ui</title>');
    fs.mkdirSync(path.join(staticDir, 'assets'));
    fs.writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log(1)');
    server = await startWebServer({
      api: core.api,
      logger: silentLogger,
      staticDir,
      health: () => ({ nats: 'offline' })
    });
  });

  afterAll(async () => {
    await server.close();
    await core.stop();
  });

  it('binds 127.0.0.1 by default', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  it('answers /healthz without a token', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', nats: 'offline' });
  });

  it('serves the renderer with a strict CSP, and refuses path traversal', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect((await fetch(`${server.url}/assets/app.js`)).headers.get('content-type')).toContain('javascript');
    const traversal = await fetch(`${server.url}/..%2f..%2fetc%2fpasswd`);
    expect(traversal.status).toBe(403);
  });

  it('accepts the WebSocket with the token (query or bearer) and its own Origin', async () => {
    const base = `ws://127.0.0.1:${server.port}/ws`;
    expect(await upgradeStatus(`${base}?token=${server.token}`, { Origin: server.url })).toBe(101);
    expect(
      await upgradeStatus(base, { Origin: `http://localhost:${server.port}`, Authorization: `Bearer ${server.token}` })
    ).toBe(101);
  });

  it('refuses a missing or wrong token with 401', async () => {
    const base = `ws://127.0.0.1:${server.port}/ws`;
    expect(await upgradeStatus(base, { Origin: server.url })).toBe(401);
    expect(await upgradeStatus(`${base}?token=wrong`, { Origin: server.url })).toBe(401);
    expect(await upgradeStatus(`${base}?token=${server.token.slice(1)}x`, { Origin: server.url })).toBe(401);
  });

  it('refuses a foreign or missing Origin with 403, even with the right token', async () => {
    const base = `ws://127.0.0.1:${server.port}/ws?token=${server.token}`;
    expect(await upgradeStatus(base, { Origin: 'http://evil.example' })).toBe(403);
    expect(await upgradeStatus(base, { Origin: `http://127.0.0.1:${server.port + 1}` })).toBe(403);
    expect(await upgradeStatus(base, {})).toBe(403);
  });

  it('answers malformed frames with INVALID_INPUT and keeps the socket open', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, {
      headers: { Origin: server.url }
    });
    await new Promise((r) => ws.once('open', r));
    const replies: unknown[] = [];
    ws.on('message', (d) => replies.push(JSON.parse(d.toString())));
    ws.send('not json');
    ws.send(JSON.stringify({ kind: 'call', id: 7 }));
    ws.send(JSON.stringify({ kind: 'call', id: 8, method: 'connection.connect', input: { servers: 'nats://x' } }));
    ws.send(JSON.stringify({ kind: 'call', id: 9, method: 'system.info', input: {} }));
    await waitFor(() => replies.length >= 4, { message: 'four replies' });
    expect(replies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 0, ok: false, error: expect.objectContaining({ code: 'INVALID_INPUT' }) }),
        expect.objectContaining({ id: 7, ok: false, error: expect.objectContaining({ code: 'INVALID_INPUT' }) }),
        expect.objectContaining({ id: 8, ok: false, error: expect.objectContaining({ code: 'INVALID_INPUT' }) }),
        expect.objectContaining({ id: 9, ok: true })
      ])
    );
    ws.close();
  });

  // Hardening finding 1: `GET //[` made `new URL` throw inside the request and upgrade listeners,
  // and nothing caught it, so one unauthenticated request ended `serve`.
  it('answers 400 to a request target that is not a URL, over HTTP and upgrade, and keeps serving', async () => {
    for (const target of ['//[', '//[/ws', 'http://[', '*', '/%zz']) {
      const plain = await rawExchange(server.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      expect(plain, target).toMatch(/^HTTP\/1\.1 (400|404|403)/);
      const upgrade = await rawExchange(
        server.port,
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: ${server.url}\r\n\r\n`
      );
      expect(upgrade, target).toMatch(/^HTTP\/1\.1 (400|404)/);
    }
    expect((await rawExchange(server.port, 'GET //[ HTTP/1.1\r\nHost: x\r\n\r\n')).startsWith('HTTP/1.1 400')).toBe(
      true
    );
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  // Hardening finding 2: an authenticated frame `null` read `message.id` of null and ended the process.
  it('answers JSON frames that are not objects (null, numbers, arrays, strings) and keeps the socket open', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, {
      headers: { Origin: server.url }
    });
    await new Promise((r) => ws.once('open', r));
    const replies: Array<{ id: number; ok: boolean; error?: { code: string } }> = [];
    ws.on('message', (d) => replies.push(JSON.parse(d.toString())));
    const frames = ['null', '0', '[]', '"call"', 'true', '{"kind":"call","id":null,"method":null}'];
    for (const frame of frames) ws.send(frame);
    ws.send(JSON.stringify({ kind: 'call', id: 42, method: 'system.info', input: {} }));
    await waitFor(() => replies.length >= frames.length + 1, { message: 'a reply to every frame' });
    expect(replies.filter((r) => r.id === 0 && r.ok === false && r.error?.code === 'INVALID_INPUT')).toHaveLength(
      frames.length
    );
    expect(replies.find((r) => r.id === 42)?.ok).toBe(true);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
