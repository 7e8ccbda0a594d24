/**
 * The Overview's live system picture in Chromium against `synos-cc serve`, a real nats-server and
 * `synos-cc simulate`: nodes and live rates appear under traffic, a service that stops turns red,
 * clicking a stream node opens that stream, and with nats-server stopped the picture stays,
 * marked as cached.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchPageErrors } from '../harness/browser';
import { CLI, startServe, type ServeHandle } from '../harness/cli';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir } from '../harness/temp';
import { bridgeDurableFor } from '../harness/bridge-durables';
import { encodeEnvelope } from '../harness/envelope';

const SHOTS = path.resolve(__dirname, '../../test-results/screenshots');

const envelope = (type: string, data: unknown): Uint8Array => encodeEnvelope(type, data, { idPrefix: 'e2e-picture' });

describe('system picture on the Overview', () => {
  let nats: NatsServerHandle;
  let serve: ServeHandle;
  let simulate: ChildProcess;
  let client: NatsConnection;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  const node = (id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);

  beforeAll(async () => {
    nats = await startNatsServer();
    serve = await startServe(['--nats', nats.url, '--data', tempDir()]);
    simulate = spawn(
      process.execPath,
      [CLI, 'simulate', '--nats', nats.url, '--data', tempDir(), '--rate', '50', '--services', '8', '--no-provision'],
      { env: { ...process.env, NATS_URL: '' }, stdio: 'ignore' }
    );
    client = await connect({ servers: nats.url });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    errors = watchPageErrors(page);
  });

  afterAll(async () => {
    simulate?.kill('SIGTERM');
    await client?.close().catch(() => {});
    await browser?.close();
    await serve?.stop();
    await nats?.stop();
  });

  it('shows services, streams, the engine and consumers with live rates; a stopped service turns red', async () => {
    await page.goto(serve.url);
    await expect
      .poll(() => page.getByTestId('connection-state').first().getAttribute('data-state'), { timeout: 15_000 })
      .toBe('connected');
    const canvas = page.getByTestId('picture-canvas');
    await expect.poll(() => canvas.isVisible(), { timeout: 20_000 }).toBe(true);
    await expect.poll(() => node('stream:ORCHESTRATOR_EVENTS').count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => node('engine').count()).toBe(1);
    await expect
      .poll(() => node(`consumer:ORCHESTRATOR_EVENTS/${bridgeDurableFor('orchestrator.service.health')}`).count(), {
        timeout: 20_000
      })
      .toBe(1);
    // The simulator's services, heard through their lifecycle and health inputs.
    await expect
      .poll(() => page.locator('.react-flow__node[data-kind="service"]').count(), { timeout: 30_000 })
      .toBeGreaterThanOrEqual(5);
    // Live rates on the edges: at least one label shows a non-zero msg/s.
    await expect
      .poll(
        async () =>
          (await page.locator('.pic-edge-label').allTextContents()).some(
            (t) => t.endsWith(' msg/s') && Number.parseFloat(t.replace(/,/g, '')) > 0
          ),
        { timeout: 30_000, interval: 1000 }
      )
      .toBe(true);

    fs.mkdirSync(SHOTS, { recursive: true });
    await page.getByTestId('system-picture').screenshot({ path: path.join(SHOTS, 'overview-picture.png') });

    // A service starts, then stops: its node turns red (critical).
    client.publish('orchestrator.service.started', envelope('service.lifecycle.started', { service: 'e2e-ledger' }));
    await expect.poll(() => node('service:e2e-ledger').getAttribute('data-health'), { timeout: 20_000 }).toBe('ok');
    client.publish(
      'orchestrator.service.stopped',
      envelope('service.lifecycle.stopped', { service: 'e2e-ledger', exit_code: 137, reason: 'killed by the test' })
    );
    await expect
      .poll(() => node('service:e2e-ledger').getAttribute('data-health'), { timeout: 20_000 })
      .toBe('critical');
    expect(await node('service:e2e-ledger').textContent()).toContain('critical');
    expect(await node('service:e2e-ledger').getAttribute('aria-label')).toContain('stopped');
  }, 120_000);

  it('opens a stream from its node, by click and by keyboard', async () => {
    await node('stream:ORCHESTRATOR_EVENTS').click();
    await expect.poll(() => page.evaluate('window.location.hash')).toBe('#/streams/ORCHESTRATOR_EVENTS');
    await expect.poll(() => page.getByTestId('stream-title').textContent()).toBe('ORCHESTRATOR_EVENTS');

    await page.evaluate("window.location.hash = '#/overview'");
    await expect.poll(() => node('engine').count(), { timeout: 15_000 }).toBe(1);
    await node('engine').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate('window.location.hash')).toBe('#/engine');
  }, 60_000);

  it('offline: keeps the last picture, marked as cached', async () => {
    await page.evaluate("window.location.hash = '#/overview'");
    await expect.poll(() => node('service:e2e-ledger').count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => page.getByTestId('system-picture').getByTestId('live-mark').isVisible()).toBe(true);
    await nats.stop();
    const card = page.getByTestId('system-picture');
    await expect.poll(() => card.getByTestId('cached-mark').isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await card.getByTestId('cached-mark').textContent()).toContain('Cached snapshot from');
    await expect.poll(() => card.getByTestId('picture-cached-note').isVisible()).toBe(true);
    // The kept picture, not an empty card: the stopped service is still there, still red.
    expect(await node('service:e2e-ledger').getAttribute('data-health')).toBe('critical');
    // A reload while offline answers from SQLite.
    await page.reload();
    await expect.poll(() => card.getByTestId('cached-mark').isVisible(), { timeout: 20_000 }).toBe(true);
    await expect.poll(() => node('service:e2e-ledger').getAttribute('data-health')).toBe('critical');
    expect(errors).toEqual([]);
  }, 90_000);
});
