/**
 * The Consumers view's pause/resume in Chromium (web mode) against whichever nats-server the run
 * uses: on ≥ 2.11 it pauses and resumes a real consumer; on older servers it names the server
 * needed and the one connected, and offers no button.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { versionAtLeast } from '../../main/nats/connection/features';
import { launchChromium, watchPageErrors } from '../harness/browser';
import { startServe, type ServeHandle } from '../harness/cli';
import { natsServerVersion, startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir, waitFor } from '../harness/temp';

describe(`consumer pause in the Consumers view on nats-server ${natsServerVersion()}`, () => {
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let serve: ServeHandle;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const version = natsServerVersion();

  beforeAll(async () => {
    nats = await startNatsServer();
    serve = await startServe(['--nats', nats.url, '--data', tempDir()]);
    nc = await connect({ servers: nats.url });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = watchPageErrors(page);
  });

  afterAll(async () => {
    await browser?.close();
    await nc?.close();
    await serve?.stop();
    await nats?.stop();
  });

  it('pauses and resumes on ≥ 2.11, and says which server is needed on older ones', async () => {
    const jsm = await jetstreamManager(nc);
    // serve provisions the Syn_OS topology on connect.
    await waitFor(
      () =>
        jsm.consumers.info('SECURITY_EVENTS', 'security_dashboard').then(
          () => true,
          () => false
        ),
      {
        timeoutMs: 30_000,
        message: 'the provisioned security_dashboard consumer'
      }
    );
    await page.goto(serve.url);
    await waitFor(
      async () => (await page.getByTestId('connection-state').first().getAttribute('data-state')) === 'connected',
      { timeoutMs: 15_000, message: 'the UI to show a live NATS connection' }
    );
    await page.goto(`${serve.origin}/#/consumers/SECURITY_EVENTS/security_dashboard`);
    const card = page.getByRole('article', { name: 'Consumer SECURITY_EVENTS/security_dashboard' });
    if (!versionAtLeast(version, '2.11.0')) {
      await expect
        .poll(() => card.getByTestId('pause-unavailable').textContent())
        .toBe(`Pausing a consumer needs nats-server ≥ 2.11; connected to ${version}.`);
      expect(await card.getByRole('button', { name: 'Pause' }).count()).toBe(0);
      expect(errors).toEqual([]);
      return;
    }
    await expect.poll(() => card.getByTestId('pause-state').textContent()).toBe('Running.');
    await card.getByRole('combobox').selectOption({ label: '8 hours' });
    await card.getByRole('button', { name: 'Pause', exact: true }).click();
    await expect.poll(() => card.getByTestId('pause-state').textContent()).toMatch(/^Paused until /);
    const paused = await jsm.consumers.info('SECURITY_EVENTS', 'security_dashboard');
    expect(paused.paused).toBe(true);
    const until = Date.parse((paused.config as { pause_until?: string }).pause_until ?? '');
    // 8 hours from the click, give or take the time the test took.
    expect(until).toBeGreaterThan(Date.now() + 7 * 3_600_000);
    expect(until).toBeLessThan(Date.now() + 9 * 3_600_000);
    await card.getByRole('button', { name: 'Resume now' }).click();
    await expect.poll(() => card.getByTestId('pause-state').textContent()).toBe('Running.');
    expect((await jsm.consumers.info('SECURITY_EVENTS', 'security_dashboard')).paused ?? false).toBe(false);
    expect(errors).toEqual([]);
  });
});
