/**
 * The engine lease itself against a real nats-server 2.9: exactly one holder among contenders,
 * a monotonic epoch per term, takeover after the holder vanishes, hand-off and self-fencing when
 * renewals cannot reach the server; a fenced leader resumes its term only when nobody wrote the
 * lease in between, and a contender whose reads were not answered does not take over at once.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../main/core/logger';
import { EngineLease, type LeaseChange } from '../../main/leadership/lease';
import { readLeadershipStatus } from '../../main/leadership/status';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { waitFor } from '../harness/temp';

const TTL = 1500;
let server: NatsServerHandle;
const connections: NatsConnection[] = [];
const leases: EngineLease[] = [];
const logger = createLogger({ level: process.env.SYNOS_TEST_LOG === '1' ? 'debug' : 'error' });

beforeAll(async () => {
  server = await startNatsServer();
});

afterAll(async () => {
  for (const l of leases) await l.stop().catch(() => undefined);
  for (const nc of connections) await nc.close().catch(() => undefined);
  await server.stop();
});

async function contender(
  group: string,
  name: string,
  preference: 'auto' | 'observer' = 'auto'
): Promise<{ lease: EngineLease; nc: NatsConnection; changes: LeaseChange[] }> {
  const nc = await connect({ servers: server.url });
  connections.push(nc);
  let current: NatsConnection | null = nc;
  const lease = new EngineLease(
    { connection: () => current },
    { group, ttlMs: TTL, preference, replicas: 1, instance: name, host: 'test-host', pid: process.pid, logger }
  );
  const changes: LeaseChange[] = [];
  lease.onChange((c) => changes.push(c));
  leases.push(lease);
  lease.start();
  // Let tests cut this contender off from the server (and back) without touching the others.
  (lease as unknown as { cut: () => void }).cut = () => {
    current = null;
  };
  (lease as unknown as { reconnect: () => void }).reconnect = () => {
    current = nc;
  };
  return { lease, nc, changes };
}

describe('engine lease on JetStream KV', () => {
  it('gives the lease to exactly one of three contenders and lists all of them', async () => {
    const group = 'three';
    const all = await Promise.all(['a', 'b', 'c'].map((n) => contender(group, n)));
    await waitFor(() => all.filter((c) => c.lease.isActive()).length === 1, { message: 'one leader' });
    // Stays exactly one over several renewals.
    for (let i = 0; i < 10; i++) {
      expect(all.filter((c) => c.lease.currentRole() === 'active')).toHaveLength(1);
      await new Promise((r) => setTimeout(r, TTL / 5));
    }
    const leader = all.find((c) => c.lease.isActive())!;
    const status = await waitFor(
      async () => {
        const s = await readLeadershipStatus(leader.nc, group, { ttlMs: TTL, replicas: 1 });
        return s.instances.length === 3 ? s : null;
      },
      { message: 'three instances announced' }
    );
    expect(status.leader?.instance).toBe(leader.lease.instance);
    expect(status.leader?.epoch).toBe(leader.lease.epoch());
    expect(status.instances.map((i) => i.role).sort()).toEqual(['active', 'standby', 'standby']);
  });

  it('hands over after the holder stops renewing, with a higher epoch; the old holder fences itself', async () => {
    const group = 'takeover';
    const a = await contender(group, 'first');
    await waitFor(() => a.lease.isActive(), { message: 'first leads' });
    const firstEpoch = a.lease.epoch()!;
    const b = await contender(group, 'second');
    await new Promise((r) => setTimeout(r, TTL));
    expect(b.lease.isActive()).toBe(false);

    (a.lease as unknown as { cut: () => void }).cut();
    await waitFor(() => !a.lease.isActive() && a.changes.some((c) => c.role === 'standby'), {
      message: 'first fenced itself'
    });
    await waitFor(() => b.lease.isActive(), { timeoutMs: 4 * TTL, message: 'second took over' });
    expect(b.lease.epoch()!).toBeGreaterThan(firstEpoch);
  });

  it('a holder whose clock passed the TTL (a frozen process waking up) is not active before any timer runs', async () => {
    const nc = await connect({ servers: server.url });
    connections.push(nc);
    let offset = 0;
    const lease = new EngineLease(
      { connection: () => nc },
      {
        group: 'frozen',
        ttlMs: TTL,
        preference: 'auto',
        replicas: 1,
        instance: 'sleeper',
        host: 'test-host',
        pid: process.pid,
        logger,
        now: () => performance.now() + offset
      }
    );
    leases.push(lease);
    lease.start();
    await waitFor(() => lease.isActive(), { message: 'sleeper leads' });
    expect(lease.epoch()).not.toBeNull();
    // As after SIGSTOP: the monotonic clock jumped past the lease, no timer has run yet.
    offset += TTL;
    expect(lease.isActive()).toBe(false);
    expect(lease.leaderlessMs()).toBeGreaterThanOrEqual(0);
  });

  it('steps down to a named instance and the observer never leads', async () => {
    const group = 'handoff';
    const a = await contender(group, 'one');
    await waitFor(() => a.lease.isActive(), { message: 'one leads' });
    const obs = await contender(group, 'watcher', 'observer');
    const b = await contender(group, 'two');
    const before = a.lease.epoch()!;
    await a.lease.stepDown('two');
    expect(a.lease.isActive()).toBe(false);
    b.lease.contendNow();
    await waitFor(() => b.lease.isActive(), { message: 'two took the hand-off' });
    expect(b.lease.epoch()!).toBeGreaterThan(before);
    expect(obs.lease.currentRole()).toBe('observer');
    const status = await readLeadershipStatus(b.nc, group, { ttlMs: TTL, replicas: 1 });
    expect(status.leader?.instance).toBe('two');
    await waitFor(
      async () =>
        (await readLeadershipStatus(b.nc, group, { ttlMs: TTL, replicas: 1 })).instances.find(
          (i) => i.instance === 'watcher'
        )?.role === 'observer',
      { message: 'observer listed' }
    );
  });

  it('a leader cut off for longer than its TTL fences itself, then resumes the same term when nobody wrote the lease', async () => {
    const group = 'resume';
    const a = await contender(group, 'alone');
    await waitFor(() => a.lease.isActive(), { message: 'alone leads' });
    const epoch = a.lease.epoch()!;
    (a.lease as unknown as { cut: () => void }).cut();
    await waitFor(() => !a.lease.isActive() && a.changes.some((c) => c.role === 'standby'), {
      message: 'alone fenced itself'
    });
    expect(a.lease.epoch()).toBeNull();
    await new Promise((r) => setTimeout(r, TTL));
    expect(a.lease.isActive()).toBe(false);
    (a.lease as unknown as { reconnect: () => void }).reconnect();
    await waitFor(() => a.lease.isActive(), { message: 'alone resumed' });
    expect(a.lease.epoch()).toBe(epoch);
    expect(a.lease.metrics.resumed).toBe(1);
    expect(a.changes.at(-1)).toMatchObject({ role: 'active', epoch });
    const status = await readLeadershipStatus(a.nc, group, { ttlMs: TTL, replicas: 1 });
    expect(status.leader).toMatchObject({ instance: 'alone', epoch });
  });

  it('after an outage both sides saw, the old leader resumes its term and the contender does not take over', async () => {
    const group = 'outage';
    const a = await contender(group, 'holder');
    await waitFor(() => a.lease.isActive(), { message: 'holder leads' });
    const epoch = a.lease.epoch()!;
    const b = await contender(group, 'waiting');
    await new Promise((r) => setTimeout(r, TTL / 2));
    // As while a cluster elects a new stream leader: neither can reach the lease for 2×TTL.
    (a.lease as unknown as { cut: () => void }).cut();
    (b.lease as unknown as { cut: () => void }).cut();
    await new Promise((r) => setTimeout(r, 2 * TTL));
    expect(a.lease.isActive()).toBe(false);
    // The contender comes back first; it has not watched the revision stand still with answers.
    (b.lease as unknown as { reconnect: () => void }).reconnect();
    await new Promise((r) => setTimeout(r, TTL / 5));
    (a.lease as unknown as { reconnect: () => void }).reconnect();
    await waitFor(() => a.lease.isActive(), { message: 'holder resumed' });
    expect(a.lease.epoch()).toBe(epoch);
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, TTL / 3));
      expect(b.lease.currentRole()).toBe('standby');
      expect(a.lease.epoch()).toBe(epoch);
    }
    expect(b.changes.some((c) => c.role === 'active')).toBe(false);
  });

  it('a fenced leader whose lease another contender took over does not resume it', async () => {
    const group = 'moved-on';
    const a = await contender(group, 'old');
    await waitFor(() => a.lease.isActive(), { message: 'old leads' });
    const epoch = a.lease.epoch()!;
    const b = await contender(group, 'new');
    await new Promise((r) => setTimeout(r, TTL / 2));
    (a.lease as unknown as { cut: () => void }).cut();
    await waitFor(() => b.lease.isActive(), { timeoutMs: 4 * TTL, message: 'new took over' });
    expect(b.lease.epoch()!).toBeGreaterThan(epoch);
    (a.lease as unknown as { reconnect: () => void }).reconnect();
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, TTL / 3));
      expect(a.lease.currentRole()).toBe('standby');
      expect(b.lease.isActive()).toBe(true);
    }
    expect(a.lease.metrics.resumed).toBe(0);
    expect(a.changes.filter((c) => c.role === 'active')).toHaveLength(1);
  });
});
