/**
 * The lease rides on JetStream's own replication: on a 3-node cluster (R3 lease bucket), killing
 * the node that leads the lease's KV stream keeps the lease and the engine where they were.
 *
 * nats-server needs a Raft election (4–9 s on 2.9) before the stream takes writes again, usually
 * longer than the rest of a 5 s lease, so the leader usually fences itself meanwhile (it must: it
 * cannot renew; when the election is quicker it just renews late). Its renewal then lands on the
 * new stream leader on the revision it last wrote, which proves nobody wrote in between, and it
 * resumes in the same term; the standby, which watched the lease revision stand still only while
 * its reads were answered, does not take over. Both paths end in the same state. Asserted: after
 * several TTLs the same instance leads in the same epoch, exactly one is active, the standby never
 * acquired the lease, every engine output carries that one epoch, and a new input still yields a
 * decision under it.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { engineOutputs, engineStatus, startRunCore, stopCore, type CoreProcess } from '../harness/engine-cores';
import { startNatsCluster, type NatsClusterHandle } from '../harness/nats-server';
import { waitFor } from '../harness/temp';

const TTL = 5000;
let cluster: NatsClusterHandle | null = null;
let nc: NatsConnection | null = null;
const cores: CoreProcess[] = [];

afterAll(async () => {
  await Promise.all(cores.map((c) => stopCore(c)));
  await nc?.close();
  await cluster?.stop();
});

describe('leader lease on a 3-node cluster', () => {
  it('keeps the same leader in the same term when the node leading the lease stream is killed', async () => {
    // On a failure, show each core's log and fate (the reason is in there, not in the assertion).
    onTestFailed(() => {
      for (const c of cores) {
        const fate = c.child.exitCode ?? c.child.signalCode ?? 'running';
        console.error(`--- core ${c.pid} (${fate}) ---\n${c.stderr()}`);
      }
    });
    cluster = await startNatsCluster(3);
    const urls = cluster.urls;
    for (let i = 0; i < 2; i++) cores.push(await startRunCore(urls, { ttlMs: TTL, replicas: 3 }));
    const before = await waitFor(
      () => {
        const s = engineStatus(urls, cores[0]!.dataDir);
        return s.leader && s.instances.length === 2 ? s : null;
      },
      { timeoutMs: 60_000, intervalMs: 500, message: 'a leader among the two cores' }
    );
    const leaderCore = cores.find((c) => c.pid === before.leader!.pid);
    const standby = cores.find((c) => c.pid !== before.leader!.pid);
    expect(leaderCore, 'the leader is one of the two cores').toBeDefined();
    expect(standby).toBeDefined();

    nc = await connect({ servers: urls });
    const jsm = await jetstreamManager(nc, { timeout: 15_000 });
    const info = await jsm.streams.info('KV_SYNOS_ENGINE');
    expect(info.config.num_replicas).toBe(3);
    // The bucket keeps keys far longer than the lease: expiry is the contenders' judgement.
    expect(info.config.max_age / 1e6).toBeGreaterThanOrEqual(30_000);
    const leaderName = info.cluster?.leader;
    const node = cluster.nodes.find((n, i) => `n${i + 1}-${n.port}` === leaderName);
    expect(node, `stream leader ${leaderName} among the nodes`).toBeDefined();
    await node!.kill9();

    // Several TTLs later the same instance leads in the same term, and it is the only active one.
    await new Promise((r) => setTimeout(r, 3 * TTL));
    const live = urls.filter((u) => u !== node!.url);
    const after = await waitFor(
      () => {
        const s = engineStatus(live, cores[0]!.dataDir);
        return s.leader && s.instances.length === 2 ? s : null;
      },
      { timeoutMs: 30_000, intervalMs: 500, message: 'the status after the node was killed' }
    );
    const newStreamLeader = (await jsm.streams.info('KV_SYNOS_ENGINE')).cluster?.leader;
    expect(newStreamLeader).toBeDefined();
    expect(newStreamLeader).not.toBe(leaderName);
    expect(after.leader!.instance).toBe(before.leader!.instance);
    expect(after.leader!.pid).toBe(before.leader!.pid);
    expect(after.leader!.epoch).toBe(before.leader!.epoch);
    expect(after.instances.filter((i) => i.role === 'active').map((i) => i.pid)).toEqual([before.leader!.pid]);
    // The standby never took the lease at any moment in between.
    expect(standby!.stderr()).not.toContain('engine lease acquired');

    // And its engine still decides, under that same epoch.
    const envelope = {
      specversion: '1.0',
      id: `cluster-${Date.now()}`,
      source: 'test/orchestrator',
      type: 'service.health.update',
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data: { service: 'billing', status: 'unhealthy' }
    };
    await jetstream(nc, { timeout: 15_000 }).publish(
      'orchestrator.service.health',
      new TextEncoder().encode(JSON.stringify(envelope))
    );
    const decision = await waitFor(
      async () =>
        (await engineOutputs(nc!, 'consciousness.decision_made')).find((o) => o.envelope.data.target === 'billing'),
      { timeoutMs: 30_000, intervalMs: 250, message: 'a decision for billing after the node was lost' }
    );
    expect(decision.envelope.synosepoch).toBe(before.leader!.epoch);
    expect(decision.epochHeader).toBe(String(before.leader!.epoch));
    // Every output of the run is of that one term.
    const epochs = new Set((await engineOutputs(nc)).map((o) => o.envelope.synosepoch));
    expect([...epochs]).toEqual([before.leader!.epoch]);
    const still = engineStatus(live, cores[0]!.dataDir);
    expect(still.leader).toMatchObject({ pid: before.leader!.pid, epoch: before.leader!.epoch });
    // A cluster start, three TTLs and the Raft elections of every stream the node led (lease,
    // inbound, outputs) take longer than the 60 s default on a loaded machine; the waits above
    // have their own limits.
  }, 240_000);
});
