/**
 * Decisions that explain themselves and acting on messages, in Chromium (web mode) against a real
 * nats-server and a real `synos-cc serve`:
 * - the test publishes an input that makes the engine decide; the Engine view's why panel shows
 *   exactly that input (its CloudEvent id and its stream sequence) and the outputs' PubAck
 *   sequences, and its link opens the message browser at that message;
 * - the message browser shows a CloudEvents message's envelope as a header row (type, id, epoch),
 *   the epoch of an engine output being the one its Synos-Epoch header carries;
 * - a range ticked in the browser is exported to NDJSON holding exactly those messages, and
 *   "Replay to…" records it and replays exactly those messages under a mapped subject.
 * The open why panel and the browser with a range selected pass axe-core (no serious or critical).
 */
import { randomUUID } from 'node:crypto';
import AxeBuilder from '@axe-core/playwright';
import fs from 'node:fs';
import path from 'node:path';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchPageErrors } from '../harness/browser';
import { startServe, type ServeHandle } from '../harness/cli';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir, waitFor } from '../harness/temp';
import { bridgeDurableFor } from '../harness/bridge-durables';
import { encodeEnvelope } from '../harness/envelope';

const SHOTS = path.resolve(__dirname, '../../test-results/screenshots');

/** Serious or critical axe-core violations on the page as it is now (rule: targets). */
async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

const envelope = (id: string, data: unknown): Uint8Array =>
  encodeEnvelope('service.health.update', data, { id, source: 'e2e/why' });

describe('why panel, envelope header row and range export', () => {
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let serve: ServeHandle;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dataDir: string;
  const run = randomUUID().slice(0, 8);
  const service = `why-e2e-${run}`;
  const inputId = `e2e-why-input-${run}`;
  let inputSeq = 0;
  let rangeSeqs: number[] = [];

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    dataDir = tempDir('synos-e2e-why-');
    serve = await startServe(['--nats', nats.url, '--data', dataDir]);
    browser = await launchChromium();
    // AxeBuilder needs a page from an explicit context.
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    page = await context.newPage();
    errors = watchPageErrors(page);
    await page.goto(serve.url);
    await waitFor(
      async () => (await page.getByTestId('connection-state').first().getAttribute('data-state')) === 'connected',
      { timeoutMs: 15_000, message: 'the UI to show a live NATS connection' }
    );
    // The engine binds its durables once serve has provisioned the streams.
    await waitFor(
      async () =>
        (await jsm.consumers
          .info('ORCHESTRATOR_EVENTS', bridgeDurableFor('orchestrator.service.health'))
          .catch(() => null)) !== null && (await jsm.streams.info('CONSCIOUSNESS_EVENTS').catch(() => null)) !== null,
      { timeoutMs: 20_000, message: 'the streams and the bridge durables provisioned' }
    );
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await nc?.close();
    await nats?.stop();
  });

  it('the why panel shows the input the test published, with its stream seq, and the outputs’ PubAck seqs', async () => {
    const ack = await js.publish(
      'orchestrator.service.health',
      envelope(inputId, { service, status: 'unhealthy', detail: 'e2e probe failed' })
    );
    inputSeq = ack.seq;
    await page.goto(`${serve.origin}/#/engine`);
    const why = page.getByRole('button', { name: new RegExp(`^Why \\w+ for ${service} \\(p-`) });
    await why.waitFor({ timeout: 30_000 });
    await why.click();
    const panel = page.getByTestId('why-panel');
    const link = panel.getByTestId('why-input-link');
    await link.waitFor();
    expect(await link.textContent()).toBe(`${ack.stream} #${ack.seq}`);
    expect(await panel.getByTestId('why-inputs').textContent()).toContain(inputId);
    expect(await panel.getByTestId('why-strategy').textContent()).toMatch(
      /has the learned weight \d\.\d+ for service_unhealthy/
    );

    // Every output published: each row links to the stream message JetStream acknowledged.
    const outputs = panel.getByTestId('why-output');
    await expect
      .poll(async () => (await outputs.allTextContents()).every((t) => t.includes('published')), { timeout: 15_000 })
      .toBe(true);
    const decisionRow = outputs.filter({ hasText: 'consciousness.decision_made' });
    const decisionLink = decisionRow.getByRole('link');
    const [, stream, seq] = /^(\S+) #(\d+)$/.exec((await decisionLink.textContent()) ?? '') ?? [];
    const stored = await jsm.streams.getMessage(stream!, { seq: Number(seq) });
    expect(stored?.subject).toBe('consciousness.decision_made');
    expect((stored?.json() as { data: { target: string } }).data.target).toBe(service);
    await page.screenshot({ path: path.join(SHOTS, 'engine-why-panel.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);

    // The timeline holds the decision, with the same input link.
    const timeline = page.getByTestId('timeline-events');
    const onTimeline = timeline
      .getByRole('listitem')
      .filter({ hasText: `on ${service}` })
      .filter({ hasText: 'decision' });
    await expect.poll(() => onTimeline.count(), { timeout: 20_000 }).toBe(1);
    expect(await onTimeline.getByRole('link').getAttribute('href')).toBe(`#/streams/${ack.stream}/messages/${ack.seq}`);

    // The input link opens the message browser at that message, expanded, with its envelope row.
    await link.click();
    await expect.poll(() => page.url()).toContain(`#/streams/${ack.stream}/messages/${ack.seq}`);
    const open = page.locator('details[open]');
    await open.first().waitFor();
    expect(await open.count()).toBe(1);
    const row = open.getByTestId('envelope-row');
    expect(await row.getByTestId('envelope-type').textContent()).toBe('service.health.update');
    expect(await row.getByTestId('envelope-id').textContent()).toBe(inputId);
    expect(await row.getByTestId('envelope-epoch').textContent()).toBe('none');

    // An engine output's epoch is the one its Synos-Epoch header carries.
    await page.goto(`${serve.origin}/#/streams/${stream}/messages/${seq}`);
    const outputRow = page.locator('details[open]').getByTestId('envelope-row');
    await expect
      .poll(() => outputRow.getByTestId('envelope-id').textContent(), { timeout: 15_000 })
      .toBe((stored?.json() as { id: string }).id);
    expect(await outputRow.getByTestId('envelope-type').textContent()).toBe('consciousness.decision_made');
    const header = stored?.header?.get('Synos-Epoch');
    expect(header, 'serve runs the engine under a lease epoch').toMatch(/^\d+$/);
    expect(await outputRow.getByTestId('envelope-epoch').textContent()).toBe(header);
    expect(errors).toEqual([]);
  });

  it('a range ticked in the browser exports exactly those messages', async () => {
    expect(inputSeq, 'the first test published the input').toBeGreaterThan(0);
    const more: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const ack = await js.publish(
        'orchestrator.service.health',
        envelope(`e2e-range-${run}-${i}`, { service, status: 'healthy' })
      );
      more.push(ack.seq);
    }
    rangeSeqs = more;
    const subject = 'orchestrator.service.health';
    await page.goto(`${serve.origin}/#/streams/ORCHESTRATOR_EVENTS/messages/${inputSeq}`);
    await page.getByRole('textbox', { name: 'Subject filter' }).fill(subject);
    await page.getByRole('button', { name: 'Load' }).click();
    const from = more[0]!;
    const to = more[2]!;
    await page.getByRole('checkbox', { name: `Select message ${from}` }).check();
    await page.getByRole('checkbox', { name: `Select message ${to}` }).check();
    expect(await page.getByRole('checkbox', { name: `Select message ${more[1]}` }).isChecked()).toBe(true);
    expect(await page.getByTestId('range-label').textContent()).toBe(
      `ORCHESTRATOR_EVENTS #${from}–#${to} on ${subject}`
    );
    await page.getByRole('button', { name: 'Export…' }).click();
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    const done = page.getByTestId('range-exported');
    await done.waitFor({ timeout: 15_000 });
    const name = /exports\/(\S+)/.exec((await done.textContent()) ?? '')?.[1];
    expect(name).toBeTruthy();
    const lines = fs
      .readFileSync(path.join(dataDir, 'exports', name!), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(3);
    for (let i = 1; i <= 3; i++) expect(lines[i - 1]).toContain(`e2e-range-${run}-${i}`);
    // The download link serves the same file.
    const href = await done.getByRole('link').getAttribute('href');
    const body = await page.evaluate(async (url) => (await fetch(url!)).text(), href);
    expect(body.split('\n').filter((l) => l.trim() !== '')).toHaveLength(3);
    await page.screenshot({ path: path.join(SHOTS, 'messages-range-export.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('Replay to… records the ticked range and replays exactly those messages under the mapped subject', async () => {
    expect(rangeSeqs, 'the export test published the range').toHaveLength(3);
    const target = `e2e.replayed.${run}`;
    const received: string[] = [];
    const sub = nc.subscribe(target, {
      callback: (_e, m) => {
        received.push((m.json() as { id: string }).id);
      }
    });
    await nc.flush();
    try {
      const subject = 'orchestrator.service.health';
      await page.goto(`${serve.origin}/#/streams/ORCHESTRATOR_EVENTS/messages/${rangeSeqs[0]}`);
      await page.getByRole('textbox', { name: 'Subject filter' }).fill(subject);
      await page.getByRole('button', { name: 'Load' }).click();
      await page.getByRole('checkbox', { name: `Select message ${rangeSeqs[0]}` }).check();
      await page.getByRole('checkbox', { name: `Select message ${rangeSeqs[2]}` }).check();
      await page.getByRole('button', { name: 'Replay to…' }).click();
      const form = page.getByRole('form', {
        name: `Replay ORCHESTRATOR_EVENTS #${rangeSeqs[0]}–#${rangeSeqs[2]} on ${subject}`
      });
      await form.waitFor({ timeout: 15_000 });
      expect(await page.getByTestId('range-recorded').textContent()).toMatch(/Recording \d+ \(3 messages\)/);
      await form.getByRole('textbox', { name: 'Subject map' }).fill(`${subject}=${target}`);
      await form.getByRole('button', { name: 'Replay' }).click();
      await waitFor(async () => received.length >= 3, { timeoutMs: 15_000, message: 'the three replayed messages' });
      expect(received).toEqual([1, 2, 3].map((i) => `e2e-range-${run}-${i}`));
      expect(errors).toEqual([]);
    } finally {
      sub.unsubscribe();
    }
  });
});
