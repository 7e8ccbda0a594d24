/**
 * One JetStream sampler for the whole core, against a real nats-server: the streams view (snapshot
 * cache, `streams.snapshot`) and the monitoring area (alert rules, Prometheus gauges) read the same
 * samples. Every JetStream API request the core makes is counted on a plain subscription to
 * `$JS.API.>` in the same account (the server delivers the requests to it as to any subscriber),
 * so a sampling period must show one stream list and one consumer list per stream with consumers —
 * not two of each.
 */
import { AckPolicy, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../main/app/create-core';
import { type Monitoring, type MonitoringOptions } from '../../main/monitoring/module';
import type { JetStreamSamplerService } from '../../main/nats/operations-module';
import type { JetStreamSample } from '../../main/nats/inspection/sampler';
import { createTestCore } from '../harness/core';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { waitFor } from '../harness/temp';

/** Counts JetStream API requests by kind (`STREAM.LIST`, `CONSUMER.LIST.<stream>`, `INFO` …). */
class ApiCounter {
  readonly counts = new Map<string, number>();
  private constructor(private readonly nc: NatsConnection) {}

  static async start(url: string): Promise<ApiCounter> {
    const nc = await connect({ servers: url });
    const counter = new ApiCounter(nc);
    nc.subscribe('$JS.API.>', {
      callback: (_err, m) => {
        const kind = m.subject.slice('$JS.API.'.length);
        counter.counts.set(kind, (counter.counts.get(kind) ?? 0) + 1);
      }
    });
    await nc.flush();
    return counter;
  }

  /**
   * After a round trip on this connection every request the server handled before it has been
   * delivered here: the server copies a request to this subscription before answering it.
   */
  async settle(): Promise<void> {
    await this.nc.flush();
  }

  count(kind: string): number {
    return this.counts.get(kind) ?? 0;
  }

  /** Requests whose kind starts with `prefix`, summed. */
  countPrefix(prefix: string): number {
    let n = 0;
    for (const [kind, c] of this.counts) if (kind.startsWith(prefix)) n += c;
    return n;
  }

  close(): Promise<void> {
    return this.nc.close();
  }
}

interface Harness {
  core: Core;
  monitoring: Monitoring;
  sampler: JetStreamSamplerService;
}

async function startCore(url: string, monitoring: Partial<MonitoringOptions>): Promise<Harness> {
  const core = createTestCore({
    servers: [url],
    monitoring: { defaultMetrics: false, p99MinSamples: 1, ...monitoring }
  });
  await core.start();
  await core.api.invoke('connection.connect', {});
  const sampler = core.app.operations.sampler;
  // The first sample after connect (after provisioning) is there before the test counts.
  await waitFor(() => sampler.lastSampleAt() !== null, { message: 'the first sample after connect' });
  return { core, monitoring: core.app.monitoring.monitoring, sampler };
}

/** A stream with one idle durable consumer holding `pending` messages. */
async function pendingConsumer(jsm: JetStreamManager, stream: string, pending: number): Promise<void> {
  const subject = `${stream.toLowerCase()}.x`;
  await jsm.streams.add({ name: stream, subjects: [`${stream.toLowerCase()}.>`], max_msgs: 100 });
  await jsm.consumers.add(stream, { durable_name: 'idle', ack_policy: AckPolicy.Explicit });
  const js = jsm.jetstream();
  for (let i = 0; i < pending; i++) await js.publish(subject, new TextEncoder().encode(`m${i}`));
}

/** Streams with consumers right now (the ones a sample lists consumers of). */
async function streamsWithConsumers(jsm: JetStreamManager): Promise<string[]> {
  const names: string[] = [];
  for await (const s of jsm.streams.list()) if (s.state.consumer_count > 0) names.push(s.config.name);
  return names.sort();
}

async function activeAlert(core: Core, rule: string, target: string) {
  const { alerts } = await core.api.invoke('alerts.list', { state: 'all', rule: rule as never, target });
  return alerts.find((a) => a.state !== 'resolved') ?? null;
}

describe('one JetStream sample serves the streams view and the alert rules', () => {
  let server: NatsServerHandle;
  let h: Harness;
  let counter: ApiCounter | null = null;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    server = await startNatsServer();
    // A monitoring interval far above the sampler's own 15 s: only the calls below sample.
    h = await startCore(server.url, { snapshotIntervalMs: 600_000, evaluateIntervalMs: 600_000 });
    nc = await connect({ servers: server.url });
    jsm = await jetstreamManager(nc);
  });
  afterEach(async () => {
    await counter?.close();
    counter = null;
  });
  afterAll(async () => {
    await nc?.close();
    await h?.core.stop();
    await server?.stop();
  });

  it('sampleJetStream makes one stream list and one consumer list per stream, and the alert fires from it', async () => {
    const { core, monitoring, sampler } = h;
    await pendingConsumer(jsm, 'SAMPLER_T', 5);
    await core.api.invoke('alerts.rules.set', { rule: 'consumer.pending', threshold: 3 });
    // The rule edit re-samples: wait until the pending messages are in the readings.
    await waitFor(() => monitoring.inputs().consumers?.some((c) => c.stream === 'SAMPLER_T') ?? false, {
      message: 'SAMPLER_T in the readings'
    });
    expect(sampler.intervalMs()).toBe(15_000);
    const withConsumers = await streamsWithConsumers(jsm);
    expect(withConsumers).toContain('SAMPLER_T');
    expect(withConsumers).toContain('ORCHESTRATOR_EVENTS'); // provisioned durable consumers

    counter = await ApiCounter.start(server.url);
    const samples: JetStreamSample[] = [];
    const offSample = sampler.onSample((s) => samples.push(s));
    const snapshots: number[] = [];
    const offSnapshot = core.api.subscribe('streams.snapshot', (list) => snapshots.push(list.streams.length));
    try {
      await monitoring.sampleJetStream();
      monitoring.evaluate();
      await counter.settle();
    } finally {
      offSample();
      offSnapshot();
    }

    // One sample, seen by the streams view (snapshot pushed) and by monitoring.
    expect(samples.length).toBe(1);
    expect(snapshots).toEqual([samples[0]!.streams.length]);
    // Its JetStream API cost: one stream list, one consumer list per stream that has consumers, the account.
    expect(counter.count('STREAM.LIST')).toBe(1);
    for (const stream of withConsumers) expect(counter.count(`CONSUMER.LIST.${stream}`), stream).toBe(1);
    expect(counter.countPrefix('CONSUMER.LIST.')).toBe(withConsumers.length);
    expect(counter.count('INFO')).toBe(1);
    expect(counter.countPrefix('')).toBe(1 + withConsumers.length + 1);

    // The readings, the gauges and the alert all come from that sample.
    expect(monitoring.inputs().consumers).toContainEqual({
      stream: 'SAMPLER_T',
      consumer: 'idle',
      pending: 5,
      ackPending: 0
    });
    expect(monitoring.inputs().streams).toContainEqual({
      stream: 'SAMPLER_T',
      messages: 5,
      bytes: samples[0]!.streams.find((s) => s.name === 'SAMPLER_T')!.bytes,
      maxMsgs: 100,
      maxBytes: -1
    });
    const snap = await core.api.invoke('metrics.snapshot', { seriesLimit: 0 });
    expect(snap.snapshotAt).toBe(new Date(samples[0]!.at).toISOString());
    const metrics = core.app.metrics;
    expect(await metrics.text()).toMatch(/synos_consumer_pending_messages\{stream="SAMPLER_T",consumer="idle"\} 5/);
    expect(await activeAlert(core, 'consumer.pending', 'SAMPLER_T/idle')).toMatchObject({ state: 'firing', value: 5 });
  });

  it('callers asking while a sample runs share the next one; a disconnect clears the readings', async () => {
    const { core, monitoring, sampler } = h;
    counter = await ApiCounter.start(server.url);
    const samples: JetStreamSample[] = [];
    const offSample = sampler.onSample((s) => samples.push(s));
    try {
      await Promise.all([monitoring.sampleJetStream(), monitoring.sampleJetStream(), sampler.sampleNow()]);
      await counter.settle();
    } finally {
      offSample();
    }
    // The first starts a sample; the two asking while it runs may have changed something it has
    // already read, so they get the next one — together, not one each.
    expect(samples.length).toBe(2);
    expect(counter.count('STREAM.LIST')).toBe(2);

    await core.api.invoke('connection.disconnect', {});
    expect(monitoring.inputs().consumers).toBeNull();
    expect(monitoring.inputs().streams).toBeNull();
    // While disconnected it asks nothing and keeps no data.
    await monitoring.sampleJetStream();
    expect(monitoring.inputs().consumers).toBeNull();
    await expect(sampler.sampleNow()).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    await core.api.invoke('connection.connect', {});
    await waitFor(() => monitoring.inputs().consumers !== null, { message: 'readings after the reconnect' });
  });
});

describe('a monitoring interval shorter than the streams view: one sampler at the shorter one', () => {
  let server: NatsServerHandle;
  let counter: ApiCounter | null = null;
  let nc: NatsConnection | null = null;

  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await counter?.close();
    await nc?.close();
    await server?.stop();
  });

  it('samples every snapshotIntervalMs for both readers, and the alert fires from the periodic samples', async () => {
    const h = await startCore(server.url, { snapshotIntervalMs: 250, evaluateIntervalMs: 150, sampleIntervalMs: 200 });
    const { core, sampler } = h;
    let stopped = false;
    try {
      expect(sampler.intervalMs()).toBe(250);
      nc = await connect({ servers: server.url });
      const jsm = await jetstreamManager(nc);
      await core.api.invoke('alerts.rules.set', { rule: 'consumer.pending', threshold: 3 });
      const withConsumers = [...(await streamsWithConsumers(jsm)), 'PERIODIC_T'].sort();

      counter = await ApiCounter.start(server.url);
      let samples = 0;
      sampler.onSample(() => samples++);
      let snapshots = 0;
      core.api.subscribe('streams.snapshot', () => snapshots++);
      await pendingConsumer(jsm, 'PERIODIC_T', 4);
      // Nobody calls sampleJetStream here: the sampler's timer and the evaluation timer do it all.
      await waitFor(async () => (await activeAlert(core, 'consumer.pending', 'PERIODIC_T/idle')) !== null, {
        message: 'consumer.pending firing for PERIODIC_T/idle from the periodic samples',
        timeoutMs: 15_000
      });
      await waitFor(() => samples >= 6, { message: 'six periodic samples' });
      // Stopping waits for a sample in flight, so every list counted belongs to a delivered sample.
      await core.stop();
      stopped = true;
      await counter.settle();

      const lists = counter.count('STREAM.LIST');
      // The sample running when counting began may have listed streams before the subscription.
      expect(lists).toBeGreaterThanOrEqual(samples - 1);
      // Two samplers would list about twice per period.
      expect(lists).toBeLessThanOrEqual(samples);
      // streams.snapshot is pushed as a sample lists the streams, before it is delivered.
      expect(snapshots).toBeGreaterThanOrEqual(samples - 1);
      expect(snapshots).toBeLessThanOrEqual(samples + 1);
      for (const stream of withConsumers) {
        expect(counter.count(`CONSUMER.LIST.${stream}`), stream).toBeLessThanOrEqual(samples);
      }
      expect(counter.count('CONSUMER.LIST.ORCHESTRATOR_EVENTS')).toBeGreaterThanOrEqual(samples - 1);
    } finally {
      if (!stopped) await core.stop();
    }
  });
});
