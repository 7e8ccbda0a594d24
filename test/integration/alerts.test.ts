/**
 * Alert rules against a real nats-server and a real core: each rule fires and resolves through
 * its real source (kill the server, queue in the outbox while it is down, publish without
 * consuming, fill a small stream, the breakers and the DLQ of the durability area), transitions
 * are pushed, notified and published on `alert.<severity>.<rule>` through the outbox — those
 * raised offline arrive after the reconnect — and `synos-cc alerts` reads and acknowledges while
 * the core runs on the same data directory.
 */
import { jetstreamManager, AckPolicy, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlertTransitionEvent } from '../../main/contract';
import type { DesktopNotification } from '../../main/core/adapters';
import type { Core } from '../../main/app/create-core';
import type { Monitoring } from '../../main/monitoring/module';
import { OutboxStore } from '../../main/resilience/outbox-store';
import { runCliSync } from '../harness/cli';
import { createTestCore } from '../harness/core';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir, waitFor } from '../harness/temp';

const FAST = { evaluateIntervalMs: 150, sampleIntervalMs: 200, snapshotIntervalMs: 300, p99MinSamples: 1 };

interface Harness {
  core: Core;
  monitoring: Monitoring;
  transitions: AlertTransitionEvent[];
  notifications: DesktopNotification[];
}

/** `autoConnect` makes it a long-running core, the kind that runs the engine bridge on live traffic. */
function startCore(servers: string[], autoConnect = false): Promise<Harness> {
  const notifications: DesktopNotification[] = [];
  const core = createTestCore({
    servers,
    autoConnect,
    monitoring: FAST,
    adapters: { notifier: { notify: (n) => notifications.push(n) } }
  });
  const transitions: AlertTransitionEvent[] = [];
  core.api.subscribe('alerts.transition', (t) => transitions.push(t));
  return core.start().then(() => ({
    core,
    monitoring: core.app.monitoring.monitoring,
    transitions,
    notifications
  }));
}

async function active(core: Core, rule: string, target?: string) {
  const { alerts } = await core.api.invoke('alerts.list', {
    state: 'all',
    rule: rule as never,
    ...(target ? { target } : {})
  });
  return alerts.find((a) => a.state !== 'resolved') ?? null;
}

/** Samples JetStream and evaluates now (the timers do the same, only later). */
async function evaluateNow(h: Harness): Promise<void> {
  await h.monitoring.sampleJetStream();
  h.monitoring.evaluate();
}

/** Every message in a stream on subjects starting with `prefix`, decoded. */
async function streamMessages(
  jsm: JetStreamManager,
  stream: string,
  prefix: string
): Promise<Array<{ subject: string; body: any }>> {
  const info = await jsm.streams.info(stream);
  const out: Array<{ subject: string; body: any }> = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (m && m.subject.startsWith(prefix)) out.push({ subject: m.subject, body: m.json() });
  }
  return out;
}

describe('alerts while NATS is down (kill -9), delivered after the reconnect', () => {
  let server: NatsServerHandle;
  let h: Harness;
  let nc: NatsConnection | null = null;
  let watcher: NatsConnection | null = null;

  beforeAll(async () => {
    server = await startNatsServer();
    h = await startCore([server.url]);
  });
  afterAll(async () => {
    await nc?.close();
    await watcher?.close();
    await h?.core.stop();
    await server?.stop();
  });

  it('nats.disconnected and outbox.backlog fire offline, notify, show in the CLI, resolve, and reach alert.> later', async () => {
    const { core } = h;
    await core.api.invoke('connection.connect', {});
    await core.app.operations.provisioning.ensure();
    await core.api.invoke('alerts.rules.set', { rule: 'nats.disconnected', threshold: 1 });
    const backlogRule = await core.api.invoke('alerts.rules.set', { rule: 'outbox.backlog', threshold: 5 });
    expect(backlogRule).toMatchObject({ threshold: 5, defaults: { threshold: 1000 } });

    // An operator's tool listening on alert.> the whole time (it reconnects by itself).
    watcher = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    const heard: Array<{ subject: string; body: any }> = [];
    watcher.subscribe('alert.>', {
      callback: (_err, m) => {
        heard.push({ subject: m.subject, body: m.json() });
      }
    });
    await watcher.flush();

    await server.kill9();
    // Queue while it is down: the outbox holds them.
    const publisher = core.app.durability.publisher;
    await publisher.publishMany(
      Array.from({ length: 10 }, (_, i) => ({
        id: `backlog-${server.port}-${i}`,
        subject: 'health.alert_test',
        payload: new TextEncoder().encode(JSON.stringify({ i })),
        priority: 'normal' as const
      }))
    );

    const disconnected = await waitFor(() => active(core, 'nats.disconnected'), {
      timeoutMs: 15_000,
      message: 'nats.disconnected to fire'
    });
    expect(disconnected).toMatchObject({ target: 'connection', severity: 'ERROR', state: 'firing', threshold: 1 });
    const backlog = await waitFor(() => active(core, 'outbox.backlog'), { message: 'outbox.backlog to fire' });
    expect(backlog.value).toBeGreaterThanOrEqual(10);
    expect(h.transitions.some((t) => t.alert.rule === 'nats.disconnected' && t.transition.kind === 'fired')).toBe(true);
    expect(h.notifications).toContainEqual(
      expect.objectContaining({ severity: 'ERROR', title: 'ERROR: NATS disconnected' })
    );
    expect(h.notifications.some((n) => n.title.includes('Outbox backlog'))).toBe(false); // WARNING: no desktop notification

    // The CLI reads the same database while the core runs, and acknowledges.
    const dataDir = core.context.config.dataDir;
    const listed = runCliSync(['--data', dataDir, 'alerts', '--json']);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    expect(rows).toContainEqual(
      expect.objectContaining({
        id: disconnected.id,
        rule: 'nats.disconnected',
        target: 'connection',
        severity: 'ERROR',
        state: 'firing',
        since: disconnected.since,
        resolved_at: null
      })
    );
    const table = runCliSync(['--data', dataDir, 'alerts']);
    expect(table.stdout).toMatch(/^ID\s+RULE\s+TARGET\s+SEVERITY\s+STATE\s+SINCE\s+RESOLVED_AT/);
    const ack = runCliSync(['--data', dataDir, 'alerts', 'ack', String(disconnected.id), '--by', 'tester']);
    expect(ack.stderr).toBe('');
    expect(ack.stdout).toContain(`acknowledged alert ${disconnected.id}`);
    // The core notices an acknowledgement made by another process and pushes it.
    await waitFor(
      () => h.transitions.find((t) => t.transition.kind === 'acknowledged' && t.alert.id === disconnected.id),
      {
        message: 'the CLI acknowledgement to be pushed'
      }
    );
    expect((await active(core, 'nats.disconnected'))?.state).toBe('acknowledged');
    const missing = runCliSync(['--data', dataDir, 'alerts', 'ack', '999999']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/NOT_FOUND/);
    expect(runCliSync(['--data', dataDir, 'alerts', 'ack', 'abc']).code).toBe(2);

    await server.restart();
    await waitFor(() => core.context.nats.status().state === 'connected', { timeoutMs: 30_000, message: 'reconnect' });
    // The listener is back too (a flush sent while its own reconnect is still under way can fail).
    await waitFor(async () => (await watcher!.flush(), true), {
      timeoutMs: 30_000,
      message: 'the alert.> listener to reconnect'
    });
    // The kill emptied the memory stream PRIORITY_EVENTS (alert.>). The client reconnects on the same
    // NatsConnection; provisioning runs again on that reconnect and recreates it by itself.
    await waitFor(async () => (await active(core, 'nats.disconnected')) === null, {
      timeoutMs: 10_000,
      message: 'nats.disconnected to resolve'
    });
    await waitFor(async () => (await active(core, 'outbox.backlog')) === null, {
      timeoutMs: 30_000,
      message: 'the outbox to drain and outbox.backlog to resolve'
    });
    const history = await core.api.invoke('alerts.history', { id: disconnected.id });
    expect(history.transitions.map((t) => t.kind)).toEqual(['fired', 'acknowledged', 'resolved']);
    expect(history.alert.resolvedAt).not.toBeNull();
    // The replay manager fed real publish latencies to the metrics (once the alert transitions held
    // offline have been delivered: the first tries may still be waiting for the stream to come back).
    await waitFor(
      async () =>
        /_publish_duration_seconds_count\{stream="PRIORITY_EVENTS"\} [1-9]/.test(
          (await core.api.invoke('metrics.text', {})).text
        ),
      { timeoutMs: 30_000, intervalMs: 250, message: 'a publish latency recorded for PRIORITY_EVENTS' }
    );

    // PRIORITY_EVENTS (alert.>) is a memory stream: the kill emptied it, so everything found there
    // was delivered from the outbox after the reconnect — including what was raised offline.
    nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    const delivered = await waitFor(
      async () => {
        const msgs = await streamMessages(jsm, 'PRIORITY_EVENTS', 'alert.');
        const kinds = msgs
          .filter((m) => m.subject === 'alert.error.nats.disconnected')
          .map((m) => m.body.data.transition);
        return ['fired', 'acknowledged', 'resolved'].every((k) => kinds.includes(k)) ? msgs : null;
      },
      { timeoutMs: 30_000, message: 'the alert transitions in PRIORITY_EVENTS' }
    );
    const fired = delivered.find(
      (m) => m.subject === 'alert.error.nats.disconnected' && m.body.data.transition === 'fired'
    )!;
    expect(fired.body).toMatchObject({
      specversion: '1.0',
      type: 'alert.notification',
      data: { rule: 'nats.disconnected', state: 'firing', severity: 'ERROR', target: 'connection' }
    });
    expect(delivered.some((m) => m.subject === 'alert.warning.outbox.backlog')).toBe(true);
    // Each transition exactly once, even though several flushes ran.
    const ids = delivered.map((m) => m.body.id as string);
    expect(new Set(ids).size).toBe(ids.length);
    const unpublished = h.monitoring.store.unpublished(10);
    expect(unpublished).toEqual([]);
    // The listener on alert.> heard the alert that fired while the server was down.
    const firedHeard = await waitFor(
      () => heard.find((m) => m.subject === 'alert.error.nats.disconnected' && m.body.data.transition === 'fired'),
      { message: 'the offline alert on alert.>' }
    );
    expect(Date.parse(firedHeard.body.time)).toBeLessThan(Date.parse(history.alert.resolvedAt!));
  });
});

describe('JetStream rules: consumer pending, ack pending, stream usage', () => {
  let server: NatsServerHandle;
  let h: Harness;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    server = await startNatsServer();
    h = await startCore([server.url]);
    await h.core.api.invoke('connection.connect', {});
    nc = await connect({ servers: server.url });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await nc?.close();
    await h?.core.stop();
    await server?.stop();
  });

  it('fire on a consumer that is not consuming and a small stream filling up, and resolve when drained', async () => {
    const { core } = h;
    await core.api.invoke('alerts.rules.set', { rule: 'consumer.pending', threshold: 5 });
    await core.api.invoke('alerts.rules.set', { rule: 'consumer.ack_pending', threshold: 2 });
    await jsm.streams.add({ name: 'ALERT_T', subjects: ['alert_t.>'], max_msgs: 10 });
    await jsm.consumers.add('ALERT_T', { durable_name: 'slow', ack_policy: AckPolicy.Explicit });
    const js = jsm.jetstream();
    for (let i = 0; i < 8; i++) await js.publish('alert_t.x', new TextEncoder().encode(`m${i}`));

    await evaluateNow(h);
    expect(await active(core, 'consumer.pending', 'ALERT_T/slow')).toMatchObject({
      severity: 'WARNING',
      value: 8,
      threshold: 5
    });
    expect(await active(core, 'consumer.ack_pending', 'ALERT_T/slow')).toBeNull();
    const usage = await active(core, 'stream.usage', 'ALERT_T');
    expect(usage).toMatchObject({ severity: 'WARNING', value: 0.8 });

    for (let i = 8; i < 10; i++) await js.publish('alert_t.x', new TextEncoder().encode(`m${i}`));
    await evaluateNow(h);
    expect(await active(core, 'stream.usage', 'ALERT_T')).toMatchObject({ id: usage!.id, severity: 'CRITICAL' });
    expect(h.transitions.some((t) => t.alert.id === usage!.id && t.transition.kind === 'escalated')).toBe(true);
    expect(h.notifications).toContainEqual(
      expect.objectContaining({ severity: 'CRITICAL', title: 'CRITICAL: Stream near its limits' })
    );

    // Take four without acknowledging: ack pending over 2.
    const consumer = await js.consumers.get('ALERT_T', 'slow');
    const taken = [];
    for await (const m of await consumer.fetch({ max_messages: 4, expires: 2000 })) {
      taken.push(m);
      if (taken.length === 4) break;
    }
    await evaluateNow(h);
    expect(await active(core, 'consumer.ack_pending', 'ALERT_T/slow')).toMatchObject({ value: 4 });
    expect(await active(core, 'consumer.pending', 'ALERT_T/slow')).toMatchObject({ value: 8 }); // fired value is kept

    for (const m of taken) m.ack();
    let rest = 0;
    for await (const m of await consumer.fetch({ max_messages: 6, expires: 2000 })) {
      await m.ackAck();
      if (++rest === 6) break;
    }
    await nc.flush();
    await waitFor(
      async () => {
        await evaluateNow(h);
        return (
          (await active(core, 'consumer.ack_pending', 'ALERT_T/slow')) === null &&
          (await active(core, 'consumer.pending', 'ALERT_T/slow')) === null
        );
      },
      { message: 'consumer alerts to resolve' }
    );

    await jsm.streams.purge('ALERT_T');
    await evaluateNow(h);
    expect(await active(core, 'stream.usage', 'ALERT_T')).toBeNull();
    const history = await core.api.invoke('alerts.history', { id: usage!.id });
    expect(history.transitions.map((t) => t.kind)).toEqual(['fired', 'escalated', 'resolved']);
  });
});

describe('durability rules without a connection: emergency mode, an open breaker, dead letters', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.core.stop();
  });

  it('fire from the resilience manager and the outbox, and resolve when cleared', async () => {
    h = await startCore(['nats://127.0.0.1:1']);
    const { core } = h;
    const resilience = core.app.durability.resilience;

    resilience.setEmergency(true, 'test');
    h.monitoring.evaluate();
    expect(await active(core, 'emergency.mode', 'resilience')).toMatchObject({ severity: 'WARNING' });
    resilience.setEmergency(false);
    h.monitoring.evaluate();
    expect(await active(core, 'emergency.mode')).toBeNull();

    // Five infrastructure failures open the jetstream-api breaker.
    for (let i = 0; i < 5; i++) {
      await resilience
        .run('jetstream-api', () => Promise.reject(new Error('connection refused')))
        .catch(() => undefined);
    }
    h.monitoring.evaluate();
    expect(await active(core, 'breaker.open', 'jetstream-api')).toMatchObject({ severity: 'ERROR' });
    expect(h.notifications).toContainEqual(
      expect.objectContaining({ severity: 'ERROR', title: 'ERROR: Circuit breaker open' })
    );
    await waitFor(
      async () => {
        await resilience.run('jetstream-api', () => Promise.resolve(true)).catch(() => undefined);
        h.monitoring.evaluate();
        return (await active(core, 'breaker.open', 'jetstream-api')) === null;
      },
      { timeoutMs: 10_000, intervalMs: 200, message: 'the breaker to close and its alert to resolve' }
    );

    // A row that failed its last attempt is a dead letter.
    const store = new OutboxStore(core.context.db, {
      retry: { initialMs: 1, maxMs: 1, maxAttempts: 1, jitter: 0 },
      owner: 'alert-test'
    });
    store.enqueue([{ id: 'dead-1', subject: 'nowhere.x', payload: new Uint8Array([1]), priority: 'normal' }]);
    // The outbox also holds the alert transitions above (never connected): give those back untouched.
    const claimed = store.claim(100);
    expect(claimed.map((r) => r.id)).toContain('dead-1');
    store.release(claimed.filter((r) => r.id !== 'dead-1').map((r) => r.id));
    expect(store.fail([{ id: 'dead-1', error: 'no stream for nowhere.x' }])).toBe(1);
    h.monitoring.evaluate();
    expect(await active(core, 'dlq.nonempty', 'outbox')).toMatchObject({ severity: 'ERROR', value: 1 });
    store.discardDead({ all: true });
    h.monitoring.evaluate();
    expect(await active(core, 'dlq.nonempty')).toBeNull();

    // Transitions raised while never connected wait in the outbox for the first connection.
    await h.monitoring.flush();
    const subjects = store.list('pending', 100).map((e) => e.subject);
    expect(subjects).toEqual(
      expect.arrayContaining(['alert.warning.emergency.mode', 'alert.error.breaker.open', 'alert.error.dlq.nonempty'])
    );
    // fired + resolved of emergency.mode, breaker.open and dlq.nonempty
    expect(subjects.filter((s) => s.startsWith('alert.'))).toHaveLength(6);
    expect(h.monitoring.store.unpublished(10)).toEqual([]);
  });

  it('publish.p99 and invalid.rate fire from what the publisher and the bridge record, and a disabled rule resolves', async () => {
    h = await startCore(['nats://127.0.0.1:1']);
    const { core } = h;
    const metrics = h.monitoring.metrics;
    for (let i = 0; i < 20; i++) metrics.recordPublish('ORCHESTRATOR_EVENTS', 0.2);
    for (let i = 0; i < 11; i++) metrics.recordInvalid('not_json', 'ORCHESTRATOR_EVENTS');
    h.monitoring.evaluate();
    expect(await active(core, 'publish.p99', 'publisher')).toMatchObject({
      severity: 'WARNING',
      value: 0.2,
      threshold: 0.05
    });
    expect(await active(core, 'invalid.rate', 'inbound')).toMatchObject({ value: 11 });
    await core.api.invoke('alerts.rules.set', { rule: 'publish.p99', enabled: false });
    h.monitoring.evaluate();
    expect(await active(core, 'publish.p99')).toBeNull();
    const rules = await core.api.invoke('alerts.rules', {});
    expect(rules.find((r) => r.rule === 'publish.p99')).toMatchObject({ enabled: false, defaults: { enabled: true } });
    const bad = await core.api.call('alerts.rules.set', { rule: 'stream.usage', threshold: 3 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    const unknown = await core.api.call('alerts.rules.set', { rule: 'no.such.rule', threshold: 3 });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it('takes rule values and the evaluation interval from the config file, and rejects bad ones', async () => {
    const dataDir = tempDir();
    fs.writeFileSync(
      path.join(dataDir, 'config.json'),
      JSON.stringify({
        alerts: {
          evaluateIntervalMs: 100,
          rules: { 'dlq.nonempty': { severity: 'CRITICAL' }, 'outbox.backlog': { threshold: 3 } }
        }
      })
    );
    const core = createTestCore({ dataDir, servers: ['nats://127.0.0.1:1'] });
    await core.start();
    try {
      const rules = await core.api.invoke('alerts.rules', {});
      expect(rules.find((r) => r.rule === 'outbox.backlog')).toMatchObject({
        threshold: 3,
        defaults: { threshold: 3 },
        updatedAt: null
      });
      expect(rules.find((r) => r.rule === 'dlq.nonempty')).toMatchObject({ severity: 'CRITICAL' });
      // The operator's edit in the app wins over the file; reset goes back to the file's value.
      await core.api.invoke('alerts.rules.set', { rule: 'outbox.backlog', threshold: 7 });
      expect((await core.api.invoke('alerts.rules.reset', { rule: 'outbox.backlog' })).threshold).toBe(3);
      // evaluated on the configured interval, without being asked
      core.app.durability.resilience.setEmergency(true);
      await waitFor(() => active(core, 'emergency.mode'), {
        timeoutMs: 5000,
        message: 'emergency.mode from the timer'
      });
      core.app.durability.resilience.setEmergency(false);
    } finally {
      await core.stop();
    }
    fs.writeFileSync(
      path.join(dataDir, 'config.json'),
      JSON.stringify({ alerts: { rules: { 'stream.usage': { threshold: 5 } } } })
    );
    expect(() => createTestCore({ dataDir })).toThrow(/CONFIG_INVALID|alerts\.rules\.stream\.usage/);
    fs.writeFileSync(
      path.join(dataDir, 'config.json'),
      JSON.stringify({ alerts: { rules: { 'no.such': { threshold: 5 } } } })
    );
    expect(() => createTestCore({ dataDir })).toThrow(/alerts\.rules/);
  });
});

describe('engine rules with the bridge: invalid messages and engine load', () => {
  let server: NatsServerHandle;
  let h: Harness;
  let nc: NatsConnection;

  beforeAll(async () => {
    server = await startNatsServer();
    h = await startCore([server.url], true);
    await h.core.api.invoke('connection.connect', {});
    await h.core.app.operations.provisioning.ensure();
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await h?.core.stop();
    await server?.stop();
  });

  it("invalid.rate fires on garbage the bridge rejects; engine.overload follows the engine's load", async () => {
    const { core } = h;
    await core.api.invoke('alerts.rules.set', { rule: 'invalid.rate', threshold: 3 });
    const js = (await jetstreamManager(nc)).jetstream();
    for (let i = 0; i < 5; i++)
      await js.publish('orchestrator.service.health', new TextEncoder().encode(`not json ${i}`));
    const invalid = await waitFor(() => active(core, 'invalid.rate', 'inbound'), {
      timeoutMs: 20_000,
      message: 'invalid.rate to fire'
    });
    expect(invalid.value).toBeGreaterThanOrEqual(4);
    const text = await h.monitoring.metrics.text();
    expect(text).toMatch(/synos_messages_invalid_total\{stream="ORCHESTRATOR_EVENTS",reason="not_json"\} 5/);

    // Inputs about several services fill the engine's working memory: its load rises above 0.1.
    await core.api.invoke('alerts.rules.set', { rule: 'engine.overload', threshold: 0.1, forSeconds: 0 });
    for (let i = 0; i < 6; i++) {
      const envelope = {
        specversion: '1.0',
        id: `health-${server.port}-${i}`,
        source: 'alert-test',
        type: 'service.health.update',
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        data: { service: `svc-${i}`, status: 'degraded' }
      };
      await js.publish('orchestrator.service.health', new TextEncoder().encode(JSON.stringify(envelope)));
    }
    const overload = await waitFor(() => active(core, 'engine.overload', 'engine'), {
      timeoutMs: 20_000,
      message: 'engine.overload to fire'
    });
    expect(overload.value).toBeGreaterThan(0.1);
    expect(h.monitoring.inputs().engine?.load).toBeGreaterThan(0.1);
    expect(text).toContain('synos_engine_load_ratio');
    // Back to the default threshold (0.9): the load is under it, the alert resolves.
    await core.api.invoke('alerts.rules.reset', { rule: 'engine.overload' });
    await waitFor(async () => (await active(core, 'engine.overload')) === null, {
      message: 'engine.overload to resolve'
    });
  });
});
