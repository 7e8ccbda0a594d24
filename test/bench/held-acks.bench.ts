/**
 * What holding acks for the shared engine state costs a leader (docs/architecture.md §10, "Acks wait
 * for the shared state"): the time from publishing an inbound event to its ack, on one nats-server,
 * for a bridge without a lease (acks at the commit) and for one leading under a lease with its
 * shared-state store attached (acks of inputs that opened or closed a problem wait for the bucket
 * write), in the same run. The bridges are driven in-process from a durable of the script's own.
 *
 * Two loads at a fixed offered rate: every event opens or closes a problem (services flip between
 * unhealthy and healthy: every ack is held), and none does (healthy reports: nothing is held).
 *
 *   npm run bench:held-acks [-- --rate 500 --events 3000]
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { ConsciousnessBridge } from '../../main/bridge/bridge';
import type { InboundConsumerSpec } from '../../main/bridge/inbound';
import type { LeadershipGate } from '../../main/bridge/leadership-gate';
import { createLogger } from '../../main/core/logger';
import type { OutboundMessage, OutboundPublisher } from '../../main/core/outbound';
import { SharedEngineStateStore } from '../../main/leadership/shared-state';
import { provision } from '../../main/nats/topology/provisioning';
import { createTestCore } from '../harness/core';
import { startNatsServer } from '../harness/nats-server';
import { arg } from './args';

const RATE = arg('rate', 500);
const EVENTS = arg('events', 3000);
const SUBJECT = 'orchestrator.service.health';
const STREAM = 'ORCHESTRATOR_EVENTS';
const encoder = new TextEncoder();

class NullPublisher implements OutboundPublisher {
  async publish(_message: OutboundMessage): Promise<void> {}
  async publishMany(_messages: OutboundMessage[]): Promise<void> {}
}

const always: LeadershipGate = {
  isActive: () => true,
  epoch: () => 1,
  currentRole: () => 'active',
  onChange: () => () => undefined
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

async function main(): Promise<void> {
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await provision(nc);
  let run = 0;

  async function measure(leased: boolean, load: 'flip' | 'calm'): Promise<number[]> {
    const name = `held_acks_bench_${++run}`;
    await jsm.consumers.add(STREAM, {
      durable_name: name,
      filter_subject: SUBJECT,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      max_ack_pending: 1000
    });
    const spec: InboundConsumerSpec = { stream: STREAM, durable: name, family: 'orchestrator', filter: SUBJECT };
    const core = createTestCore({ logger: createLogger({ level: 'error' }) });
    const bridge = new ConsciousnessBridge(
      core.context,
      { publisher: new NullPublisher(), provisioning: null },
      { active: true }
    );
    let shared: SharedEngineStateStore | null = null;
    if (leased) {
      bridge.useGate(always);
      bridge.resumeLeading();
      shared = new SharedEngineStateStore({ connection: () => nc }, always, {
        group: `bench-${run}`,
        replicas: 1,
        logger: createLogger({ level: 'error' })
      });
      shared.attach(bridge);
      await shared.write();
    }
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    bridge.bus.on('settled', ({ id }) => {
      const t = sentAt.get(id);
      if (t === undefined) return;
      latencies.push(performance.now() - t);
      if (latencies.length === EVENTS) done();
    });
    const consumer = await js.consumers.get(STREAM, name);
    const messages = await consumer.consume({ max_messages: 512 });
    void (async () => {
      for await (const m of messages) bridge.handleMessage(m, spec);
    })();
    const services = 50;
    const start = performance.now();
    for (let i = 0; i < EVENTS; i++) {
      const due = start + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const id = `held-${run}-${i}`;
      const service = `svc-${i % services}`;
      // flip: each service alternates unhealthy / healthy, so every event opens or closes a problem.
      const status = load === 'calm' || Math.floor(i / services) % 2 === 1 ? 'healthy' : 'unhealthy';
      const envelope = {
        specversion: '1.0',
        id,
        source: 'bench/orchestrator',
        type: 'service.health.update',
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        data: { service, status }
      };
      sentAt.set(id, performance.now());
      void js.publish(SUBJECT, encoder.encode(JSON.stringify(envelope)));
    }
    await Promise.race([finished, new Promise((r) => setTimeout(r, 60_000))]);
    messages.stop();
    shared?.detach();
    await bridge.stop();
    await core.stop();
    return latencies.sort((a, b) => a - b);
  }

  const rows: string[] = [];
  for (const load of ['flip', 'calm'] as const) {
    const plain = await measure(false, load);
    const leased = await measure(true, load);
    const f = (xs: number[]) =>
      `p50 ${percentile(xs, 50).toFixed(2)} ms  p99 ${percentile(xs, 99).toFixed(2)} ms  max ${(xs.at(-1) ?? NaN).toFixed(2)} ms  (${xs.length}/${EVENTS})`;
    rows.push(`${load === 'flip' ? 'every event opens/closes a problem' : 'no event changes problems    '}`);
    rows.push(`  no lease : ${f(plain)}`);
    rows.push(`  leased   : ${f(leased)}`);
    rows.push(`  p50 ratio leased/no lease: ${(percentile(leased, 50) / percentile(plain, 50)).toFixed(2)}×`);
  }
  console.log(`publish → ack at ${RATE} events/s, ${EVENTS} events per run`);
  for (const r of rows) console.log(r);
  await nc.close();
  await server.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
