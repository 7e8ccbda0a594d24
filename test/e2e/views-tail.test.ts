/**
 * The Messages view's live tail with 20,000 msgs/s coming in: the page keeps up (counts move,
 * the list renders only a window of rows, no console errors). Frame times are printed as a
 * benchmark figure, not asserted (the same measurement: npm run bench:ui-tail).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTailFigures, measureLiveTail } from '../bench/ui-tail';
import { launchChromium, watchPageErrors } from '../harness/browser';
import { startServe, type ServeHandle } from '../harness/cli';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir } from '../harness/temp';

const SHOTS = path.resolve(__dirname, '../../test-results/screenshots');

describe('live tail under load', () => {
  let nats: NatsServerHandle;
  let serve: ServeHandle;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    nats = await startNatsServer();
    serve = await startServe(['--nats', nats.url, '--data', tempDir()]);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = watchPageErrors(page);
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await nats?.stop();
  });

  it('tails 20,000 msgs/s into the virtualized list and reports rate and drops', async () => {
    await page.goto(serve.url);
    await page.getByRole('link', { name: 'Messages', exact: true }).click();
    const figures = await measureLiveTail(page, nats.url, { rate: 20_000, seconds: 6 });
    process.stdout.write(`${formatTailFigures(figures)}\n`);
    // Every published message is accounted for: delivered to the page or counted as dropped.
    expect(figures.received).toBeGreaterThan(0);
    expect(figures.shown).toBeGreaterThan(0);
    expect(figures.shown).toBeLessThanOrEqual(10_000);
    expect(figures.peakShownRate).toBeGreaterThan(0);
    // The virtualized list renders only a window of rows, however many messages it holds.
    const rendered = await page.getByRole('list', { name: 'Tailed messages' }).getByRole('listitem').count();
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThan(100);
    await page.screenshot({ path: path.join(SHOTS, 'view-messages-tail-20k.png') });
    expect(errors).toEqual([]);
  });
});
