/**
 * Remote web mode in Chromium: `serve --web-tls-cert/--web-tls-key` serves the UI over HTTPS and
 * its socket over WSS. Chromium trusts exactly the test certificate (its SPKI hash), nothing more.
 */
import { createHash, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchPageErrors } from '../harness/browser';
import { startServe, type ServeHandle } from '../harness/cli';
import { makeTlsFiles } from '../harness/nats-auth';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir } from '../harness/temp';

describe('web mode over HTTPS in Chromium', () => {
  let nats: NatsServerHandle;
  let serve: ServeHandle;
  let browser: Browser;

  beforeAll(async () => {
    const tls = makeTlsFiles(tempDir());
    nats = await startNatsServer();
    serve = await startServe([
      '--nats',
      nats.url,
      '--data',
      tempDir(),
      '--web-tls-cert',
      tls.certFile,
      '--web-tls-key',
      tls.keyFile
    ]);
    const spki = new X509Certificate(fs.readFileSync(tls.certFile)).publicKey.export({ type: 'spki', format: 'der' });
    const pin = createHash('sha256').update(spki).digest('base64');
    browser = await launchChromium([`--ignore-certificate-errors-spki-list=${pin}`]);
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await nats?.stop();
  });

  it('loads the UI from the printed https:// URL and reaches the core over WSS', async () => {
    expect(serve.url.startsWith('https://127.0.0.1:')).toBe(true);
    const page = await browser.newPage();
    const errors = watchPageErrors(page);
    const response = await page.goto(serve.url);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['strict-transport-security']).toMatch(/max-age=/);
    const state = page.getByTestId('connection-state').first();
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');
    await expect.poll(() => page.getByTestId('server-version').textContent()).toMatch(/nats-server \d+\.\d+/);
    expect(errors).toEqual([]);
    await page.close();
  });
});
