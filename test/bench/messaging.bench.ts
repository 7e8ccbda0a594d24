/**
 * Live tail and publish benchmark on a fresh nats-server. Each figure is printed next to a raw
 * nats.js baseline measured in the same run, as a ratio:
 * - tail: messages/s delivered to a tail.messages listener vs a bare subscription callback
 *   (same publisher, same message count), and how many the ring dropped;
 * - publish: messages.publish with count N (templates on) vs a bare nc.publish loop;
 * - envelope publish: the same with a validated Syn_OS envelope per message.
 *
 * Run: npm run bench:messaging   (env: BENCH_MESSAGES to change the count, default 200000)
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Core } from '../../main/app/create-core';
import { createTestCore } from '../harness/core';
import { startNatsServer } from '../harness/nats-server';

const TOTAL = Number(process.env.BENCH_MESSAGES ?? 200_000);
const BATCH = 2000;
const enc = new TextEncoder();

function line(name: string, count: number, ms: number, baselineMs?: number, extra = ''): void {
  const rate = Math.round(count / (ms / 1000));
  const ratio = baselineMs !== undefined ? `  ${(ms / baselineMs).toFixed(2)}x the raw time` : '';
  process.stdout.write(
    `${name.padEnd(44)} ${String(rate).padStart(9)} msg/s  (${ms.toFixed(0)} ms for ${count})${ratio}${extra}\n`
  );
}

async function publishBurst(nc: NatsConnection, subject: string): Promise<void> {
  for (let i = 1; i <= TOTAL; i++) {
    nc.publish(subject, enc.encode(`{"n":${i},"kind":"sample"}`));
    if (i % BATCH === 0) await nc.flush();
  }
  await nc.flush();
}

async function rawSubscription(pub: NatsConnection, sub: NatsConnection): Promise<number> {
  let seen = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const s = sub.subscribe('bench.raw', { callback: () => void (++seen === TOTAL && done()) });
  await sub.flush();
  const started = performance.now();
  await publishBurst(pub, 'bench.raw');
  await finished;
  const ms = performance.now() - started;
  s.unsubscribe();
  return ms;
}

async function tailDelivery(
  core: Core,
  pub: NatsConnection
): Promise<{ ms: number; delivered: number; dropped: number }> {
  let delivered = 0;
  let dropped = 0;
  let tailId = '';
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const off = core.api.subscribe('tail.messages', (batch) => {
    if (batch.tailId !== tailId) return;
    delivered += batch.messages.length;
    dropped = batch.dropped;
    if (batch.received === TOTAL && delivered + dropped >= TOTAL) done();
  });
  const tail = await core.api.invoke('tail.start', { subject: 'bench.tail', capacity: 10_000 });
  tailId = tail.id;
  const started = performance.now();
  await publishBurst(pub, 'bench.tail');
  await finished;
  const ms = performance.now() - started;
  off();
  await core.api.invoke('tail.stop', { id: tail.id });
  return { ms, delivered, dropped };
}

async function main(): Promise<void> {
  const server = await startNatsServer({ jetstream: false });
  const pub = await connect({ servers: server.url });
  const sub = await connect({ servers: server.url });
  const core = createTestCore({
    servers: [server.url],
    // A server without JetStream: nothing to provision.
    overrides: { provision: false },
    validateOutput: false
  });
  await core.start();
  try {
    await core.api.invoke('connection.connect', {});
    process.stdout.write(`nats-server ${pub.info?.version}, ${TOTAL} messages of ~25 bytes each\n`);

    const rawMs = await rawSubscription(pub, sub);
    line('raw subscription callback (baseline)', TOTAL, rawMs);
    const tail = await tailDelivery(core, pub);
    line('tail.messages listener', tail.delivered, tail.ms, rawMs, `  dropped ${tail.dropped}`);

    let started = performance.now();
    for (let i = 1; i <= TOTAL; i++) {
      pub.publish('bench.pub', enc.encode(`{"n":${i},"kind":"sample"}`));
      if (i % 10_000 === 0) await pub.flush();
    }
    await pub.flush();
    const rawPubMs = performance.now() - started;
    line('raw nc.publish loop (baseline)', TOTAL, rawPubMs);

    started = performance.now();
    await core.api.invoke('messages.publish', {
      subject: 'bench.pub',
      body: '{"n":{{count}},"kind":"sample"}',
      count: TOTAL
    });
    line('messages.publish count=N, templates', TOTAL, performance.now() - started, rawPubMs);

    const envelopes = Math.min(TOTAL, 50_000);
    started = performance.now();
    await core.api.invoke('messages.publish', {
      subject: 'bench.env',
      body: '{"service":"payments","status":"healthy","detail":"probe {{count}}"}',
      count: envelopes,
      envelope: { type: 'service.health.update' }
    });
    line('messages.publish, validated envelopes', envelopes, performance.now() - started);
  } finally {
    await core.stop();
    await pub.close();
    await sub.close();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${String(error)}\n`);
  process.exit(1);
});
