/**
 * The operator's repair flows in Chromium (web mode) against a real nats-server:
 * - dead letters: real outbox rows that failed every attempt are retried (and delivered once a
 *   stream takes their subject) or discarded from the Outbox view;
 * - drift: a stream changed behind the app's back shows its differences in the Streams view and
 *   "Apply desired configuration" puts the server back, while a storage-type difference is only
 *   reported as blocked;
 * - the Messages view's request form: a reply with its headers, NO_RESPONDERS and TIMEOUT.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/core/logger';
import { DATABASE_FILE } from '../../main/core/paths';
import { AsyncJetStreamPublisher } from '../../main/nats/async-publisher';
import { streamConfigFor } from '../../main/nats/provisioning';
import { desiredStreams } from '../../main/nats/topology';
import { OutboxStore, type OutboxEntry } from '../../main/resilience/outbox-store';
import { failureText } from '../../main/resilience/replay-manager';
import { openDatabase } from '../../main/store/database';
import { MIGRATIONS } from '../../main/store/migrations';
import { launchChromium, watchPageErrors } from '../harness/browser';
import { runCliSync, startServe, type ServeHandle } from '../harness/cli';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir, waitFor } from '../harness/temp';

const SHOTS = path.resolve(__dirname, '../../test-results/screenshots');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const encoder = new TextEncoder();

/**
 * The error the outbox drain records for a subject no stream takes: a real publish through the
 * drain's own publisher, worded as the replay manager stores it.
 */
async function noStreamError(nc: NatsConnection, subject: string): Promise<string> {
  const publisher = new AsyncJetStreamPublisher(nc, { timeoutMs: 5000 });
  try {
    await publisher.publish(subject, encoder.encode('{}'), { msgID: randomUUID() });
  } catch (error) {
    return failureText(subject, error as Error);
  } finally {
    publisher.close();
  }
  throw new Error(`a stream took ${subject}: the dead letters need a subject nothing captures`);
}

/**
 * Writes real outbox rows into the data directory and fails each of them through every attempt
 * of the retry policy with OutboxStore itself, its clock moved past each back-off, so they are
 * dead letters exactly as a drainer would leave them (without waiting minutes of back-off).
 */
function prepareDeadLetters(dataDir: string, errors: ReadonlyMap<string, string>): Map<string, string> {
  const subjects = [...errors.keys()];
  const { db } = openDatabase(path.join(dataDir, DATABASE_FILE), { migrations: MIGRATIONS, logger: silentLogger });
  try {
    // Start 30 minutes back, so the last attempt is still in the past when serve reads the rows.
    let clock = Date.now() - 30 * MINUTE;
    const store = new OutboxStore(db, { now: () => clock, owner: `e2e-prepare:${process.pid}` });
    const ids = new Map(subjects.map((subject) => [subject, randomUUID()]));
    store.enqueue(
      subjects.map((subject) => ({
        id: ids.get(subject)!,
        subject,
        payload: encoder.encode(
          JSON.stringify({ order: subject.split('.').pop(), note: 'dead letter from the e2e test' })
        ),
        priority: 'normal' as const
      }))
    );
    let died = 0;
    for (let attempt = 1; attempt <= store.retry.maxAttempts; attempt++) {
      const claimed = store.claim(subjects.length);
      expect(claimed.map((r) => r.subject).sort()).toEqual([...subjects].sort());
      died += store.fail(claimed.map((r) => ({ id: r.id, error: errors.get(r.subject)! })));
      clock += 2 * MINUTE; // past the longest back-off (60 s)
    }
    expect(died).toBe(subjects.length);
    expect(store.stats().counts.dead).toBe(subjects.length);
    return ids;
  } finally {
    db.close();
  }
}

/** One outbox row, read from the shared SQLite file as another process would. */
function outboxEntry(dataDir: string, id: string): OutboxEntry | null {
  const { db } = openDatabase(path.join(dataDir, DATABASE_FILE), { migrations: MIGRATIONS, logger: silentLogger });
  try {
    return new OutboxStore(db).get(id);
  } finally {
    db.close();
  }
}

describe('operations: dead letters, drift apply, request', () => {
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let serve: ServeHandle;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dataDir: string;
  let deadIds: Map<string, string>;
  // A subject family of this test run only, that no stream of the topology takes.
  const run = randomUUID().slice(0, 8);
  const retrySubject = `ops.dlq.${run}.retry`;
  const discardSubject = `ops.dlq.${run}.discard`;
  const noStream = new Map<string, string>();

  const go = async (label: string): Promise<void> => {
    await page.getByRole('link', { name: label, exact: true }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(label);
  };
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `operations-${name}.png`), fullPage: true });

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);

    // Someone created CONSCIOUSNESS_EVENTS as a memory stream before the app ever ran: everything
    // as desired except the storage type, which no update can change.
    const consciousness = desiredStreams().find((s) => s.name === 'CONSCIOUSNESS_EVENTS')!;
    await jsm.streams.add({ ...streamConfigFor(consciousness), storage: 'memory' as never });

    // Dead letters in the data directory serve will use, failed with the real no-stream error.
    dataDir = tempDir('synos-e2e-ops-');
    for (const subject of [retrySubject, discardSubject]) noStream.set(subject, await noStreamError(nc, subject));
    deadIds = prepareDeadLetters(dataDir, noStream);

    serve = await startServe(['--nats', nats.url, '--data', dataDir]);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
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
    await browser?.close();
    await serve?.stop();
    await nc?.close();
    await nats?.stop();
  });

  it('retries one dead letter (delivered once a stream takes its subject) and discards another', async () => {
    const retryId = deadIds.get(retrySubject)!;
    const discardId = deadIds.get(discardSubject)!;
    await go('Outbox');
    const rows = page.getByTestId('dlq-row');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);
    await expect
      .poll(() => page.getByRole('heading', { name: /^Dead letters \(DLQ\)/ }).textContent())
      .toBe('Dead letters (DLQ) — 2');
    const retryRow = rows.filter({ hasText: retrySubject });
    expect(await retryRow.textContent()).toContain(retryId);
    expect(noStream.get(retrySubject)).toContain(`no stream takes ${retrySubject}`);
    expect(await retryRow.textContent()).toContain(noStream.get(retrySubject));
    // Attempts column: every attempt of the policy was spent.
    expect(await retryRow.locator('td').nth(4).textContent()).toBe('10');
    expect(await page.getByTestId('outbox-dead').textContent()).toBe('2');
    await shot('dlq');

    // The operator retries one letter: it leaves the DLQ with a fresh attempt budget. No stream
    // takes its subject yet, so the running drain fails it again and keeps it retrying, with
    // the drain's own wording of the cause.
    await page.getByRole('checkbox', { name: `Select dead letter ${retryId}` }).check();
    await page.getByRole('button', { name: 'Retry 1 selected' }).click();
    await expect.poll(() => page.getByTestId('toasts').textContent()).toContain('Put 1 dead letter back in the outbox');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(1);
    expect(await rows.first().textContent()).toContain(discardSubject);
    const retrying = await waitFor(
      () => {
        const entry = outboxEntry(dataDir, retryId);
        return entry?.status === 'retrying' && entry.lastError ? entry : null;
      },
      { timeoutMs: 20_000, message: `the drain to try ${retryId} again` }
    );
    expect(retrying.lastError).toContain(`NoResponders: no stream takes ${retrySubject}`);
    await expect.poll(() => page.getByTestId('outbox-dead').textContent(), { timeout: 25_000 }).toBe('1');

    expect(retrying.attempts).toBeLessThan(10);
    await page.getByRole('tab', { name: 'retrying', exact: true }).click();
    await expect
      .poll(() => page.getByRole('table', { name: 'Outbox retrying' }).textContent(), { timeout: 15_000 })
      .toContain(retryId);
    expect(await page.getByRole('table', { name: 'Outbox retrying' }).textContent()).toContain(
      `no stream takes ${retrySubject}`
    );
    await shot('dlq-retrying');

    // A stream takes the subject: the next attempt delivers it under its id (Nats-Msg-Id).
    await jsm.streams.add({ name: `OPS_DLQ_${run.toUpperCase()}`, subjects: [`ops.dlq.${run}.>`] });
    await waitFor(() => outboxEntry(dataDir, retryId)?.status === 'completed', {
      timeoutMs: 30_000,
      message: `outbox row ${retryId} to be completed`
    });
    const stored = await jsm.streams.getMessage(`OPS_DLQ_${run.toUpperCase()}`, { last_by_subj: retrySubject });
    expect(stored?.header?.get('Nats-Msg-Id')).toBe(retryId);
    expect(stored?.json<{ order: string }>().order).toBe('retry');
    await page.getByRole('tab', { name: 'completed', exact: true }).click();
    await expect
      .poll(() => page.getByRole('table', { name: 'Outbox completed' }).textContent(), { timeout: 15_000 })
      .toContain(retryId);

    // Discard the other one behind its confirmation; it is gone, also for the CLI.
    await page.getByRole('checkbox', { name: `Select dead letter ${discardId}` }).check();
    await page.getByRole('button', { name: 'Discard 1 selected…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Discard dead letters?' });
    await expect.poll(() => dialog.textContent()).toContain('1 dead letter is deleted and never delivered');
    await dialog.getByRole('button', { name: 'Discard', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('toasts').getByText('Discarded 1 dead letter', { exact: true }).count())
      .toBe(1);
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(0);
    await expect.poll(() => page.getByText('No dead letters.').isVisible()).toBe(true);
    await expect.poll(() => page.getByTestId('outbox-dead').textContent(), { timeout: 15_000 }).toBe('0');
    const cli = runCliSync(['--data', dataDir, 'dlq', 'list', '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    const listed = JSON.parse(cli.stdout) as { total: number; entries: Array<{ id: string }> };
    expect(listed.total).toBe(0);
    expect(listed.entries.map((e) => e.id)).not.toContain(discardId);
    expect(outboxEntry(dataDir, discardId)).toBeNull();
    await shot('dlq-after');
    expect(errors).toEqual([]);
  });

  it('shows drift made behind the app, applies the desired configuration, and leaves a storage change blocked', async () => {
    await go('Streams');
    const card = page.getByRole('article', { name: 'Syn_OS topology drift' });
    // Only the storage type differs at first: reported as blocked.
    await expect
      .poll(() => card.textContent(), { timeout: 15_000 })
      .toContain('storage: want file, have memory — cannot change in place');

    // Someone shortens SECURITY_EVENTS' retention and raises its message limit on the server.
    await jsm.streams.update('SECURITY_EVENTS', { max_age: nanos(HOUR), max_msgs: 1234 });
    await card.getByRole('button', { name: 'Check drift' }).click();
    await expect.poll(() => card.textContent()).toContain('max_age: want 30d, have 1h');
    expect(await card.textContent()).toContain('max_msgs: want 200000, have 1234');
    expect(await card.getByTestId('drift-out-of-sync').textContent()).toBe(
      '2 items differ from the desired configuration.'
    );
    const security = card.getByRole('listitem').filter({ hasText: 'SECURITY_EVENTS' });
    expect(await security.textContent()).toContain('SECURITY_EVENTS (stream): drift');
    const consciousness = card.getByRole('listitem').filter({ hasText: 'CONSCIOUSNESS_EVENTS' });
    expect(await consciousness.textContent()).toContain('CONSCIOUSNESS_EVENTS (stream): blocked');
    await shot('drift');

    // The stream's own page shows the same drift for that stream alone.
    await page.getByRole('link', { name: 'SECURITY_EVENTS', exact: true }).click();
    const own = page.getByRole('article', { name: 'Drift of SECURITY_EVENTS against the Syn_OS topology' });
    await expect.poll(() => own.textContent(), { timeout: 15_000 }).toContain('max_age: want 30d, have 1h');
    expect(await own.getByTestId('drift-out-of-sync').textContent()).toBe(
      '1 item differs from the desired configuration.'
    );
    expect(await own.textContent()).not.toContain('CONSCIOUSNESS_EVENTS');
    await go('Streams');

    await card.getByRole('button', { name: 'Apply desired configuration' }).click();
    await expect
      .poll(() => page.getByTestId('toasts').textContent(), { timeout: 15_000 })
      .toContain('Provisioned: 0 created, 1 updated, 1 blocked');
    // The server holds the desired limits again; the memory stream is still the same memory stream.
    const info = await jsm.streams.info('SECURITY_EVENTS');
    expect(info.config.max_age).toBe(nanos(30 * DAY));
    expect(info.config.max_msgs).toBe(200_000);
    expect((await jsm.streams.info('CONSCIOUSNESS_EVENTS')).config.storage).toBe('memory');
    // The card re-checks: SECURITY_EVENTS is gone from the list, the blocked storage stays.
    await expect
      .poll(() => card.getByTestId('drift-out-of-sync').textContent(), { timeout: 15_000 })
      .toBe('1 item differs from the desired configuration.');
    expect(await card.textContent()).not.toContain('SECURITY_EVENTS');
    expect(await card.textContent()).toContain('storage: want file, have memory — cannot change in place');
    await shot('drift-applied');
    expect(errors).toEqual([]);
  });

  it('sends a request: shows the reply with its headers, NO_RESPONDERS, and TIMEOUT', async () => {
    const answered = `ops.req.${run}.echo`;
    const silent = `ops.req.${run}.silent`;
    const nobody = `ops.req.${run}.nobody`;
    // A responder that answers with a JSON payload and a header, echoing what it got.
    const responder = nc.subscribe(answered, {
      callback: (error, msg) => {
        if (error) return;
        const h = headers();
        h.set('Responder', 'e2e-echo');
        msg.respond(encoder.encode(JSON.stringify({ echoed: msg.string(), from: 'e2e-responder' })), { headers: h });
      }
    });
    // One that listens but never answers.
    const mute = nc.subscribe(silent, { callback: () => undefined });
    await nc.flush();
    try {
      await go('Messages');
      const form = page.getByRole('form', { name: 'Request' });
      await form.getByLabel('Subject').fill(answered);
      await form.getByLabel('Body').fill('ping from the UI');
      await form.getByRole('button', { name: 'Send request' }).click();
      const reply = page.getByTestId('request-reply');
      await expect
        .poll(() => reply.getByLabel('Payload of the reply').textContent(), { timeout: 15_000 })
        .toContain('"echoed": "ping from the UI"');
      expect(await reply.getByLabel('Payload of the reply').textContent()).toContain('"from": "e2e-responder"');
      expect(await reply.getByLabel('Headers of the reply').textContent()).toContain('e2e-echo');
      await shot('request-reply');

      // Nobody subscribed: NO_RESPONDERS with what to do next, and the old reply is gone.
      await form.getByLabel('Subject').fill(nobody);
      await form.getByRole('button', { name: 'Send request' }).click();
      const alert = page.getByRole('article', { name: 'Request' }).getByRole('alert');
      await expect
        .poll(() => alert.textContent(), { timeout: 15_000 })
        .toContain(`NO_RESPONDERS no responders on ${nobody}`);
      expect(await alert.textContent()).toContain(
        'Start the service that answers on this subject, or check the subject spelling.'
      );
      expect(await reply.count()).toBe(0);
      await shot('request-no-responders');

      // A subscriber that never answers, a short timeout: TIMEOUT with its hint.
      await form.getByLabel('Subject').fill(silent);
      await form.getByLabel('Timeout (ms)').fill('300');
      await form.getByRole('button', { name: 'Send request' }).click();
      await expect
        .poll(() => alert.textContent(), { timeout: 15_000 })
        .toContain(`TIMEOUT no reply on ${silent} within 300 ms`);
      expect(await alert.textContent()).toContain(
        'The responder is slow or busy: raise the timeout (Timeout in the Messages view'
      );
      await shot('request-timeout');
      expect(errors).toEqual([]);
    } finally {
      responder.unsubscribe();
      mute.unsubscribe();
    }
  });
});
