/**
 * The Benchmarks view against a real nats-server: two runs from the UI appear as points on the
 * over-time charts (read through each chart's table alternative), and two selected runs are compared
 * in a side-by-side chart.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchPageErrors } from '../harness/browser';
import { startServe, type ServeHandle } from '../harness/cli';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir, waitFor } from '../harness/temp';

function numbers(texts: string[]): number[] {
  return texts.map((t) => Number(t.replace(/[^\d.]/g, ''))).filter((n) => Number.isFinite(n) && n > 0);
}

describe('benchmarks you can see', () => {
  let nats: NatsServerHandle;
  let serve: ServeHandle;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    nats = await startNatsServer();
    serve = await startServe(['--nats', nats.url, '--data', tempDir()]);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = watchPageErrors(page);
    await page.goto(`${serve.url}#/benchmarks`);
    await waitFor(
      async () => (await page.getByTestId('connection-state').first().getAttribute('data-state')) === 'connected',
      { timeoutMs: 15_000, message: 'the UI to show a live NATS connection' }
    );
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await nats?.stop();
  });

  it('plots each kept run over time per mode and compares two runs side by side', async () => {
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Benchmarks');
    // No run yet: no history charts, and the table says how to fill it.
    await expect.poll(() => page.getByText('No benchmark has run yet.').isVisible()).toBe(true);
    expect(await page.getByTestId('bench-history-charts').count()).toBe(0);

    const form = page.getByRole('form', { name: 'Run a benchmark' });
    await form.getByLabel('Messages').fill('20000');
    for (let i = 0; i < 2; i++) {
      await expect.poll(() => form.getByRole('button', { name: 'Start' }).isEnabled(), { timeout: 30_000 }).toBe(true);
      await form.getByRole('button', { name: 'Start' }).click();
      await expect.poll(() => page.getByTestId('bench-row').count(), { timeout: 30_000 }).toBe(i + 1);
    }

    const history = page.getByTestId('bench-history-charts');
    await expect
      .poll(() => history.getByRole('img', { name: 'Benchmark throughput over time (msgs/s)' }).isVisible())
      .toBe(true);
    await expect
      .poll(() => history.getByRole('img', { name: 'Benchmark p99 latency over time (ms)' }).isVisible())
      .toBe(true);
    // The throughput chart's figures: one row per run (two points of the pub line), both positive.
    await history.getByRole('button', { name: 'Show as table' }).first().click();
    const points = history.getByTestId('chart-table').first();
    await expect.poll(() => points.locator('tbody tr').count()).toBe(2);
    expect(await points.locator('thead th').allTextContents()).toEqual(['Time', 'pub']);
    const plotted = numbers(await points.locator('tbody td').allTextContents());
    expect(plotted).toHaveLength(2);
    // The same figures the history table shows for the two runs.
    const listed = numbers(await page.getByTestId('bench-row').locator('td:nth-child(6)').allTextContents());
    expect(plotted.map(Math.round).sort((a, b) => a - b)).toEqual([...listed].sort((a, b) => a - b));

    for (const box of await page.getByRole('checkbox', { name: /^Compare run/ }).all()) await box.check();
    const compare = page.getByTestId('bench-compare');
    await expect.poll(() => compare.getByRole('img', { name: 'Throughput (msgs/s)' }).isVisible()).toBe(true);
    await compare.getByRole('button', { name: 'Show as table' }).first().click();
    const side = compare.getByTestId('chart-table').first();
    await expect.poll(() => side.locator('tbody tr').count()).toBe(2);
    expect((await side.locator('tbody th').allTextContents()).map((t) => t.trim())).toEqual(['1. pub', '2. pub']);
    expect(numbers(await side.locator('tbody td').allTextContents())).toHaveLength(2);
    expect(errors).toEqual([]);
  });
});
