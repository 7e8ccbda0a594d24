import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchPageErrors } from '../harness/browser';
import { startServe, type ServeHandle } from '../harness/cli';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir } from '../harness/temp';

const ARTIFACTS = path.resolve(__dirname, '../../test-results/screenshots');

describe('web mode in Chromium', () => {
  let nats: NatsServerHandle;
  let serve: ServeHandle;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    nats = await startNatsServer();
    serve = await startServe(['--nats', nats.url, '--data', tempDir()]);
    browser = await launchChromium();
    page = await browser.newPage();
    errors = watchPageErrors(page);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await nats?.stop();
  });

  it('shows the live connection, disconnects and reconnects from Settings, and notices a dead server within 5 s', async () => {
    await page.goto(serve.url);
    const state = page.getByTestId('connection-state').first();
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 15_000 }).toBe('connected');
    // The token is taken out of the address bar once read.
    expect(page.url()).not.toContain('token=');
    await expect.poll(() => page.getByTestId('server-version').textContent()).toMatch(/nats-server \d+\.\d+/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'overview.png') });

    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 10_000 }).toBe('offline');
    await page.getByRole('button', { name: /^(Connect|Reconnect)$/ }).click();
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 15_000 }).toBe('connected');

    const killedAt = Date.now();
    await nats.kill9();
    await expect
      .poll(() => state.getAttribute('data-state'), { timeout: 5_000, interval: 100 })
      .toMatch(/^(reconnecting|disconnected)$/);
    expect(Date.now() - killedAt).toBeLessThan(5_000);
    expect(await state.textContent()).toMatch(/Disconnected/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'disconnected.png') });

    await nats.restart();
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');

    for (const view of ['Streams', 'Engine', 'Benchmarks']) {
      await page.getByRole('link', { name: view, exact: true }).click();
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(view);
    }
    expect(errors).toEqual([]);
  });
});
