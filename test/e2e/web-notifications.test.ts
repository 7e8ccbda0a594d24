/**
 * Browser notifications in web mode: with the permission granted, a CRITICAL alert raised by the
 * core under simulated traffic creates a Notification (observed through an init script wrapping the
 * constructor); severities left off raise none; clicking the notification opens the alert.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchPageErrors } from '../harness/browser';
import { CLI, startServe, type ServeHandle } from '../harness/cli';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir, waitFor } from '../harness/temp';

/** Wraps window.Notification: every construction is kept in window.__notes with the instance the app got. */
const RECORD_NOTIFICATIONS = `
(() => {
  const Real = window.Notification;
  if (!Real) return;
  window.__notes = [];
  function Recording(title, options) {
    let real = null;
    try { real = new Real(title, options); } catch (e) { /* headless may refuse to show it */ }
    const note = real || { onclick: null, close() {} };
    window.__notes.push({ title, body: options && options.body, tag: options && options.tag, note });
    return note;
  }
  Object.defineProperty(Recording, 'permission', { get: () => Real.permission });
  Recording.requestPermission = (...args) => Real.requestPermission(...args);
  window.Notification = Recording;
})();
`;

interface Noted {
  title: string;
  body: string;
  tag: string;
}

describe('alert notifications in the browser', () => {
  let nats: NatsServerHandle;
  let serve: ServeHandle;
  let simulate: ChildProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    nats = await startNatsServer();
    serve = await startServe(['--nats', nats.url, '--data', tempDir()]);
    simulate = spawn(
      process.execPath,
      [CLI, 'simulate', '--nats', nats.url, '--data', tempDir(), '--rate', '40', '--no-provision'],
      { env: { ...process.env, NATS_URL: '' }, stdio: 'ignore' }
    );
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['notifications'], { origin: serve.origin });
    await context.addInitScript(RECORD_NOTIFICATIONS);
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

  const notes = (): Promise<Noted[]> =>
    page.evaluate('(window.__notes || []).map(({ title, body, tag }) => ({ title, body, tag }))') as Promise<Noted[]>;

  it('notifies a CRITICAL alert only, and the click opens it', async () => {
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await expect.poll(() => page.getByTestId('notify-permission').textContent()).toContain('allowed');
    const settings = page.getByRole('group', { name: 'Notify when an alert of this severity fires' });
    expect(await settings.getByLabel('CRITICAL').isChecked()).toBe(true);
    expect(await settings.getByLabel('WARNING').isChecked()).toBe(false);

    // consumer.pending above 0 fires; at 1 or more it is CRITICAL (health_monitor has no reader).
    await page.getByRole('link', { name: 'Alerts', exact: true }).click();
    const rule = page.getByRole('form', { name: 'Rule consumer.pending' }).first();
    await rule.getByLabel(/^Threshold/).fill('0');
    await rule.getByLabel('Critical at').fill('1');
    await rule.getByLabel('For (s)').fill('0');
    await rule.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('link', { name: 'Overview', exact: true }).click();

    await expect
      .poll(async () => (await notes()).filter((n) => n.title === 'CRITICAL alert: consumer.pending').length, {
        timeout: 60_000
      })
      .toBeGreaterThan(0);
    const all = await notes();
    // Only CRITICAL is switched on: no other severity reached the Notification constructor.
    expect(all.filter((n) => !n.title.startsWith('CRITICAL '))).toEqual([]);
    const first = all.find((n) => n.title === 'CRITICAL alert: consumer.pending')!;
    const alertId = first.tag.replace('synos-alert-', '');
    expect(alertId).toMatch(/^\d+$/);

    await page.evaluate(`window.__notes.find((n) => n.tag === ${JSON.stringify(first.tag)}).note.onclick()`);
    await expect.poll(() => page.evaluate('window.location.hash')).toBe(`#/alerts/${alertId}`);
    const opened = page.getByTestId('opened-alert');
    await expect.poll(() => opened.getByRole('heading').textContent()).toMatch(/^Alert consumer\.pending on /);
    await expect.poll(() => opened.textContent()).toContain('CRITICAL');
    expect(errors).toEqual([]);
  });
});
