/**
 * Under a lease, an input that changed what the next leader must know (a problem opened or closed)
 * is acked only once a shared engine state holding its effect has landed in the bucket. Real
 * nats-server (the KV bucket, the inbound stream, JetStream's redelivery after ack_wait), real
 * SQLite; the bridges are driven by hand with messages fetched from a durable of the test's own,
 * as in shared-state-commit.test.ts.
 *
 * The leader's path to the bucket is a NATS connection of its own. It is closed after the leader
 * shared its state once, so the write its decision asks for cannot land; then the leader is
 * "killed": nothing of it runs any more (it sends nothing, as after SIGKILL). Acked at its commit
 * (the behaviour before held acks), the input is never redelivered and the next leader restores a
 * state without its effect:
 *
 * - a problem opened there is forgotten: the service's repeated "unhealthy" report gets a second
 *   decision with another id;
 * - a problem closed there is open again: the service's next failure gets no decision.
 *
 * Held, the input comes back after ack_wait to the next leader, which steps it again: the same
 * decision with the same derived id (the stream's Nats-Msg-Id dedupe drops the copy), or the
 * problem closed again.
 *
 * Without a holder (a core without a lease; the pipeline benchmark) nothing waits: the ack goes
 * out with the commit.
 */
import { AckPolicy, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../main/app/create-core';
import { ConsciousnessBridge } from '../../main/bridge/bridge';
import type { InboundConsumerSpec } from '../../main/bridge/inbound';
import type { LeadershipGate } from '../../main/bridge/leadership-gate';
import type { EngineHandover } from '../../main/engine/engine';
import { SharedEngineStateStore, STATE_BUCKET } from '../../main/leadership/shared-state';
import { createLogger } from '../../main/core/logger';
import { provision } from '../../main/nats/topology/provisioning';
import { createTestCore } from '../harness/core';
import { encodeEnvelope } from '../harness/envelope';
import { useServerAndClient } from '../harness/server-and-core';
import { RecordingPublisher } from '../harness/recording-publisher';
import { leaderBridge } from '../harness/leader-bridge';
import type { BridgeOptions } from '../../main/bridge/options';

const SUBJECT = 'orchestrator.service.health';
const STREAM = 'ORCHESTRATOR_EVENTS';
/** Short, so the held input of a "killed" leader comes back soon. */
const ACK_WAIT_MS = 1000;

/** A lease under `epoch`, held for the whole test (its timing is not under test here). */
function lease(epoch: number): LeadershipGate {
  return {
    isActive: () => true,
    epoch: () => epoch,
    currentRole: () => 'active',
    onChange: () => () => undefined
  };
}

const cores: Core[] = [];
const stores: SharedEngineStateStore[] = [];
const connections: NatsConnection[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) store.detach();
  for (const nc of connections.splice(0)) await nc.close().catch(() => undefined);
  for (const core of cores.splice(0)) await core.stop();
});

describe('acks wait for the shared engine state under a lease', () => {
  const env = useServerAndClient({ prepare: async ({ nc }) => provision(nc) });
  let run = 0;

  /** A durable of this test's own that sees only what is published from now on. */
  async function durable(ackWaitMs = ACK_WAIT_MS): Promise<InboundConsumerSpec> {
    const name = `shared_state_ack_${++run}`;
    await env.jsm.consumers.add(STREAM, {
      durable_name: name,
      filter_subject: SUBJECT,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      ack_wait: ackWaitMs * 1_000_000
    });
    return { stream: STREAM, durable: name, family: 'orchestrator', filter: SUBJECT };
  }

  /**
   * A leader's bridge on a core of its own (own SQLite file) and its shared-state store, attached
   * (the store holds the acks) with a write interval too long to fire: every write is asked for by
   * what the bridge commits, or by the test. The store reaches the bucket over `link.nc`.
   */
  async function leader(
    group: string,
    epoch: number,
    link: { nc: NatsConnection } = { nc: env.nc },
    options: Partial<BridgeOptions> = {}
  ) {
    const core = createTestCore({ logger: createLogger({ level: 'error' }) });
    cores.push(core);
    const gate = lease(epoch);
    const { bridge, publisher } = leaderBridge(core, gate, options);
    const shared = new SharedEngineStateStore({ connection: () => link.nc }, gate, {
      group,
      replicas: 1,
      logger: createLogger({ level: 'error' }),
      writeIntervalMs: 3_600_000
    });
    stores.push(shared);
    shared.attach(bridge);
    return { core, bridge, shared, publisher };
  }

  /**
   * A durable, a leader of term 1 that shared its (empty) state once over a connection of its own,
   * and the group and service names of a test called `name`.
   */
  async function firstLeader(name: string, ackWaitMs = ACK_WAIT_MS, options: Partial<BridgeOptions> = {}) {
    const spec = await durable(ackWaitMs);
    const group = `ack-${name}-${run}`;
    const target = `svc-${name}-${run}`;
    const link = await ownConnection();
    const first = await leader(group, 1, link, options);
    await first.shared.write();
    return { spec, group, target, link, first };
  }

  /** A connection of the leader's own to the bucket, closed to cut it off. */
  async function ownConnection(): Promise<{ nc: NatsConnection }> {
    const nc = await connect({ servers: env.server.url });
    connections.push(nc);
    return { nc };
  }

  async function report(spec: InboundConsumerSpec, service: string, status: 'healthy' | 'unhealthy'): Promise<JsMsg> {
    await env.js.publish(
      SUBJECT,
      encodeEnvelope('service.health.update', { service, status }, { idPrefix: `ack-${run}` })
    );
    return next(spec, 10_000, `the report "${status}" for ${service}`);
  }

  async function next(spec: InboundConsumerSpec, expires: number, what: string): Promise<JsMsg> {
    const msg = await maybeNext(spec, expires);
    if (!msg) throw new Error(`${what} was not delivered within ${expires} ms`);
    return msg;
  }

  async function maybeNext(spec: InboundConsumerSpec, expires: number): Promise<JsMsg | null> {
    const consumer = await env.js.consumers.get(STREAM, spec.durable);
    return consumer.next({ expires });
  }

  async function step(l: Awaited<ReturnType<typeof leader>>, msg: JsMsg, spec: InboundConsumerSpec): Promise<void> {
    l.bridge.handleMessage(msg, spec);
    await l.bridge.whenCommitted();
    await l.bridge.flushOutbound();
  }

  /** Unacknowledged messages of the durable, once what the clients sent has reached the server. */
  async function ackPending(spec: InboundConsumerSpec): Promise<number> {
    for (const nc of [env.nc, ...connections]) if (!nc.isClosed()) await nc.flush();
    return (await env.jsm.consumers.info(STREAM, spec.durable)).num_ack_pending;
  }

  async function storedOpen(group: string): Promise<string[]> {
    const kv = await new Kvm(env.nc).open(STATE_BUCKET);
    const entry = await kv.get(`${group}.handover`);
    if (!entry || entry.operation !== 'PUT') return [];
    return ((entry.json() as { value: EngineHandover | null }).value?.openProblems ?? []).map((p) => p.target);
  }

  /**
   * The next leader restores the shared state and takes what JetStream hands it first: the dead
   * leader's input, redelivered after ack_wait, when its ack was held (null when it was acked).
   */
  async function takeOver(group: string, spec: InboundConsumerSpec) {
    const next = await leader(group, 2);
    await next.shared.restoreInto(next.bridge);
    const redelivered = await maybeNext(spec, ACK_WAIT_MS + 9000);
    if (redelivered) {
      expect(redelivered.info.deliveryCount).toBeGreaterThan(1);
      await step(next, redelivered, spec);
      // Its effect is shared, then it is acked.
      await next.shared.write();
      expect(next.bridge.heldAcks.size).toBe(0);
    }
    return { next, redelivered };
  }

  it('without a holder, an input that opened a problem is acked with its commit', async () => {
    const spec = await durable();
    const core = createTestCore({ logger: createLogger({ level: 'error' }) });
    cores.push(core);
    const bridge = new ConsciousnessBridge(
      core.context,
      { publisher: new RecordingPublisher(), provisioning: null },
      { active: true }
    );
    const target = `svc-nolease-${run}`;
    const msg = await report(spec, target, 'unhealthy');
    bridge.handleMessage(msg, spec);
    await bridge.whenCommitted();
    expect(bridge.engine.problems().open.map((p) => p.target)).toEqual([target]);
    expect(bridge.heldAcks.holding).toBe(false);
    expect(bridge.heldAcks.size).toBe(0);
    expect(await ackPending(spec)).toBe(0);
  });

  it('under a lease, the ack of an input that opened a problem waits until the state holding it landed', async () => {
    const { spec, group, target, link, first } = await firstLeader('wait');
    // A report that changes nothing the next leader must know is acked at once.
    const calm = await report(spec, `${target}-calm`, 'healthy');
    await step(first, calm, spec);
    expect(first.bridge.heldAcks.size).toBe(0);
    expect(await ackPending(spec)).toBe(0);

    await link.nc.close(); // the bucket cannot be reached: the write the decision asks for fails
    const failed = await report(spec, target, 'unhealthy');
    await step(first, failed, spec);
    expect(first.publisher.decisionIdsFor(target)).toHaveLength(1);
    expect(first.bridge.heldAcks.size, 'the ack waits for the shared state').toBe(1);
    expect(await ackPending(spec)).toBe(1);
    // Counted as accepted at its commit, as the timeline counts it, while its ack waits.
    expect(first.bridge.status().inbound.accepted).toBe(2);
    expect(await storedOpen(group)).not.toContain(target);

    // The path comes back: the next write lands, then the input is acked.
    link.nc = env.nc;
    await first.shared.write();
    expect(await storedOpen(group)).toContain(target);
    expect(first.bridge.heldAcks.size).toBe(0);
    expect(await ackPending(spec)).toBe(0);
  });

  it('a held input redelivered to the same leader (the bucket unreachable past ack_wait) stays held', async () => {
    const { spec, group, target, link, first } = await firstLeader('again');
    await link.nc.close();
    const failed = await report(spec, target, 'unhealthy');
    await step(first, failed, spec);
    expect(first.bridge.heldAcks.size).toBe(1);

    // ack_wait passes: JetStream hands the input to this leader again; its inbox knows it, but its
    // effect is still not in the bucket, so the duplicate's ack waits as well.
    const redelivered = await next(spec, ACK_WAIT_MS + 9000, 'the redelivery after ack_wait');
    expect(redelivered.info.deliveryCount).toBe(2);
    await step(first, redelivered, spec);
    expect(first.publisher.decisionIdsFor(target), 'the duplicate is not stepped again').toHaveLength(1);
    expect(first.bridge.heldAcks.size, 'the duplicate’s ack waits for the shared state').toBe(2);
    expect(await ackPending(spec)).toBe(1);

    link.nc = env.nc;
    await first.shared.write();
    expect(await storedOpen(group)).toContain(target);
    expect(first.bridge.heldAcks.size).toBe(0);
    expect(await ackPending(spec)).toBe(0);
  });

  it('a held ack is reported in progress (msg.working()): no redelivery, no delivery used up, while the bucket is down', async () => {
    // Reported every 300 ms against an ack_wait of 1 s (the product: 10 s against 30 s).
    const { spec, target, link, first } = await firstLeader('working', ACK_WAIT_MS, { heldAckProgressMs: 300 });
    await link.nc.close();
    const failed = await report(spec, target, 'unhealthy');
    await step(first, failed, spec);
    expect(first.bridge.heldAcks.size).toBe(1);

    // Three ack_waits later JetStream has not handed it out again.
    expect(await maybeNext(spec, 3 * ACK_WAIT_MS), 'no redelivery while held').toBeNull();
    const info = await env.jsm.consumers.info(STREAM, spec.durable);
    expect(info.num_redelivered).toBe(0);
    expect(info.num_ack_pending).toBe(1);

    link.nc = env.nc;
    await first.shared.write();
    expect(first.bridge.heldAcks.size).toBe(0);
    expect(await ackPending(spec)).toBe(0);
  });

  it('a lost lease gives the held acks back at once (nak), for the next leader', async () => {
    // ack_wait far longer than the test: only a nak brings the input back.
    const { spec, target, link, first } = await firstLeader('lost', 600_000);
    await link.nc.close();
    const failed = await report(spec, target, 'unhealthy');
    await step(first, failed, spec);
    expect(first.bridge.heldAcks.size).toBe(1);

    first.bridge.stopLeading();
    expect(first.bridge.heldAcks.size).toBe(0);
    const back = await next(spec, 10_000, 'the input given back when the lease was lost');
    expect(back.info.deliveryCount).toBe(2);
    expect((back.json() as { data: { service: string } }).data.service).toBe(target);
    back.ack();
  });

  it('a leader killed before the state holding its decision landed: the next leader makes the same decision, once', async () => {
    const { spec, group, target, link, first } = await firstLeader('open');

    await link.nc.close();
    const failed = await report(spec, target, 'unhealthy');
    await step(first, failed, spec);
    const decided = first.publisher.decisionIdsFor(target);
    expect(decided, 'the first leader decides (its outbox holds the decision)').toHaveLength(1);
    // Killed here: nothing of the first leader runs any more.

    const { next, redelivered } = await takeOver(group, spec);
    expect
      .soft(redelivered, 'the input whose effect never reached the bucket is redelivered to the next leader')
      .not.toBeNull();
    // The service keeps reporting its failure.
    const again = await report(spec, target, 'unhealthy');
    await step(next, again, spec);
    await next.shared.write();

    const ids = new Set([...decided, ...next.publisher.decisionIdsFor(target)]);
    expect(
      [...ids],
      'one decision id across both leaders (a second id: the next leader forgot the open problem and decided again)'
    ).toEqual(decided);
    expect(await storedOpen(group)).toContain(target);
    expect(await ackPending(spec)).toBe(0);
  });

  it('a leader killed before the state holding a closed problem landed: the next failure is decided on', async () => {
    const { spec, group, target, link, first } = await firstLeader('close');
    const failed = await report(spec, target, 'unhealthy');
    await step(first, failed, spec);
    await first.shared.write(); // the open problem is shared; the input acked
    expect(await storedOpen(group)).toContain(target);
    expect(first.bridge.heldAcks.size).toBe(0);

    await link.nc.close();
    const recovered = await report(spec, target, 'healthy');
    await step(first, recovered, spec);
    expect(first.bridge.engine.problems().open).toEqual([]);
    // Killed here: the bucket still holds the problem open.

    const { next, redelivered } = await takeOver(group, spec);
    expect.soft(redelivered, 'the recovery whose effect never reached the bucket is redelivered').not.toBeNull();
    expect
      .soft(
        next.bridge.engine.problems().open.map((p) => p.target),
        'the closed problem is open again'
      )
      .not.toContain(target);
    const again = await report(spec, target, 'unhealthy');
    await step(next, again, spec);
    expect(
      next.publisher.decisionIdsFor(target),
      'the service’s next failure is decided on (the problem restored as open swallows it)'
    ).toHaveLength(1);
    expect(next.bridge.heldAcks.size, 'the new decision’s input waits for the shared state').toBe(1);
    await next.shared.write();
    expect(await storedOpen(group)).toContain(target);
    expect(await ackPending(spec)).toBe(0);
  });
});
