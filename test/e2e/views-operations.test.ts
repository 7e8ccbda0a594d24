/**
 * The operator's repair flows in Chromium (web mode) against a real nats-server:
 * - dead letters: real outbox rows that failed every attempt are retried (and delivered once a
 *   stream takes their subject) or discarded from the Outbox view;
 * - drift: a stream changed behind the app's back shows its differences in the Streams view and
 *   "Apply desired configuration" puts the server back, while a storage-type difference is only
 *   reported as blocked;
 * - the Messages view's request form: a reply with its headers, NO_RESPONDERS and TIMEOUT; headers
 *   typed in the request and publish forms reach a real subscriber, malformed ones are refused inline;
 * - "Retry all" and "Discard all" on several dead letters, checked in the view and through the
 *   core's own WebSocket API.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createClient, type SynosClient } from '../../main/contract/client';
import { createWebSocketLink, type WebSocketLike } from '../../main/contract/ws-link';
import { silentLogger } from '../../main/core/logger';
import { DATABASE_FILE } from '../../main/core/paths';
import { AsyncJetStreamPublisher } from '../../main/nats/messages/async-publisher';
import { streamConfigFor } from '../../main/nats/topology/provisioning';
import { desiredStreams } from '../../main/nats/topology/topology';
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

/** A typed client on serve's WebSocket API (token and Origin as the web UI sends them). */
function coreClient(serve: ServeHandle): SynosClient {
  const url = `${serve.origin.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(serve.token)}`;
  return createClient(
    createWebSocketLink({
      createSocket: () => new WebSocket(url, { headers: { Origin: serve.origin } }) as unknown as WebSocketLike,
      reconnect: false
    })
  );
}

/** Opens serve's URL in a new page and waits for the UI to show a live NATS connection. */
async function openUi(browser: Browser, serve: ServeHandle): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors = watchPageErrors(page);
  await page.goto(serve.url);
  await waitFor(
    async () => (await page.getByTestId('connection-state').first().getAttribute('data-state')) === 'connected',
    { timeoutMs: 15_000, message: 'the UI to show a live NATS connection' }
  );
  return { page, errors };
}

/** Header names and their values as the view lists them (a <dl> of name, values joined by ", "). */
/** The headers a PayloadBox shows: one name/value line per value, collected per name in order. */
async function shownHeaders(list: Locator): Promise<Record<string, string[]>> {
  const names = await list.locator('dt').allTextContents();
  const values = await list.locator('dd').allTextContents();
  const shown: Record<string, string[]> = {};
  names.forEach((name, i) => (shown[name] ??= []).push(values[i] ?? ''));
  return shown;
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
    ({ page, errors } = await openUi(browser, serve));
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

  it('sends the headers typed in the request and publish forms; refuses a malformed name inline', async () => {
    const echo = `ops.hdr.${run}.echo`;
    const published = `ops.hdr.${run}.published`;
    // A responder that answers with the request's headers, as its reply's headers and as JSON body.
    const received: Array<Record<string, string[]>> = [];
    const responder = nc.subscribe(echo, {
      callback: (error, msg) => {
        if (error) return;
        const got: Record<string, string[]> = {};
        const h = headers();
        for (const [name, values] of msg.headers ?? []) {
          got[name] = [...values];
          for (const value of values) h.append(name, value);
        }
        received.push(got);
        msg.respond(encoder.encode(JSON.stringify({ headers: got })), { headers: h });
      }
    });
    const listener = nc.subscribe(published, { max: 1 });
    await nc.flush();
    try {
      await go('Messages');
      const form = page.getByRole('form', { name: 'Request' });
      const field = form.getByRole('textbox', { name: /^Headers/ });
      const send = form.getByRole('button', { name: 'Send request' });
      await form.getByLabel('Subject').fill(echo);
      await form.getByLabel('Timeout (ms)').fill('5000');
      await form.getByLabel('Body').fill('with headers');

      // A name with a space, then one with a separator on line 2: the line and character are
      // named next to the field, and nothing can be sent until it is fixed.
      await field.fill('Bad Name: x');
      const problem = form.getByTestId('headers-error');
      await expect
        .poll(() => problem.textContent())
        .toBe(
          'Header line 1: "Bad Name" is not a valid header name: it contains a space; ' +
            "use letters, digits and ! # $ % & ' * + - . ^ _ ` | ~"
        );
      expect(await field.getAttribute('aria-invalid')).toBe('true');
      expect(await send.isDisabled()).toBe(true);
      await field.fill('X-Ok: 1\nTrace(id): y');
      await expect
        .poll(() => problem.textContent())
        .toContain('Header line 2: "Trace(id)" is not a valid header name: it contains "("');
      await field.fill('no colon');
      await expect.poll(() => problem.textContent()).toBe('Header line 1: needs the form Name: value');
      await shot('request-headers-invalid');
      expect(received).toEqual([]);

      // Valid headers, one name twice: the responder gets both values, the reply shows them.
      await field.fill('X-Trace-Id: trace-42\nX-Tag: first\n\nX-Tag: second');
      await expect.poll(() => problem.count()).toBe(0);
      expect(await field.getAttribute('aria-invalid')).toBe('false');
      await send.click();
      const reply = page.getByTestId('request-reply');
      await expect.poll(() => reply.count(), { timeout: 15_000 }).toBe(1);
      expect(received).toEqual([{ 'X-Trace-Id': ['trace-42'], 'X-Tag': ['first', 'second'] }]);
      expect(await shownHeaders(reply.getByLabel('Headers of the reply'))).toEqual({
        'X-Trace-Id': ['trace-42'],
        'X-Tag': ['first', 'second']
      });
      expect(JSON.parse((await reply.getByLabel('Payload of the reply').textContent()) ?? '')).toEqual({
        headers: { 'X-Trace-Id': ['trace-42'], 'X-Tag': ['first', 'second'] }
      });
      expect(await reply.textContent()).toContain('bytes, 2 headers');
      await shot('request-headers');

      // The publish form takes the same editor: a raw body with a repeated header.
      const pub = page.getByRole('form', { name: 'Publish' });
      await pub.getByLabel('Envelope type').selectOption('');
      await pub.getByLabel('Subject').fill(published);
      await pub.getByRole('textbox', { name: /^Body/ }).fill('published with headers');
      await pub.getByRole('textbox', { name: /^Headers/ }).fill('Bad:Name: x\nX-Tag: a');
      // Only the first colon ends the name: "Bad" is a fine name with the value "Name: x".
      expect(await pub.getByTestId('headers-error').count()).toBe(0);
      await pub.getByRole('textbox', { name: /^Headers/ }).fill('X-Tag: a\nX-Tag: b\nX Bad: c');
      await expect.poll(() => pub.getByTestId('headers-error').textContent()).toContain('Header line 3: "X Bad"');
      expect(await pub.getByRole('button', { name: 'Publish' }).isDisabled()).toBe(true);
      await pub.getByRole('textbox', { name: /^Headers/ }).fill('X-Tag: a\nX-Tag: b\nX-Source: e2e');
      await pub.getByRole('button', { name: 'Publish' }).click();
      await expect
        .poll(() => page.getByTestId('toasts').textContent())
        .toContain(`Published 1 message to ${published}`);
      let got: { body: string; tags: string[]; source: string } | null = null;
      for await (const m of listener) {
        got = { body: m.string(), tags: m.headers?.values('X-Tag') ?? [], source: m.headers?.get('X-Source') ?? '' };
      }
      expect(got).toEqual({ body: 'published with headers', tags: ['a', 'b'], source: 'e2e' });
      expect(errors).toEqual([]);
    } finally {
      responder.unsubscribe();
      listener.unsubscribe();
    }
  });
});

describe('operations: "Retry all" and "Discard all" on several dead letters', () => {
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let browser: Browser;
  const run = randomUUID().slice(0, 8);
  // Each test has its own data directory, serve and page, closed after it.
  const opened: Array<() => Promise<void>> = [];

  /**
   * Dead letters (one per subject, failed with the real no-stream error) in a fresh data
   * directory, serve on it, the UI open on its Outbox view and a client on its API.
   */
  const outboxWith = async (subjects: string[]) => {
    const dataDir = tempDir('synos-e2e-bulk-');
    const causes = new Map<string, string>();
    for (const subject of subjects) causes.set(subject, await noStreamError(nc, subject));
    const ids = prepareDeadLetters(dataDir, causes);
    const serve = await startServe(['--nats', nats.url, '--data', dataDir]);
    const client = coreClient(serve);
    const { page, errors } = await openUi(browser, serve);
    opened.push(async () => {
      client.close();
      await page.close();
      await serve.stop();
    });
    await page.getByRole('link', { name: 'Outbox', exact: true }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Outbox');
    return { dataDir, ids, client, page, errors, rows: page.getByTestId('dlq-row') };
  };

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
    browser = await launchChromium();
  });

  afterEach(async () => {
    for (const close of opened.splice(0)) await close();
  });

  afterAll(async () => {
    await browser?.close();
    await nc?.close();
    await nats?.stop();
  });

  it('"Retry all" puts every dead letter back; the drain delivers them once a stream takes their subjects', async () => {
    const subjects = [1, 2, 3, 4].map((n) => `ops.bulk.${run}.retry.${n}`);
    const { ids, client, page, errors, rows } = await outboxWith(subjects);
    const allIds = [...ids.values()].sort();
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(4);
    await expect
      .poll(() => page.getByRole('heading', { name: /^Dead letters \(DLQ\)/ }).textContent())
      .toBe('Dead letters (DLQ) — 4');
    await expect.poll(() => page.getByTestId('outbox-dead').textContent(), { timeout: 15_000 }).toBe('4');
    const before = await client.call('dlq.list', { limit: 100 });
    expect(before.total).toBe(4);
    expect(before.entries.map((e) => e.id).sort()).toEqual(allIds);
    await page.screenshot({ path: path.join(SHOTS, 'operations-dlq-bulk-retry.png'), fullPage: true });

    // A stream takes the subjects now; with nothing selected the button retries every letter.
    const stream = `OPS_BULK_${run.toUpperCase()}`;
    await jsm.streams.add({ name: stream, subjects: [`ops.bulk.${run}.retry.>`] });
    await page.getByRole('button', { name: 'Retry all', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('toasts').textContent())
      .toContain('Put 4 dead letters back in the outbox');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(0);
    await expect.poll(() => page.getByText('No dead letters.').isVisible()).toBe(true);
    expect(await page.getByRole('heading', { name: /^Dead letters \(DLQ\)/ }).textContent()).toBe(
      'Dead letters (DLQ) — 0'
    );

    // The store, through the core's API: no dead letters, all four delivered under their ids.
    // (The core's own health and metrics messages pass through the outbox too: look at ours.)
    const completed = await waitFor(
      async () => {
        const list = await client.call('outbox.list', { status: 'completed', limit: 1000 });
        const ours = list.entries.filter((e) => ids.get(e.subject) === e.id);
        return ours.length === 4 ? ours : null;
      },
      { timeoutMs: 30_000, message: 'the four retried letters to be delivered' }
    );
    expect(completed.map((e) => e.id).sort()).toEqual(allIds);
    expect(completed.every((e) => e.stream === stream)).toBe(true);
    expect((await client.call('dlq.list', { limit: 100 })).total).toBe(0);
    expect((await client.call('outbox.stats')).counts.dead).toBe(0);
    expect((await jsm.streams.info(stream)).state.messages).toBe(4);
    for (const subject of subjects) {
      const stored = await jsm.streams.getMessage(stream, { last_by_subj: subject });
      expect(stored?.header?.get('Nats-Msg-Id')).toBe(ids.get(subject));
    }
    // The view follows: the counts card, and the four rows under "completed".
    await expect.poll(() => page.getByTestId('outbox-dead').textContent(), { timeout: 15_000 }).toBe('0');
    await page.getByRole('tab', { name: 'completed', exact: true }).click();
    const table = page.getByRole('table', { name: 'Outbox completed' });
    await expect.poll(() => table.textContent(), { timeout: 15_000 }).toContain(allIds[3]);
    for (const id of allIds) expect(await table.textContent()).toContain(id);
    expect(errors).toEqual([]);
  });

  it('"Discard all…" asks first (Cancel keeps every letter), then deletes every dead letter', async () => {
    const subjects = [1, 2, 3, 4, 5].map((n) => `ops.bulk.${run}.discard.${n}`);
    const { dataDir, ids, client, page, errors, rows } = await outboxWith(subjects);
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(5);
    await expect.poll(() => page.getByTestId('outbox-dead').textContent(), { timeout: 15_000 }).toBe('5');
    expect((await client.call('dlq.list', { limit: 100 })).total).toBe(5);

    const dialog = page.getByRole('dialog', { name: 'Discard dead letters?' });
    await page.getByRole('button', { name: 'Discard all…', exact: true }).click();
    await expect.poll(() => dialog.textContent()).toContain('All 5 dead letters are deleted and never delivered.');
    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await rows.count()).toBe(5);
    expect((await client.call('dlq.list', { limit: 100 })).total).toBe(5);

    await page.getByRole('button', { name: 'Discard all…', exact: true }).click();
    await expect.poll(() => dialog.textContent()).toContain('All 5 dead letters are deleted and never delivered.');
    await page.screenshot({ path: path.join(SHOTS, 'operations-dlq-bulk-discard.png'), fullPage: true });
    await dialog.getByRole('button', { name: 'Discard', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('toasts').getByText('Discarded 5 dead letters', { exact: true }).count())
      .toBe(1);
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(0);
    await expect.poll(() => page.getByText('No dead letters.').isVisible()).toBe(true);
    await expect.poll(() => page.getByTestId('outbox-dead').textContent(), { timeout: 15_000 }).toBe('0');

    // Gone from the store: the API lists none, counts none, and the rows themselves are deleted.
    expect(await client.call('dlq.list', { limit: 100 })).toEqual({ entries: [], total: 0 });
    expect((await client.call('outbox.stats')).counts.dead).toBe(0);
    for (const id of ids.values()) expect(outboxEntry(dataDir, id)).toBeNull();
    expect(errors).toEqual([]);
  });
});
