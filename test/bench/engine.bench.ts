/**
 * Engine + bridge throughput (issue 4): how many inbound events per second the core takes from
 * JetStream (consume → validate → engine step → ack, outputs through the registered publisher),
 * the p99 latency from an input's publish to its engine event arriving on its orchestrator
 * subject, and RSS along the way (memory must not grow with the event count).
 *
 * Figures are printed next to a raw baseline measured in the same run: the same JetStream
 * publish + consume + ack with no validation and no engine. Also the pure engine (step() only).
 *
 *   npm run bench:engine                      # 1,000,000 events
 *   npm run bench:engine -- --events 200000   # fewer
 */
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ConsciousnessEngine } from '../../main/engine/engine';
import { provision } from '../../main/nats/topology/provisioning';
import { createTestCore } from '../harness/core';
import { startNatsServer } from '../harness/nats-server';
import { tempDir } from '../harness/temp';
import { arg } from './args';

const EVENTS = arg('events', 1_000_000);
/** Every Nth input is a probe (a never-seen service starting) whose engine event we time. */
const PROBE_EVERY = 1000;
/** Inputs in flight (published, not yet taken) at most: the stream keeps 100,000 messages. */
const WINDOW = 20_000;

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const rss = () => process.memoryUsage.rss();
const encoder = new TextEncoder();

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function inputEnvelope(i: number, id: string): { subject: string; payload: Uint8Array } {
  let subject: string;
  let type: string;
  let data: unknown;
  if (i % PROBE_EVERY === 0) {
    subject = 'orchestrator.service.started';
    type = 'service.lifecycle.started';
    data = { service: `probe-${i}` };
  } else if (i % 4 === 0) {
    subject = 'orchestrator.service.health';
    type = 'service.health.update';
    data = { service: `svc-${i % 5}`, status: 'healthy' };
  } else {
    subject = 'orchestrator.system.resource';
    type = 'system.resource.update';
    data = { cpu: 0.3 + (i % 10) / 100, memory: 0.5, disk: 0.4 };
  }
  const env = {
    specversion: '1.0',
    id,
    source: 'bench/orchestrator',
    type,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data
  };
  return { subject, payload: encoder.encode(JSON.stringify(env)) };
}

/**
 * Publishes with core NATS (the streams capture the subjects), flushing every batch: the load
 * generator must stay cheap, or it measures itself (a JetStream publish builds an Error per request
 * for its stack trace). `gate` throttles it so the stream never holds more than WINDOW unread.
 */
async function publishAll(
  nc: NatsConnection,
  count: number,
  make: (i: number) => { subject: string; payload: Uint8Array },
  gate: (i: number) => Promise<void>
): Promise<void> {
  for (let i = 1; i <= count; i++) {
    const m = make(i);
    nc.publish(m.subject, m.payload);
    if (i % 256 === 0) {
      await nc.flush();
      await gate(i);
    }
  }
  await nc.flush();
}

/** CPU time (user + system) this process used, in µs. */
function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function rawBaseline(nc: NatsConnection, count: number): Promise<{ perSecond: number; cpuPerMsgUs: number }> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'BENCH_RAW', subjects: ['benchraw.>'], max_msgs: 100_000 });
  await jsm.consumers.add('BENCH_RAW', { durable_name: 'raw', ack_policy: 'explicit' as never, max_ack_pending: 1000 });
  const js = jetstream(nc);
  let consumed = 0;
  const consumer = await js.consumers.get('BENCH_RAW', 'raw');
  const messages = await consumer.consume({
    max_messages: 512,
    callback: (m) => {
      consumed++;
      m.ack();
    }
  });
  const started = performance.now();
  const cpu0 = cpuMicros();
  const payload = inputEnvelope(1, 'x').payload;
  await publishAll(
    nc,
    count,
    () => ({ subject: 'benchraw.x', payload }),
    async (i) => {
      while (i - consumed > WINDOW) await new Promise((r) => setTimeout(r, 5));
    }
  );
  while (consumed < count) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - started) / 1000;
  const cpuPerMsgUs = (cpuMicros() - cpu0) / count;
  await messages.close();
  await jsm.streams.delete('BENCH_RAW');
  return { perSecond: count / seconds, cpuPerMsgUs };
}

function pureEngine(count: number): { perSecond: number; rssAfter: number } {
  const engine = new ConsciousnessEngine();
  const inputs = [
    { type: 'system.resource.update', data: { cpu: 0.4, memory: 0.5 } },
    { type: 'service.health.update', data: { service: 'a', status: 'healthy' } },
    { type: 'service.health.update', data: { service: 'b', status: 'degraded' } }
  ];
  const t0 = performance.now();
  let now = 0;
  for (let i = 0; i < count; i++) {
    now += 0.2; // 5,000 inputs per engine-second
    engine.step(inputs[i % inputs.length]!, now);
    if (i % 1000 === 0) engine.tick(now);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { perSecond: count / seconds, rssAfter: rss() };
}

async function main(): Promise<void> {
  console.log(`engine benchmark: ${EVENTS.toLocaleString('en')} inbound events, node ${process.version}`);
  const pure = pureEngine(EVENTS);
  console.log(
    `pure engine step():      ${Math.round(pure.perSecond).toLocaleString('en')} events/s (RSS ${mib(pure.rssAfter)})`
  );

  const server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  try {
    await provision(nc);
    const raw = await rawBaseline(nc, Math.min(EVENTS, 200_000));
    console.log(
      `raw JetStream baseline:  ${Math.round(raw.perSecond).toLocaleString('en')} msgs/s, ${raw.cpuPerMsgUs.toFixed(1)} µs CPU/msg in this process (stream capture + consume + ack, no engine; ${Math.min(EVENTS, 200_000).toLocaleString('en')} msgs)`
    );

    const core = createTestCore({ servers: [server.url], dataDir: tempDir('synos-bench-'), bridge: { active: true } });
    await core.start();
    await core.api.invoke('connection.connect', {});
    while (!(await core.api.invoke('bridge.status', {})).consumers.every((c) => c.bound))
      await new Promise((r) => setTimeout(r, 50));
    const bridge = core.app.engine.bridge;

    // Probe latency: publish time of each probe input → its memory_update arriving on the orchestrator subject.
    const probeSent = new Map<string, number>();
    const latencies: number[] = [];
    const sub = nc.subscribe('orchestrator.consciousness.memory', {
      callback: (_e, m) => {
        try {
          const env = m.json<{ correlationid?: string; data: { op: string } }>();
          const sent = env.correlationid ? probeSent.get(env.correlationid) : undefined;
          if (sent !== undefined && env.data.op === 'store') {
            latencies.push(performance.now() - sent);
            probeSent.delete(env.correlationid!);
          }
        } catch {
          // not ours
        }
      }
    });

    const rssSamples: Array<[number, number]> = [];
    const accepted = () => bridge.status().inbound.accepted;
    const base = accepted();
    global.gc?.();
    const rssStart = rss();
    const started = performance.now();
    const cpu0 = cpuMicros();
    await publishAll(
      nc,
      EVENTS,
      (i) => {
        const id = randomUUID();
        const m = inputEnvelope(i, id);
        if (i % PROBE_EVERY === 0) probeSent.set(id, performance.now());
        return m;
      },
      async (i) => {
        while (i - (accepted() - base) > WINDOW) await new Promise((r) => setTimeout(r, 2));
        if (i % (EVENTS / 10) < 256) rssSamples.push([i, rss()]);
      }
    );
    while (accepted() - base < EVENTS) await new Promise((r) => setTimeout(r, 5));
    const seconds = (performance.now() - started) / 1000;
    const cpuPerEventUs = (cpuMicros() - cpu0) / EVENTS;
    await new Promise((r) => setTimeout(r, 1000));
    sub.unsubscribe();
    const status = bridge.status();
    global.gc?.();
    const rssEnd = rss();
    latencies.sort((a, b) => a - b);

    const rate = EVENTS / seconds;
    console.log(
      `engine + bridge:         ${Math.round(rate).toLocaleString('en')} events/s over ${seconds.toFixed(1)} s (${(rate / raw.perSecond).toFixed(2)}× the raw baseline; target 5,000/s: ${rate >= 5000 ? 'met' : 'NOT met'})`
    );
    // CPU per event is steadier than wall-clock rate on a shared machine: it says what one core could carry.
    console.log(
      `CPU per event:           ${cpuPerEventUs.toFixed(1)} µs (raw ${raw.cpuPerMsgUs.toFixed(1)} µs); one core could carry ≈ ${Math.round(1e6 / cpuPerEventUs).toLocaleString('en')} events/s (raw ≈ ${Math.round(1e6 / raw.cpuPerMsgUs).toLocaleString('en')})`
    );
    console.log(
      `input → output latency:  p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${(latencies[latencies.length - 1] ?? NaN).toFixed(1)} ms (${latencies.length} probes, publish → event on orchestrator.consciousness.memory)`
    );
    console.log(
      `RSS:                     start ${mib(rssStart)}, after ${EVENTS.toLocaleString('en')} events ${mib(rssEnd)}; samples ${rssSamples.map(([i, b]) => `${Math.round(i / 1000)}k:${mib(b)}`).join(' ')}`
    );
    console.log(
      `bridge counters:         accepted ${status.inbound.accepted}, invalid ${status.inbound.invalid}, naks ${status.inbound.naks}, published ${status.outbound.published} via ${status.outbound.publisher}, dropped ${status.outbound.dropped}, failed ${status.outbound.failed}`
    );
    await core.stop();
  } finally {
    await nc.close();
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
