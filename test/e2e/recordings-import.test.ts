/**
 * Import in the UI (web mode, Chromium): a recording file with a bad line is uploaded, checked,
 * and refused with its line number while nothing reaches NATS; the fixed file is replayed with a
 * subject rewrite and its messages arrive on a real nats-server, the progress reaching 100 %. A file
 * the OS opens with the app (the desktop's file-open) reaches the same import through a grant.
 */
import fs from 'node:fs';
import path from 'node:path';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../main/app/create-core';
import { silentLogger } from '../../main/core/logger';
import { startWebServer, type WebServer } from '../../main/transport/web-server';
import { launchChromium, watchPageErrors } from '../harness/browser';
import { startServe, type ServeHandle } from '../harness/cli';
import { createTestCore } from '../harness/core';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir, waitFor } from '../harness/temp';

const SHOTS = path.resolve(__dirname, '../../test-results/screenshots');
const COUNT = 40;

function recordingLine(i: number): string {
  return JSON.stringify({
    subject: `e2e.import.${i % 2 === 0 ? 'even' : 'odd'}`,
    headers: { 'X-Index': [String(i)] },
    payload: JSON.stringify({ i }),
    encoding: 'utf8',
    time: new Date(Date.UTC(2026, 0, 1) + i * 10).toISOString(),
    seq: i + 1
  });
}

describe('importing a recording in the browser', () => {
  let nats: NatsServerHandle;
  let serve: ServeHandle;
  let nc: NatsConnection;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let data: string;
  const received: Array<{ subject: string; data: string }> = [];
  let subs: Subscription[] = [];

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    nats = await startNatsServer();
    data = tempDir();
    serve = await startServe(['--nats', nats.url, '--data', data]);
    nc = await connect({ servers: nats.url });
    // Whatever is sent, original subjects or rewritten ones, is seen here.
    subs = ['e2e.>', 'replayed.>'].map((subject) => {
      const sub = nc.subscribe(subject);
      void (async () => {
        for await (const m of sub) received.push({ subject: m.subject, data: m.string() });
      })();
      return sub;
    });
    await nc.flush();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = watchPageErrors(page);
    await page.goto(serve.url);
    await waitFor(
      async () => (await page.getByTestId('connection-state').first().getAttribute('data-state')) === 'connected',
      { timeoutMs: 15_000, message: 'the UI to show a live NATS connection' }
    );
  });

  afterAll(async () => {
    for (const sub of subs) sub.unsubscribe();
    await nc?.close();
    await browser?.close();
    await serve?.stop();
    await nats?.stop();
  });

  it('shows the bad line number and sends nothing; the fixed file replays with a subject rewrite to 100 %', async () => {
    // Recordings live in the Outbox view (durability: outbox, dead letters, recordings).
    await page.getByRole('link', { name: 'Outbox', exact: true }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Outbox');
    const importer = page.getByRole('region', { name: 'Import a recording' });
    await expect.poll(() => importer.textContent()).toMatch(/up to 2 GB|up to 2(\.0)? GiB|up to 2,048/);

    const lines = Array.from({ length: COUNT }, (_, i) => recordingLine(i));
    const bad = [...lines];
    bad[6] = '{"subject": "e2e.import.even", "payload": oops}';
    const dir = tempDir();
    const badFile = path.join(dir, 'capture.ndjson');
    fs.writeFileSync(badFile, bad.join('\n') + '\n');
    await importer.getByLabel('Recording file').setInputFiles(badFile);
    const problems = page.getByTestId('import-errors');
    await expect.poll(() => problems.textContent(), { timeout: 15_000 }).toContain('line 7: not JSON');
    expect(await problems.textContent()).toMatch(/1 bad line of 40\. Nothing was stored or sent/);
    await page.screenshot({ path: path.join(SHOTS, 'recordings-import-invalid.png'), fullPage: true });
    // Nothing went out and nothing was stored.
    await nc.flush();
    await new Promise((r) => setTimeout(r, 500));
    expect(received).toEqual([]);
    expect(await page.getByTestId('recording-row').count()).toBe(0);

    const goodFile = path.join(dir, 'capture-fixed.ndjson');
    fs.writeFileSync(goodFile, lines.join('\n') + '\n');
    await importer.getByLabel('Recording file').setInputFiles(goodFile);
    const ready = page.getByTestId('import-ready');
    await expect.poll(() => ready.textContent(), { timeout: 15_000 }).toMatch(/40 messages checked/);
    expect(received).toEqual([]);
    const replay = ready.getByRole('form', { name: 'Replay the import' });
    await replay.getByLabel('Subject map').fill('e2e.import.>=replayed.import.>');
    await replay.getByRole('button', { name: 'Replay' }).click();

    await waitFor(() => received.length >= COUNT, { timeoutMs: 15_000, message: `${COUNT} replayed messages` });
    expect(received.map((m) => m.subject)).toEqual(
      lines.map((_, i) => `replayed.import.${i % 2 === 0 ? 'even' : 'odd'}`)
    );
    expect(received.map((m) => m.data)).toEqual(lines.map((_, i) => JSON.stringify({ i })));
    await expect
      .poll(() => page.getByTestId('replay-progress').textContent(), { timeout: 15_000 })
      .toMatch(/done: 40 \/ 40 \(100 %/);
    expect(await page.getByTestId('replay-progress').locator('progress').first().getAttribute('value')).toBe('40');
    await page.screenshot({ path: path.join(SHOTS, 'recordings-import-replayed.png'), fullPage: true });
    // The upload sits in the data directory's recordings/ folder, private to the user.
    const uploads = fs.readdirSync(path.join(data, 'recordings'));
    expect(uploads).toEqual(expect.arrayContaining(['capture.ndjson', 'capture-fixed.ndjson']));
    expect(fs.statSync(path.join(data, 'recordings', 'capture-fixed.ndjson')).mode & 0o777).toBe(0o600);
    expect(errors).toEqual([]);
  });
});

describe('a recording the OS opens with the app', () => {
  let nats: NatsServerHandle;
  let core: Core;
  let server: WebServer;
  let browser: Browser;

  beforeAll(async () => {
    nats = await startNatsServer();
    core = createTestCore({ servers: [nats.url], autoConnect: true });
    await core.start();
    server = await startWebServer({
      api: core.api,
      logger: silentLogger,
      staticDir: path.resolve(__dirname, '../../out/renderer'),
      health: () => ({})
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await core?.stop();
    await nats?.stop();
  });

  it('takes the UI to the import, which checks it through its grant (the page never sees the path)', async () => {
    const page = await browser.newPage();
    const errors = watchPageErrors(page);
    await page.goto(server.urlWithToken);
    await waitFor(
      async () => (await page.getByTestId('connection-state').first().getAttribute('data-state')) === 'connected',
      { timeoutMs: 15_000, message: 'the UI to show a live NATS connection' }
    );
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Overview');
    const dir = tempDir();
    const file = path.join(dir, 'double-clicked.ndjson');
    fs.writeFileSync(file, [0, 1, 2].map(recordingLine).join('\n') + '\n');
    // What the desktop shell does on open-file / a second instance's argv.
    core.app.system.openedFiles.offer(file);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 10_000 }).toBe('Outbox');
    await expect
      .poll(() => page.getByTestId('import-ready').textContent(), { timeout: 15_000 })
      .toMatch(/double-clicked\.ndjson: 3 messages checked/);
    expect(await page.content()).not.toContain(dir);
    expect((await core.api.invoke('recordings.list', {})).recordings).toEqual([
      expect.objectContaining({ name: 'double-clicked.ndjson', messageCount: 3, source: 'import' })
    ]);
    expect(errors).toEqual([]);
  });
});
