/**
 * Walks every view of the web UI in Chromium against a real nats-server fed by `synos-cc simulate`,
 * asserting on the data each view shows; saves a screenshot of each view.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchPageErrors } from '../harness/browser';
import { CLI, startServe, type ServeHandle } from '../harness/cli';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir, waitFor } from '../harness/temp';
import { bridgeInboundDurables } from '../harness/bridge-durables';

const SHOTS = path.resolve(__dirname, '../../test-results/screenshots');

function number(text: string | null): number {
  return Number((text ?? '').replace(/[^\d.]/g, '')) || 0;
}

describe('every view on real data', () => {
  let nats: NatsServerHandle;
  let serve: ServeHandle;
  let simulate: ChildProcess;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  const go = async (label: string): Promise<void> => {
    await page.getByRole('link', { name: label, exact: true }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(label);
  };
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `view-${name}.png`), fullPage: true });

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    nats = await startNatsServer();
    serve = await startServe(['--nats', nats.url, '--data', tempDir()]);
    // The simulator plays the orchestrator and security side: services, health, incidents.
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
      {
        env: { ...process.env, NATS_URL: '' },
        stdio: 'ignore'
      }
    );
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = watchPageErrors(page);
    await page.goto(serve.url);
    await waitFor(
      async () => (await page.getByTestId('connection-state').first().getAttribute('data-state')) === 'connected',
      {
        timeoutMs: 15_000,
        message: 'the UI to show a live NATS connection'
      }
    );
  });

  afterAll(async () => {
    simulate?.kill('SIGTERM');
    await browser?.close();
    await serve?.stop();
    await nats?.stop();
  });

  it('Overview, Streams, Consumers and Messages show the server, its streams and live traffic', async () => {
    // Overview: connection facts and the heartbeats heard on health.>.
    await expect.poll(() => page.getByTestId('server-version').textContent()).toMatch(/nats-server \d+\.\d+/);
    await expect
      .poll(() => page.getByTestId('overview-services').textContent(), { timeout: 20_000 })
      .toMatch(/healthy|degraded|unhealthy/);
    await shot('overview');

    // Streams: the provisioned topology, sortable and filterable, in sync.
    await go('Streams');
    await expect.poll(() => page.getByTestId('stream-row').count()).toBeGreaterThanOrEqual(5);
    await expect.poll(() => page.getByTestId('drift-in-sync').isVisible()).toBe(true);
    await page.getByRole('searchbox', { name: 'Filter Streams' }).fill('SECURITY');
    await expect.poll(() => page.getByTestId('stream-row').count()).toBe(1);
    await page.getByRole('searchbox', { name: 'Filter Streams' }).fill('');
    await page.getByRole('button', { name: 'Messages' }).click();
    await page.getByRole('button', { name: 'Messages' }).click();
    expect(await page.getByRole('columnheader', { name: /Messages/ }).getAttribute('aria-sort')).toBe('descending');
    await shot('streams');

    // Stream detail: state with messages from the simulator, and the message browser.
    await page.getByRole('link', { name: 'ORCHESTRATOR_EVENTS' }).click();
    await expect
      .poll(async () => number(await page.getByTestId('stream-messages').textContent()), { timeout: 15_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(() => page.getByTestId('drift-in-sync').textContent(), { timeout: 10_000 })
      .toContain(`ORCHESTRATOR_EVENTS and its ${bridgeInboundDurables().length + 1} consumers match`);
    await page.getByRole('tab', { name: 'Messages' }).click();
    await expect.poll(() => page.getByTestId('browsed-message').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await page.getByTestId('browsed-message').first().locator('summary').click();
    await expect
      .poll(() =>
        page
          .getByLabel(/^Payload of message/)
          .first()
          .textContent()
      )
      .toContain('specversion');
    await shot('stream-messages');

    // Purge sits behind a confirmation that needs the stream's name typed.
    await page.goto(`${serve.origin}/#/streams/HEALTH_METRICS`);
    await page.getByRole('button', { name: 'Purge…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Purge HEALTH_METRICS?' });
    await expect.poll(() => dialog.getByRole('button', { name: 'Purge', exact: true }).isDisabled()).toBe(true);
    await dialog.getByLabel(/Type HEALTH_METRICS to confirm/).fill('HEALTH_METRICS');
    await dialog.getByRole('button', { name: 'Purge', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('toasts').textContent())
      .toMatch(/Purged [\d,]+ messages? from HEALTH_METRICS/);

    // Consumers: every durable consumer of the topology with its counts.
    await go('Consumers');
    await expect
      .poll(() => page.getByTestId('consumer-row').count())
      .toBeGreaterThanOrEqual(4 + bridgeInboundDurables().length);
    await shot('consumers');
    await page.getByRole('link', { name: 'orchestrator_service' }).click();
    const detail = page.getByRole('article', { name: 'Consumer ORCHESTRATOR_EVENTS/orchestrator_service' });
    await expect.poll(() => detail.textContent()).toContain('orchestrator.consciousness.>');
    await shot('consumer-detail');

    // Messages: a live tail of the simulator's traffic, and publish with envelope validation.
    await go('Messages');
    await page.getByRole('form', { name: 'Live tail' }).getByLabel('Subject').fill('orchestrator.>');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect
      .poll(async () => number(await page.getByTestId('tail-received').textContent()), { timeout: 15_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(() => page.getByRole('list', { name: 'Tailed messages' }).getByRole('listitem').count())
      .toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.getByTestId('tail-state').textContent()).toContain('paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => page.getByTestId('tail-state').textContent()).toContain('tailing orchestrator.>');
    const publish = page.getByRole('form', { name: 'Publish' });
    await publish.getByLabel('Data (JSON)').fill('{"service": 3}');
    await expect.poll(() => page.getByTestId('envelope-check').textContent()).toContain('data.service');
    await expect.poll(() => publish.getByRole('button', { name: 'Publish' }).isDisabled()).toBe(true);
    await publish.getByLabel('Data (JSON)').fill('{"service": "ui-test", "status": "healthy"}');
    await expect
      .poll(() => page.getByTestId('envelope-check').textContent())
      .toContain('valid service.health.update data');
    await publish.getByRole('button', { name: 'Publish' }).click();
    await expect.poll(() => page.getByTestId('toasts').textContent()).toContain('Published 1 message');
    await shot('messages');
    // Exact: a tail row on orchestrator.service.stopped is a button whose name contains "stop".
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    expect(errors).toEqual([]);
  });

  it('Engine, Security, Outbox, Alerts, Metrics, Benchmarks and Settings show what the core measured', async () => {
    await go('Engine');
    await expect
      .poll(async () => number(await page.getByTestId('engine-inputs').textContent()), { timeout: 20_000 })
      .toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('problem-row').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    // Recent engine events follow the pushed engine.event (the list is not re-fetched per push).
    const newestEvent = () => page.getByTestId('engine-events').locator('li').first().textContent();
    await expect
      .poll(() => page.getByTestId('engine-events').locator('li').count(), { timeout: 20_000 })
      .toBeGreaterThan(0);
    const before = await newestEvent();
    await expect.poll(newestEvent, { timeout: 20_000 }).not.toBe(before);
    await expect
      .poll(() => page.getByRole('img', { name: 'Engine load and learning mode over time' }).isVisible())
      .toBe(true);
    await shot('engine');

    await go('Security');
    await expect.poll(() => page.getByTestId('security-row').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.getByRole('article', { name: 'Consciousness state' }).isVisible()).toBe(true);
    await shot('security');

    await go('Outbox');
    await expect
      .poll(async () => number(await page.getByTestId('outbox-completed').textContent()), { timeout: 20_000 })
      .toBeGreaterThan(0);
    // The simulation keeps the engine publishing: the card measures a delivery rate from the stats.
    await expect
      .poll(() => page.getByTestId('outbox-rate').textContent(), { timeout: 20_000 })
      .toMatch(/^[\d,]+ msgs\/s/);
    await expect.poll(() => page.getByTestId('breaker-row').count()).toBe(4);
    await expect.poll(() => page.getByTestId('emergency-state').textContent()).toContain('off');
    await shot('outbox');

    // The emergency switch sits behind a confirmation; every breaker opens, and releasing closes them.
    await page.getByRole('button', { name: 'Emergency: open all breakers…' }).click();
    await page
      .getByRole('dialog', { name: 'Open every breaker?' })
      .getByRole('button', { name: 'Open all breakers' })
      .click();
    await expect
      .poll(() => page.getByTestId('emergency-state').textContent(), { timeout: 10_000 })
      .toContain('ON since');
    await page.getByRole('button', { name: 'Release emergency switch' }).click();
    await expect.poll(() => page.getByTestId('emergency-state').textContent(), { timeout: 10_000 }).toContain('off');

    // Recordings: record live traffic, stop, export to NDJSON, import it back, replay the import.
    const record = page.getByRole('form', { name: 'Record' });
    await record.getByLabel('Name').fill('ui-live');
    await record.getByLabel('Subject filter').fill('orchestrator.>');
    await record.getByRole('button', { name: 'Start recording' }).click();
    const live = page.getByTestId('recording-row').filter({ hasText: 'ui-live' });
    await expect
      .poll(async () => number(await live.locator('td').nth(4).textContent()), { timeout: 20_000 })
      .toBeGreaterThan(0);
    await live.getByRole('button', { name: 'Stop', exact: true }).click();
    await expect.poll(() => live.textContent(), { timeout: 10_000 }).toContain('stopped');
    await live.getByRole('button', { name: 'Export…' }).click();
    const exportForm = page.getByRole('form', { name: 'Export ui-live' });
    await exportForm.getByLabel('File name in exports/').fill('ui-live.ndjson');
    await exportForm.getByRole('button', { name: 'Export' }).click();
    await expect
      .poll(() => page.getByTestId('toasts').textContent(), { timeout: 10_000 })
      .toMatch(/Exported [\d,]+ messages to exports\/ui-live\.ndjson/);
    // The export downloads from the server, and the downloaded file is uploaded back as an import.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      exportForm.getByTestId('export-download').click()
    ]);
    const file = path.join(tempDir(), 'ui-live.ndjson');
    await download.saveAs(file);
    expect(fs.readFileSync(file, 'utf8').split('\n')[0]).toContain('"subject":"orchestrator.');
    await page.getByRole('region', { name: 'Import a recording' }).getByLabel('Recording file').setInputFiles(file);
    await expect
      .poll(() => page.getByTestId('recording-row').filter({ hasText: 'import' }).count(), { timeout: 10_000 })
      .toBe(1);
    const imported = page.getByTestId('recording-row').filter({ hasText: 'import' });
    await imported.getByRole('button', { name: 'Replay…' }).click();
    await page
      .getByRole('form', { name: 'Replay ui-live.ndjson', exact: true })
      .getByRole('button', { name: 'Replay' })
      .click();
    await expect.poll(() => page.getByTestId('replay-progress').textContent(), { timeout: 20_000 }).toContain('done');
    await shot('outbox-recordings');

    // Alerts: a threshold change is kept by the core; lowered to 0, the pending rule fires on the
    // health_monitor consumer (nothing consumes it), and the alert is acknowledged from the list.
    await go('Alerts');
    const rule = page.getByRole('form', { name: 'Rule consumer.pending' }).first();
    await rule.getByLabel('Threshold').fill('0');
    await rule.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() =>
        page
          .getByRole('form', { name: 'Rule consumer.pending' })
          .first()
          .getByText(/edited/)
          .count()
      )
      .toBe(1);
    await page.reload();
    await expect
      .poll(() =>
        page.getByRole('form', { name: 'Rule consumer.pending' }).first().getByLabel('Threshold').inputValue()
      )
      .toBe('0');
    await expect
      .poll(() => page.getByTestId('alert-row').filter({ hasText: 'consumer.pending' }).count(), { timeout: 30_000 })
      .toBeGreaterThan(0);
    const alert = page.getByTestId('alert-row').filter({ hasText: 'consumer.pending' }).first();
    await alert.getByRole('button', { name: /^Acknowledge/ }).click();
    await expect
      .poll(() => page.getByTestId('alert-row').filter({ hasText: 'acknowledged' }).count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await shot('alerts');

    await go('Metrics');
    await expect
      .poll(async () => number(await page.getByTestId('metrics-received').textContent()), { timeout: 20_000 })
      .toBeGreaterThan(0);
    await expect.poll(() => page.getByRole('img', { name: /messages per second/ }).isVisible()).toBe(true);
    await shot('metrics');

    // Benchmarks: two small runs, then compared.
    await go('Benchmarks');
    const form = page.getByRole('form', { name: 'Run a benchmark' });
    await form.getByLabel('Messages').fill('20000');
    for (let i = 0; i < 2; i++) {
      await expect.poll(() => form.getByRole('button', { name: 'Start' }).isEnabled(), { timeout: 30_000 }).toBe(true);
      await form.getByRole('button', { name: 'Start' }).click();
      await expect.poll(() => page.getByTestId('bench-row').count(), { timeout: 30_000 }).toBe(i + 1);
    }
    for (const box of await page.getByRole('checkbox', { name: /^Compare run/ }).all()) await box.check();
    await expect.poll(() => page.getByTestId('bench-compare').textContent()).toContain('msgs/s');
    await shot('benchmarks');

    // Settings: a profile for this server, tested from the UI.
    await go('Settings');
    await page.getByRole('button', { name: 'Add profile' }).click();
    const profile = page.getByRole('form', { name: 'New profile' });
    await profile.getByLabel('Name').fill('local test');
    await profile.getByLabel('Servers').fill(nats.url);
    await profile.getByRole('button', { name: 'Test connection' }).click();
    await expect.poll(() => page.getByTestId('profile-test-ok').textContent()).toContain('Reached');
    await profile.getByRole('button', { name: 'Save profile' }).click();
    await expect.poll(() => page.getByTestId('profile-row').count()).toBe(1);
    await shot('settings');
    expect(errors).toEqual([]);
  });

  it('the command palette and keyboard move between views and switch the theme', async () => {
    await page.keyboard.press('Control+k');
    const palette = page.getByRole('dialog', { name: 'Command palette' });
    await expect.poll(() => palette.isVisible()).toBe(true);
    await page.keyboard.type('go streams');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Streams');
    await page.keyboard.press('Alt+ArrowDown');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Consumers');
    await page.keyboard.press('Alt+1');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Overview');
    await page.keyboard.press('Control+k');
    await page.keyboard.type('dark theme');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe('dark');
    await page.reload();
    await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe('dark');
    await go('Metrics');
    await shot('metrics-dark');
    expect(errors).toEqual([]);
  });
});
