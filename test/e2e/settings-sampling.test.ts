/**
 * The Settings view's JetStream sampling interval in Chromium against `synos-cc serve`: it shows
 * the interval the core runs at, refuses one out of bounds with the reason, and saves a valid one
 * to config.json (`monitoring.jetstreamSampleIntervalMs`) for the next start.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchPageErrors } from '../harness/browser';
import { startServe, type ServeHandle } from '../harness/cli';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir } from '../harness/temp';

describe('Settings: JetStream sampling interval', () => {
  let nats: NatsServerHandle;
  let serve: ServeHandle;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dataDir: string;

  beforeAll(async () => {
    nats = await startNatsServer();
    dataDir = tempDir();
    fs.writeFileSync(
      path.join(dataDir, 'config.json'),
      JSON.stringify({ monitoring: { jetstreamSampleIntervalMs: 30_000, metricsSampleIntervalMs: 1000 } })
    );
    serve = await startServe(['--nats', nats.url, '--data', dataDir]);
    browser = await launchChromium();
    page = await browser.newPage();
    errors = watchPageErrors(page);
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await nats?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the running interval, refuses one out of bounds and saves a valid one for the next start', async () => {
    await page.goto(serve.url);
    await page.getByRole('link', { name: 'Settings' }).click();
    const form = page.getByRole('form', { name: 'Durability and metrics' });
    const field = form.getByLabel('JetStream sample every (s)');
    await expect
      .poll(() => page.getByTestId('settings-running').textContent())
      .toContain('JetStream sample every 30 s');
    await expect.poll(() => field.inputValue()).toBe('30');

    await field.fill('0.5');
    await expect
      .poll(() => page.getByText('The JetStream sample interval must be from 1 to 600 seconds').count())
      .toBe(1);
    expect(await form.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);

    await field.fill('5');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('settings-restart').count()).toBe(1);
    const file = path.join(dataDir, 'config.json');
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { monitoring: Record<string, number> };
    // Saved beside the rest of the section; the running core keeps the interval it started with.
    expect(saved.monitoring).toEqual({ jetstreamSampleIntervalMs: 5000, metricsSampleIntervalMs: 1000 });
    expect(await field.inputValue()).toBe('5');
    expect(await page.getByTestId('settings-running').textContent()).toContain('JetStream sample every 30 s');
    expect(errors).toEqual([]);
  });
});
