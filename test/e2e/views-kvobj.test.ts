/**
 * The Key-Value and Object Stores views in Chromium (web mode) against a real nats-server:
 * empty lists, data, a bucket that does not exist (error), values as JSON, history, a stale
 * revision refused as a conflict the operator can read, a live watch, an upload and a download
 * streamed through the web server, the lists answered from the cache (marked) with NATS down, and
 * the loading state while NATS answers slowly.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchPageErrors } from '../harness/browser';
import { startServe, type ServeHandle } from '../harness/cli';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { startTcpProxy, type TcpProxy } from '../harness/tcp-proxy';
import { tempDir, waitFor } from '../harness/temp';

const SHOTS = path.resolve(__dirname, '../../test-results/screenshots');

describe('key-value and object store views', () => {
  let nats: NatsServerHandle;
  let serve: ServeHandle;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let nc: NatsConnection;
  const dir = tempDir();

  const go = async (label: string): Promise<void> => {
    await page.getByRole('link', { name: label, exact: true }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(label);
  };

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    serve = await startServe(['--nats', nats.url, '--data', tempDir(), '--no-provision']);
    browser = await launchChromium();
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } });
    page = await context.newPage();
    errors = watchPageErrors(page);
    await page.goto(serve.url);
    await waitFor(
      async () => (await page.getByTestId('connection-state').first().getAttribute('data-state')) === 'connected',
      { timeoutMs: 15_000, message: 'the UI to show a live NATS connection' }
    );
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await nc?.close();
    await nats?.stop();
  });

  it('shows only the engine lease buckets, then a created bucket with its keys, values and history; a stale revision is a conflict', async () => {
    await go('Key-Value');
    // The serve process runs the engine lease, whose own buckets (SYNOS_ENGINE*) are all there is;
    // the empty list itself is checked in test/renderer/kv.test.tsx.
    const rows = page.getByTestId('kv-bucket-row');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect((await rows.allTextContents()).every((t) => t.startsWith('SYNOS_ENGINE'))).toBe(true);

    await page.getByLabel('Name').fill('CONFIG');
    await page.getByLabel('History (revisions per key)').fill('5');
    await page.getByRole('button', { name: 'Create bucket' }).click();
    await expect.poll(() => page.getByTestId('kv-history-setting').textContent(), { timeout: 15_000 }).toBe('5');
    await expect.poll(() => page.getByTestId('kv-keys-empty').isVisible()).toBe(true);

    const kv = await new Kvm(nc).open('CONFIG');
    for (let i = 0; i < 130; i++) await kv.put(`svc.${String(i).padStart(3, '0')}`, `{"replicas":${i}}`);
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.getByTestId('kv-key-row').count(), { timeout: 15_000 }).toBe(100);
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => page.getByTestId('kv-key-row').count()).toBe(30);
    await expect.poll(() => page.getByTestId('kv-page-info').textContent()).toContain('Keys 101–130');

    // A filter that is not a key pattern is refused with the rule; one that matches nothing says so.
    await page.getByLabel('Key filter').fill('svc.00*');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect
      .poll(() => page.getByRole('alert').filter({ hasText: 'INVALID_INPUT' }).first().textContent())
      .toContain('a key pattern is a key whose tokens may be *');
    await page.getByLabel('Key filter').fill('other.>');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.getByTestId('kv-key-row').count()).toBe(0);
    await expect.poll(() => page.getByTestId('kv-keys-empty').textContent()).toContain('No keys match other.>');
    await page.getByLabel('Key filter').fill('svc.*');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.getByTestId('kv-key-row').count()).toBe(100);

    await page.getByRole('link', { name: 'svc.007' }).click();
    await expect.poll(() => page.getByLabel('Payload of svc.007').textContent()).toContain('"replicas": 7');
    await expect.poll(() => page.getByTestId('kv-entry-meta').textContent()).toContain('Revision 8');

    // Another writer changes the key after the view read it: saving over revision 8 must be refused.
    await kv.put('svc.007', '{"replicas":70}');
    await page.getByLabel('Value').fill('{"replicas":8}');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => page.getByTestId('kv-conflict').textContent())
      .toContain('it is at revision 131, you edited revision 8');
    await page.screenshot({ path: path.join(SHOTS, 'kv-conflict.png'), fullPage: true });
    expect((await kv.get('svc.007'))?.string()).toBe('{"replicas":70}');

    await page.getByLabel('Expected revision').fill('131');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('kv-entry-meta').textContent()).toContain('Revision 132');
    await expect.poll(() => page.getByTestId('kv-history-row').count()).toBe(3);
    expect((await kv.get('svc.007'))?.string()).toBe('{"replicas":8}');

    await page.getByRole('button', { name: 'Watch', exact: true }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Stop watching' }).isVisible()).toBe(true);
    await kv.put('svc.200', 'new');
    await expect.poll(() => page.getByTestId('kv-watch-event').first().textContent()).toContain('PUT svc.200');
    await page.getByRole('button', { name: 'Stop watching' }).click();
  });

  it('says so when a bucket does not exist', async () => {
    await page.goto(`${serve.origin}/#/kv/NOPE`);
    await expect.poll(() => page.getByRole('alert').first().textContent(), { timeout: 15_000 }).toContain('NOT_FOUND');
  });

  it('creates an object store, uploads and downloads a file streamed, with the digest and size shown', async () => {
    await page.goto(`${serve.origin}/#/objects`);
    await expect.poll(() => page.getByTestId('obj-empty').isVisible(), { timeout: 15_000 }).toBe(true);
    await page.getByLabel('Name').fill('FILES');
    await page.getByRole('button', { name: 'Create object store' }).click();
    await expect.poll(() => page.getByTestId('obj-objects-empty').isVisible(), { timeout: 15_000 }).toBe(true);

    const file = path.join(dir, 'data.bin');
    const data = Buffer.alloc(2 * 1024 * 1024 + 5, 7);
    fs.writeFileSync(file, data);
    await page.getByLabel('File to upload').setInputFiles(file);
    await expect.poll(() => page.getByTestId('obj-row').count(), { timeout: 30_000 }).toBe(1);
    await page.getByRole('button', { name: 'data.bin' }).click();
    await expect.poll(() => page.getByLabel('Object details').textContent()).toContain('2,097,157 bytes');
    await expect.poll(() => page.getByLabel('Object details').textContent()).toContain('SHA-256=');

    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe('data.bin');
    const saved = path.join(dir, 'saved.bin');
    await download.saveAs(saved);
    expect(createHash('sha256').update(fs.readFileSync(saved)).digest('hex')).toBe(
      createHash('sha256').update(data).digest('hex')
    );
    await expect
      .poll(() => page.locator('[data-testid="obj-transfer"][data-state="done"]').count(), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(1);

    await page.getByRole('button', { name: 'Seal…' }).click();
    await page.getByRole('dialog').getByRole('textbox').fill('FILES');
    await page.getByRole('dialog').getByRole('button', { name: 'Seal' }).click();
    await expect.poll(() => page.getByTestId('obj-sealed').textContent()).toContain('yes');
  });

  it('answers both lists from the cache, marked, while NATS is down', async () => {
    await page.goto(`${serve.origin}/#/kv`);
    const own = (texts: string[]) => texts.filter((t) => !t.startsWith('SYNOS_ENGINE'));
    await expect
      .poll(async () => own(await page.getByTestId('kv-bucket-row').allTextContents()).length, { timeout: 15_000 })
      .toBe(1);
    await nats.kill9();
    await expect.poll(() => page.getByTestId('offline-banner').isVisible(), { timeout: 15_000 }).toBe(true);
    await page.reload();
    await expect.poll(() => page.getByTestId('cached-mark').first().isVisible(), { timeout: 20_000 }).toBe(true);
    expect(own(await page.getByTestId('kv-bucket-row').allTextContents())).toHaveLength(1);
    await go('Object Stores');
    await expect.poll(() => page.getByTestId('obj-bucket-row').count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => page.getByTestId('cached-mark').first().isVisible()).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, 'objects-offline.png'), fullPage: true });
    await nats.restart();
    expect(errors).toEqual([]);
  });
});

describe('key-value and object store views while NATS answers slowly', () => {
  let nats: NatsServerHandle;
  let proxy: TcpProxy;
  let serve: ServeHandle;
  let browser: Browser;

  beforeAll(async () => {
    nats = await startNatsServer();
    proxy = await startTcpProxy({ port: nats.port });
    serve = await startServe(['--nats', proxy.url, '--data', tempDir(), '--no-provision']);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await proxy?.close();
    await nats?.stop();
  });

  it('say they are loading until the answer comes', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchPageErrors(page);
    await page.goto(serve.url);
    await waitFor(
      async () => (await page.getByTestId('connection-state').first().getAttribute('data-state')) === 'connected',
      { timeoutMs: 15_000, message: 'the UI to show a live NATS connection' }
    );
    // Every request to NATS now takes seconds: the views must say they are loading meanwhile.
    proxy.setLatency(2000);
    await page.getByRole('link', { name: 'Key-Value', exact: true }).click();
    await expect.poll(() => page.getByText('Loading buckets…').isVisible()).toBe(true);
    await page.getByRole('link', { name: 'Object Stores', exact: true }).click();
    await expect.poll(() => page.getByText('Loading object stores…').isVisible()).toBe(true);
    proxy.setLatency(0);
    await expect.poll(() => page.getByTestId('obj-empty').isVisible(), { timeout: 30_000 }).toBe(true);
    expect(errors).toEqual([]);
  });
});
