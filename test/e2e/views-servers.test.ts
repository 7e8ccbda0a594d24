/**
 * The Servers view in Chromium on a real nats-server with a monitoring port: data (a server card,
 * the cluster picture, connections), no source (what to enable), a monitoring URL that does not
 * answer (the reason), and offline (the last sample, marked cached).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../main/nats/embedded/embedded';
import { launchChromium, watchPageErrors } from '../harness/browser';
import { startServe, type ServeHandle } from '../harness/cli';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir } from '../harness/temp';

const SHOTS = path.resolve(__dirname, '../../test-results/screenshots');

function dataDirWith(monitoring: Record<string, unknown>): string {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ monitoring }));
  return dir;
}

describe('Servers view', () => {
  let nats: NatsServerHandle;
  let monitorUrl: string;
  let browser: Browser;
  const serves: ServeHandle[] = [];

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    nats = await startNatsServer({ monitor: true });
    monitorUrl = nats.monitorUrl!;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    for (const s of serves) await s.stop();
    await nats?.stop();
  });

  const open = async (serve: ServeHandle): Promise<{ page: Page; errors: string[] }> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchPageErrors(page);
    await page.goto(serve.url);
    await page.getByRole('link', { name: 'Servers', exact: true }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Servers');
    return { page, errors };
  };

  it('shows the server, its health, the picture and its connections; then the cached sample offline', async () => {
    const serve = await startServe([
      '--nats',
      nats.url,
      '--data',
      dataDirWith({ serverMonitorUrl: monitorUrl, serverSampleIntervalMs: 1000 })
    ]);
    serves.push(serve);
    const { page, errors } = await open(serve);
    await expect.poll(() => page.getByTestId('server-card').count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => page.getByTestId('server-health').textContent()).toBe('healthy');
    await expect.poll(() => page.getByTestId('server-source').textContent()).toMatch(/monitoring port/);
    expect(await page.getByTestId('cluster-node').count()).toBe(1);
    await expect.poll(() => page.getByTestId('connection-row').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    await expect
      .poll(() => page.getByRole('heading', { name: 'History (last day)' }).isVisible(), { timeout: 15_000 })
      .toBe(true);
    await page.screenshot({ path: path.join(SHOTS, 'servers.png'), fullPage: true });

    await nats.kill9();
    try {
      await page.getByRole('button', { name: 'Refresh' }).click();
      await expect.poll(() => page.getByTestId('cached-mark').first().isVisible(), { timeout: 20_000 }).toBe(true);
      expect(await page.getByTestId('server-card').count()).toBe(1);
      await page.screenshot({ path: path.join(SHOTS, 'servers-offline.png'), fullPage: true });
    } finally {
      await nats.restart();
    }
    expect(errors).toEqual([]);
  });

  it('says how to enable a source when there is none, and why a monitoring URL does not answer', async () => {
    const none = await startServe(['--nats', nats.url, '--data', tempDir()]);
    serves.push(none);
    const first = await open(none);
    await expect
      .poll(() => first.page.getByText('Nothing to show about the servers.').isVisible(), { timeout: 15_000 })
      .toBe(true);
    await expect.poll(() => first.page.getByText(/start nats-server with -m 8222/).isVisible()).toBe(true);
    expect(await first.page.getByTestId('server-card').count()).toBe(0);

    const closedPort = await freePort();
    const wrong = await startServe([
      '--nats',
      nats.url,
      '--data',
      dataDirWith({ serverMonitorUrl: `http://127.0.0.1:${closedPort}` })
    ]);
    serves.push(wrong);
    const second = await open(wrong);
    await expect
      .poll(() => second.page.getByText(/the monitoring URL http:\/\/127\.0\.0\.1:\d+: unreachable/).isVisible(), {
        timeout: 15_000
      })
      .toBe(true);
    expect([...first.errors, ...second.errors]).toEqual([]);
  });
});
