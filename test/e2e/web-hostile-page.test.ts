/**
 * Hardening findings 1 and 6 in Chromium against a real `synos-cc serve`: a page on another origin
 * that points <img> tags at request targets which are not URLs (`//[` once ended the process), and
 * a DNS-rebound name (mapped to 127.0.0.1 in Chromium's resolver) reading /healthz.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../harness/browser';
import { startServe, type ServeHandle } from '../harness/cli';
import { tempDir } from '../harness/temp';
import { request } from '../harness/web-client';

describe('a hostile page against web mode (Chromium)', () => {
  let serve: ServeHandle;
  let browser: Browser;
  let hostile: http.Server;
  let hostileUrl = '';

  beforeAll(async () => {
    serve = await startServe(['--data', tempDir(), '--nats', 'nats://127.0.0.1:1', '--no-provision']);
    const target = serve.origin;
    const page = `<!doctype html><title>elsewhere</title>
      <img src="${target}//[" onerror="window.done=(window.done||0)+1" onload="window.done=(window.done||0)+1">
      <img src="${target}//[/ws" onerror="window.done=(window.done||0)+1" onload="window.done=(window.done||0)+1">
      <img src="${target}/%zz" onerror="window.done=(window.done||0)+1" onload="window.done=(window.done||0)+1">
      <img src="${target}/healthz" onerror="window.done=(window.done||0)+1" onload="window.done=(window.done||0)+1">`;
    hostile = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(page));
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}/`;
    browser = await launchChromium(['--host-resolver-rules=MAP rebind.test 127.0.0.1']);
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await new Promise((resolve) => hostile?.close(resolve));
  });

  // Finding 1: `<img src="http://127.0.0.1:PORT//[">` from another origin killed serve.
  it('keeps serving after a cross-origin page requests //[ and other non-URL targets', async () => {
    const page = await browser.newPage();
    await page.goto(hostileUrl);
    await page.waitForFunction('window.done === 4');
    // Every image failed: /healthz is not an image, and CORP keeps other origins from embedding it anyway.
    expect(await page.evaluate('[...document.images].filter((i) => i.naturalWidth > 0).length')).toBe(0);
    await page.close();
    expect(serve.child.exitCode).toBeNull();
    expect((await request(`${serve.origin}/healthz`)).status).toBe(200);
  });

  // Finding 6: a page whose name was rebound to 127.0.0.1 read /healthz as same-origin.
  it('answers a DNS-rebound name with 421 and no health data', async () => {
    const port = new URL(serve.origin).port;
    const page = await browser.newPage();
    const response = await page.goto(`http://rebind.test:${port}/healthz`);
    expect(response?.status()).toBe(421);
    expect(await page.content()).not.toContain('"status":"ok"');
    expect(response?.headers()['x-frame-options']).toBe('DENY');
    await page.close();
    expect((await request(`${serve.origin}/healthz`)).status).toBe(200);
  });
});
