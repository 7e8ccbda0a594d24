/**
 * An axe-core audit of every view in Chromium, in the light and the dark theme, against a real
 * nats-server fed by `synos-cc simulate`: no serious or critical violations anywhere. The per-view
 * counts (every impact) are printed and written to test-results/axe-report.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchPageErrors } from '../harness/browser';
import { CLI, startServe, type ServeHandle } from '../harness/cli';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir, waitFor } from '../harness/temp';

const RESULTS = path.resolve(__dirname, '../../test-results');

interface Finding {
  view: string;
  theme: string;
  rule: string;
  impact: string;
  nodes: number;
  targets: string[];
  /** For contrast: foreground/background and the ratio axe measured. */
  details: string[];
}

describe('accessibility of every view (axe-core, light and dark)', () => {
  let nats: NatsServerHandle;
  let serve: ServeHandle;
  let simulate: ChildProcess;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    nats = await startNatsServer();
    serve = await startServe(['--nats', nats.url, '--data', tempDir()]);
    simulate = spawn(
      process.execPath,
      [
        CLI,
        'simulate',
        '--nats',
        nats.url,
        '--data',
        tempDir(),
        '--rate',
        '40',
        '--incident-every',
        '3',
        '--no-provision'
      ],
      { env: { ...process.env, NATS_URL: '' }, stdio: 'ignore' }
    );
    browser = await launchChromium();
    // AxeBuilder needs a page from an explicit context.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    errors = watchPageErrors(page);
    await page.goto(serve.url);
    await waitFor(
      async () => (await page.getByTestId('connection-state').first().getAttribute('data-state')) === 'connected',
      { timeoutMs: 15_000, message: 'the UI to show a live NATS connection' }
    );
  });

  afterAll(async () => {
    simulate?.kill('SIGTERM');
    await browser?.close();
    await serve?.stop();
    await nats?.stop();
  });

  it('has no serious or critical violations on any view in either theme', async () => {
    const findings: Finding[] = [];
    const audited: string[] = [];
    // Every view the navigation offers (read from the page, so a new view is audited too), plus the
    // stream detail page, which is reached from Streams.
    const nav = page.getByRole('navigation', { name: 'Views' }).getByRole('link');
    const views = await Promise.all(
      (await nav.all()).map(async (link) => ({
        name: ((await link.textContent()) ?? '').trim(),
        hash: new URL((await link.getAttribute('href')) ?? '', serve.origin).hash
      }))
    );
    expect(views.length).toBeGreaterThanOrEqual(12);
    const pages = [
      ...views.map((v) => ({ ...v, heading: v.name })),
      { name: 'Stream detail', hash: '#/streams/ORCHESTRATOR_EVENTS', heading: 'Streams' }
    ];
    for (const theme of ['light', 'dark'] as const) {
      await page.evaluate(`localStorage.setItem('synos.theme', ${JSON.stringify(theme)})`);
      await page.reload();
      await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe(theme);
      for (const view of pages) {
        await page.evaluate(`window.location.hash = ${JSON.stringify(view.hash)}`);
        await expect
          .poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 10_000 })
          .toContain(view.heading);
        // Let the view's first data arrive, so the audit sees filled tables and cards, not only loading text.
        await page.waitForTimeout(1_500);
        const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
        audited.push(`${view.name}/${theme}`);
        for (const v of result.violations) {
          findings.push({
            view: view.name,
            theme,
            rule: v.id,
            impact: v.impact ?? 'unknown',
            nodes: v.nodes.length,
            targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
            details: v.nodes.slice(0, 5).map((n) => n.failureSummary ?? '')
          });
        }
      }
    }
    fs.mkdirSync(RESULTS, { recursive: true });
    fs.writeFileSync(path.join(RESULTS, 'axe-report.json'), JSON.stringify({ audited, findings }, null, 2));
    const summary = pages.flatMap((view) =>
      (['light', 'dark'] as const).map((theme) => {
        const here = findings.filter((f) => f.view === view.name && f.theme === theme);
        const serious = here.filter((f) => f.impact === 'serious' || f.impact === 'critical');
        return `${view.name} (${theme}): ${serious.length} serious/critical, ${here.length - serious.length} other${
          here.length ? ` [${here.map((f) => `${f.rule}:${f.impact}×${f.nodes}`).join(', ')}]` : ''
        }`;
      })
    );
    console.log(`axe audit per view:\n${summary.join('\n')}`);
    expect(audited.length).toBe(pages.length * 2);
    expect(findings.filter((f) => f.impact === 'serious' || f.impact === 'critical')).toEqual([]);
    expect(errors).toEqual([]);
    // 13 pages × 2 themes, each given time to load its data on a shared machine.
  }, 300_000);

  it('the Overview system picture and its table: no serious or critical violations, light and dark; nodes reached with Tab', async () => {
    for (const theme of ['light', 'dark'] as const) {
      await page.evaluate(`localStorage.setItem('synos.theme', ${JSON.stringify(theme)})`);
      await page.evaluate("window.location.hash = '#/overview'");
      await page.reload();
      await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe(theme);
      // The simulator's services drawn, not an empty card.
      await expect
        .poll(() => page.locator('.react-flow__node[data-kind="service"]').count(), { timeout: 30_000 })
        .toBeGreaterThanOrEqual(3);
      const picture = await new AxeBuilder({ page })
        .include('[data-testid="system-picture"]')
        .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
        .analyze();
      expect(picture.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
      await page.getByRole('button', { name: 'Show as table' }).first().click();
      await expect.poll(() => page.getByTestId('picture-table').isVisible()).toBe(true);
      const table = await new AxeBuilder({ page })
        .include('[data-testid="system-picture"]')
        .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
        .analyze();
      expect(table.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
      await page.getByRole('button', { name: 'Show as picture' }).click();
    }
    // A node is reached from the keyboard and shows a focus ring.
    await page.getByRole('button', { name: 'Hide', exact: true }).focus();
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(
      '(() => { const el = document.activeElement; const box = el.querySelector(".pic-node"); return { node: el.classList.contains("react-flow__node"), outline: getComputedStyle(box).outlineStyle }; })()'
    );
    expect(focused).toEqual({ node: true, outline: 'solid' });
  }, 120_000);

  it('a chart shows its figures as a table, toggled from the keyboard, with a visible focus ring', async () => {
    // Moving through the navigation with Tab shows a focus ring on the link reached.
    await page.getByRole('link', { name: 'Overview', exact: true }).focus();
    await page.keyboard.press('Tab');
    const ring = await page.evaluate(
      '(() => { const el = document.activeElement; const s = getComputedStyle(el); return { text: el.textContent, style: s.outlineStyle, width: s.outlineWidth }; })()'
    );
    expect(ring).toEqual({ text: 'Streams', style: 'solid', width: '2px' });

    await page.evaluate("window.location.hash = '#/metrics'");
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Metrics');
    const toggle = page.getByRole('button', { name: 'Show as table' }).first();
    await toggle.focus();
    const outline = await toggle.evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el).outlineStyle);
    expect(outline).not.toBe('none');
    await page.keyboard.press('Enter');
    const table = page.getByTestId('chart-table').first();
    await expect.poll(() => table.isVisible()).toBe(true);
    // Under simulated traffic the first series fills: the table carries numbers, not only a header.
    await expect
      .poll(async () => (await table.locator('tbody td.num').allTextContents()).some((t) => /\d/.test(t)), {
        timeout: 15_000
      })
      .toBe(true);
    await expect
      .poll(() => page.getByRole('button', { name: 'Show as chart' }).first().getAttribute('aria-expanded'))
      .toBe('true');
    const result = await new AxeBuilder({ page }).include('[data-testid="chart-table"]').analyze();
    expect(result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    await page.getByRole('button', { name: 'Show as chart' }).first().click();
    await expect.poll(() => page.getByTestId('chart-table').count()).toBe(0);
  });
});
