/**
 * First run on a bare machine: an empty data directory, no profile, no server answering. The
 * Overview offers the local server, a natscli context and a URL, and says what each does; empty
 * views say what would fill them; the local server and a natscli context each lead to a connection.
 */
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../main/nats/embedded/embedded';
import { launchChromium, watchPageErrors } from '../harness/browser';
import { startServe, type ServeHandle } from '../harness/cli';
import { dirWithConfig } from '../harness/config-file';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir, waitFor } from '../harness/temp';

/** A bare data dir whose only setting points at a port nothing listens on, with the automatic fallback off. */
async function bareDataDir(): Promise<string> {
  const port = await freePort('127.0.0.1');
  return dirWithConfig({ nats: { servers: [`nats://127.0.0.1:${port}`] }, embedded: { enabled: false } });
}

describe('first run', () => {
  let browser: Browser;
  let nats: NatsServerHandle;
  const serves: ServeHandle[] = [];
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    browser = await launchChromium();
    nats = await startNatsServer();
  });
  afterEach(async () => {
    await page?.close();
  });
  afterAll(async () => {
    await browser?.close();
    for (const s of serves) await s.stop();
    await nats?.stop();
  });

  const open = async (env: NodeJS.ProcessEnv): Promise<void> => {
    const serve = await startServe(['--data', await bareDataDir()], env);
    serves.push(serve);
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    errors = watchPageErrors(page);
    await page.goto(serve.url);
  };

  it('offers the three ways to a server, empty views say how to fill them, and the local server connects', async () => {
    await open({ XDG_CONFIG_HOME: tempDir() });
    const welcome = page.getByTestId('welcome');
    await expect.poll(() => welcome.isVisible(), { timeout: 20_000 }).toBe(true);
    const text = (await welcome.textContent()) ?? '';
    expect(text).toContain('Starts nats-server as a child of this app');
    expect(text).toContain('Reads the contexts the nats command line tool saved');
    expect(text).toContain('Saves a connection profile for a server you already run');
    const audit = await new AxeBuilder({ page }).include('[data-testid="welcome"]').analyze();
    expect(audit.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);

    // natscli: none on this machine, and the operator is told how to make one.
    await welcome.getByRole('button', { name: 'Find natscli contexts' }).click();
    await expect.poll(() => page.getByTestId('welcome-no-contexts').textContent()).toContain('nats context add');

    // Empty views name what would fill them.
    await page.getByRole('link', { name: 'Benchmarks', exact: true }).click();
    await expect.poll(() => page.getByTestId('empty-state').first().textContent()).toContain('synos-cc bench');
    await page.getByRole('link', { name: 'Overview', exact: true }).click();

    await welcome.getByRole('button', { name: 'Start a local server' }).click();
    await waitFor(
      async () => (await page.getByTestId('connection-state').first().getAttribute('data-state')) === 'connected',
      { timeoutMs: 30_000, message: 'the UI to connect to the local server it started' }
    );
    await expect.poll(() => page.getByTestId('toasts').textContent(), { timeout: 20_000 }).toContain('provisioned');
    await expect.poll(() => welcome.count()).toBe(0);
    await expect.poll(() => page.getByText(/nats-server started by this app/).isVisible()).toBe(true);
    await page.getByRole('link', { name: 'Streams', exact: true }).click();
    await expect.poll(() => page.getByTestId('stream-row').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(5);
    expect(errors).toEqual([]);
  });

  it('connects with a natscli context found on the machine', async () => {
    const xdg = tempDir();
    fs.mkdirSync(path.join(xdg, 'nats', 'context'), { recursive: true });
    fs.writeFileSync(path.join(xdg, 'nats', 'context', 'lab.json'), JSON.stringify({ url: nats.url }));
    fs.writeFileSync(path.join(xdg, 'nats', 'context.txt'), 'lab');
    await open({ XDG_CONFIG_HOME: xdg });
    const welcome = page.getByTestId('welcome');
    await expect.poll(() => welcome.isVisible(), { timeout: 20_000 }).toBe(true);
    await welcome.getByRole('button', { name: 'Find natscli contexts' }).click();
    await welcome.getByRole('button', { name: 'Connect with lab' }).click();
    await waitFor(
      async () => (await page.getByTestId('connection-state').first().getAttribute('data-state')) === 'connected',
      { timeoutMs: 20_000, message: 'the UI to connect with the natscli context' }
    );
    await expect.poll(() => page.getByTestId('server-url').textContent()).toContain(`:${new URL(nats.url).port}`);
    await expect.poll(() => welcome.count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('saves a URL with user and password as a profile and connects with it', async () => {
    const secured = await startNatsServer({ args: ['--user', 'ops', '--pass', 'pw-first-run'] });
    try {
      await open({ XDG_CONFIG_HOME: tempDir() });
      const form = page.getByRole('form', { name: 'Connect to a server URL' });
      await expect.poll(() => form.isVisible(), { timeout: 20_000 }).toBe(true);
      await form.getByLabel('Server URL').fill(secured.url);
      await form.getByLabel('User').fill('ops');
      await form.getByLabel('Password').fill('pw-first-run');
      await form.getByRole('button', { name: 'Save and connect' }).click();
      await waitFor(
        async () => (await page.getByTestId('connection-state').first().getAttribute('data-state')) === 'connected',
        { timeoutMs: 20_000, message: 'the UI to connect with the URL and credentials typed' }
      );
      await expect.poll(() => page.getByTestId('server-url').textContent()).toContain(`:${new URL(secured.url).port}`);
      await expect.poll(() => page.getByTestId('welcome').count()).toBe(0);
      await page.getByRole('link', { name: 'Settings', exact: true }).click();
      await expect.poll(() => page.getByTestId('profile-row').count()).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await secured.stop();
    }
  });
});
