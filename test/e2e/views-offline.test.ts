/**
 * Offline: with NATS killed, every view still renders from the local snapshot cache under an
 * "offline since …" banner, and the UI goes back to live data by itself when NATS returns.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchPageErrors } from '../harness/browser';
import { runCliSync, startServe, type ServeHandle } from '../harness/cli';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir } from '../harness/temp';
import { bridgeInboundDurables } from '../harness/bridge-durables';

const SHOTS = path.resolve(__dirname, '../../test-results/screenshots');
const VIEWS = [
  'Overview',
  'Streams',
  'Consumers',
  'Messages',
  'Engine',
  'Security',
  'Outbox',
  'Alerts',
  'Metrics',
  'Benchmarks',
  'Settings'
];

describe('offline views', () => {
  let nats: NatsServerHandle;
  let serve: ServeHandle;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  const go = async (label: string): Promise<void> => {
    await page.getByRole('link', { name: label, exact: true }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(label);
  };

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    nats = await startNatsServer();
    serve = await startServe(['--nats', nats.url, '--data', tempDir()]);
    // Some traffic, so the cached streams have something to show.
    const pub = runCliSync([
      '--nats',
      nats.url,
      '--data',
      tempDir(),
      'pub',
      'health.offline-test',
      '{"n":{{count}}}',
      '--count',
      '25'
    ]);
    expect(pub.code, pub.stderr).toBe(0);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = watchPageErrors(page);
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await nats?.stop();
  });

  it('shows the banner and cached snapshots while NATS is down, and recovers by itself', async () => {
    await page.goto(serve.url);
    const state = page.getByTestId('connection-state').first();
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 15_000 }).toBe('connected');
    // Visit the live views once so the core has snapshots of streams and consumers.
    await go('Streams');
    await expect.poll(() => page.getByTestId('stream-row').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(5);
    await expect.poll(() => page.getByTestId('live-mark').isVisible()).toBe(true);
    await page.getByRole('link', { name: 'HEALTH_METRICS' }).click();
    await expect
      .poll(async () => Number(await page.getByTestId('stream-messages').textContent()))
      .toBeGreaterThanOrEqual(25);
    await go('Consumers');
    await expect
      .poll(() => page.getByTestId('consumer-row').count())
      .toBeGreaterThanOrEqual(4 + bridgeInboundDurables().length);
    await expect.poll(() => page.getByTestId('offline-banner').count()).toBe(0);

    await nats.kill9();
    const banner = page.getByTestId('offline-banner');
    await expect.poll(() => banner.isVisible(), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => banner.textContent()).toContain('NATS offline since');

    // Every view renders (one h1, no crash) under the banner.
    for (const view of VIEWS) {
      await go(view);
      await expect.poll(() => banner.isVisible()).toBe(true);
      await page.screenshot({ path: path.join(SHOTS, `offline-${view.toLowerCase()}.png`), fullPage: true });
    }

    // Streams and consumers come from the cache, marked with the snapshot's time.
    await go('Streams');
    await expect
      .poll(() => page.getByTestId('cached-mark').textContent(), { timeout: 20_000 })
      .toContain('Cached snapshot from');
    expect(await page.getByTestId('stream-row').count()).toBeGreaterThanOrEqual(5);
    await page.getByRole('link', { name: 'HEALTH_METRICS' }).click();
    await expect.poll(() => page.getByTestId('cached-mark').isVisible(), { timeout: 15_000 }).toBe(true);
    expect(Number(await page.getByTestId('stream-messages').textContent())).toBeGreaterThanOrEqual(25);
    await go('Consumers');
    await expect.poll(() => page.getByTestId('cached-mark').isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.getByTestId('consumer-row').count()).toBeGreaterThanOrEqual(4 + bridgeInboundDurables().length);
    await page.screenshot({ path: path.join(SHOTS, 'offline-consumers-cached.png'), fullPage: true });

    // NATS returns: the banner goes and the views swap to live data without a reload.
    await nats.restart();
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 30_000 }).toBe('connected');
    await expect.poll(() => banner.count()).toBe(0);
    await go('Streams');
    await expect.poll(() => page.getByTestId('live-mark').isVisible(), { timeout: 20_000 }).toBe(true);
    expect(errors).toEqual([]);
  });
});
