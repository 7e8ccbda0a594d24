import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore } from '../harness/core';
import { startNatsCluster, type NatsClusterHandle } from '../harness/nats-server';
import { useServerAndCore } from '../harness/server-and-core';
import { usePrivateCli } from '../harness/private-cli';
import { tempDir, waitFor } from '../harness/temp';
import { bridgeInboundDurables } from '../harness/bridge-durables';

const enc = new TextEncoder();

describe('stream inspection on a single server', () => {
  // A build of its own: a shared out/cli rebuilt here raced the tests that run it meanwhile.
  const cli = usePrivateCli();
  const env = useServerAndCore({
    core: { overrides: { provision: false } },
    async prepare({ nc, js, jsm }) {
      // Not a Syn_OS stream: inspection works on anything on the server.
      await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'], max_msgs: 100, max_bytes: 100_000 });
      for (let i = 0; i < 25; i++) await js.publish(i < 15 ? 'orders.new' : 'orders.cancel', enc.encode(`order ${i}`));
      await jsm.consumers.add('ORDERS', {
        durable_name: 'proc',
        filter_subject: 'orders.new',
        ack_policy: 'explicit' as never,
        ack_wait: 60e9
      });
      const consumer = await js.consumers.get('ORDERS', 'proc');
      const batch = await consumer.fetch({ max_messages: 5, expires: 2000 });
      let n = 0;
      for await (const m of batch) {
        if (n++ < 3) m.ack();
        if (n === 5) break;
      }
      await nc.flush();
    }
  });

  it('lists streams with state and usage, and shows one stream in detail', async () => {
    const list = await env.core.api.invoke('streams.list', {});
    expect(list.cached).toBe(false);
    const orders = list.streams.find((s) => s.name === 'ORDERS')!;
    expect(orders).toMatchObject({
      messages: 25,
      firstSeq: 1,
      lastSeq: 25,
      consumerCount: 1,
      maxMsgs: 100,
      usageMsgs: 0.25,
      storage: 'file',
      retention: 'limits'
    });
    expect(orders.usageBytes).toBeCloseTo(orders.bytes / 100_000, 10);
    expect(Date.parse(orders.lastTime!)).toBeGreaterThanOrEqual(Date.parse(orders.firstTime!));

    const info = await env.core.api.invoke('streams.info', { stream: 'ORDERS' });
    expect(info.config.max_msgs).toBe(100);
    expect(info.state.messages).toBe(25);
    expect(info.cluster).toBeNull();
    const missing = await env.core.api.call('streams.info', { stream: 'NOPE' });
    expect(missing.ok ? null : missing.error.code).toBe('NOT_FOUND');
  });

  it('lists consumers with pending, ack pending, floors and activity', async () => {
    const { consumers } = await env.core.api.invoke('consumers.list', { stream: 'ORDERS' });
    expect(consumers).toHaveLength(1);
    const proc = consumers[0]!;
    expect(proc).toMatchObject({
      name: 'proc',
      durable: true,
      filter: 'orders.new',
      pull: true,
      ackPolicy: 'explicit',
      numPending: 10,
      numAckPending: 2
    });
    expect(proc.delivered.streamSeq).toBe(5);
    expect(proc.ackFloor.streamSeq).toBe(3);
    expect(proc.lastActive).not.toBeNull();
    expect(proc.ackWaitMs).toBe(60_000);
  });

  it('purge and delete need confirm: true; purge by subject removes only that subject', async () => {
    const noConfirm = await env.core.api.call('streams.purge', { stream: 'ORDERS', subject: 'orders.cancel' });
    expect(noConfirm.ok ? null : noConfirm.error.code).toBe('INVALID_INPUT');
    const falseConfirm = await env.core.api.call('streams.purge', { stream: 'ORDERS', confirm: false });
    expect(falseConfirm.ok ? null : falseConfirm.error.message).toMatch(/confirm/);
    expect((await env.jsm.streams.info('ORDERS')).state.messages).toBe(25);

    const purged = await env.core.api.invoke('streams.purge', {
      stream: 'ORDERS',
      subject: 'orders.cancel',
      confirm: true
    });
    expect(purged.purged).toBe(10);
    const after = await env.jsm.streams.info('ORDERS');
    expect(after.state.messages).toBe(15);
    expect(after.state.last_seq).toBe(25);

    const noConfirmDelete = await env.core.api.call('streams.deleteMessage', { stream: 'ORDERS', seq: 7 });
    expect(noConfirmDelete.ok ? null : noConfirmDelete.error.code).toBe('INVALID_INPUT');
    const deleted = await env.core.api.invoke('streams.deleteMessage', { stream: 'ORDERS', seq: 7, confirm: true });
    expect(deleted.deleted).toBe(true);
    expect(await env.jsm.streams.getMessage('ORDERS', { seq: 7 })).toBeNull();
    const again = await env.core.api.call('streams.deleteMessage', { stream: 'ORDERS', seq: 7, confirm: true });
    expect(again.ok).toBe(false);
    expect((await env.jsm.streams.info('ORDERS')).state.messages).toBe(14);
  });

  it('CLI: streams, streams info, consumers and view with --json; purge refuses without --force', async () => {
    const base = ['--nats', env.server.url, '--data', tempDir()];
    const ls = cli.run([...base, 'streams', '--json']);
    expect(ls.code, ls.stderr).toBe(0);
    const list = JSON.parse(ls.stdout) as { cached: boolean; streams: Array<{ name: string }> };
    expect(list.cached).toBe(false);
    expect(list.streams.map((s) => s.name)).toContain('ORDERS');
    const table = cli.run([...base, 'streams']);
    expect(table.stdout).toMatch(/^NAME\s+STORAGE/m);
    expect(table.stdout).toMatch(/^ORDERS\s+file/m);

    const info = cli.run([...base, 'streams', 'info', 'ORDERS']);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/Max messages: 100/);
    const infoJson = JSON.parse(cli.run([...base, 'streams', 'info', 'ORDERS', '--json']).stdout) as {
      stream: { name: string };
    };
    expect(infoJson.stream.name).toBe('ORDERS');
    const unknown = cli.run([...base, 'streams', 'info', 'NOPE']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/NOT_FOUND/);

    const consumers = cli.run([...base, 'consumers', 'ORDERS']);
    expect(consumers.code, consumers.stderr).toBe(0);
    // 10 pending minus message 7, deleted by the test before.
    expect(consumers.stdout).toMatch(/^proc\s+orders\.new\s+yes\s+9\s+2/m);

    const view = cli.run([...base, 'view', 'ORDERS', '--last', '2', '--json']);
    expect(view.code, view.stderr).toBe(0);
    const page = JSON.parse(view.stdout) as { messages: Array<{ seq: number }> };
    expect(page.messages.map((m) => m.seq)).toEqual([14, 15]);
    const text = cli.run([...base, 'view', 'ORDERS', '--seq', '2', '--limit', '1']);
    expect(text.stdout).toMatch(/^\[2\] \S+ orders\.new \(7 B\)\norder 1$/m);
    const both = cli.run([...base, 'view', 'ORDERS', '--seq', '2', '--last', '3']);
    expect(both.code).toBe(2);

    const refused = cli.run([...base, 'streams', 'purge', 'ORDERS'], { input: '' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--force/);
    expect((await env.jsm.streams.info('ORDERS')).state.messages).toBe(14);
    const rm = cli.run([...base, 'streams', 'rm-msg', 'ORDERS', '2', '--force']);
    expect(rm.code, rm.stderr).toBe(0);
    const forced = cli.run([...base, 'streams', 'purge', 'ORDERS', '--subject', 'orders.new', '--force', '--json']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toEqual({ stream: 'ORDERS', purged: 13 });
  });
});

describe('stream inspection on a 3-node cluster', () => {
  let cluster: NatsClusterHandle;
  beforeAll(async () => {
    cluster = await startNatsCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('shows the leader and the replicas of an R3 stream, and provisions with replicas 3', async () => {
    const core = createTestCore({ servers: cluster.urls, overrides: { provision: false } });
    await core.start();
    try {
      await core.api.invoke('connection.connect', {});
      // JetStream elects its meta leader a moment after the routes form; provisioning retries until it can.
      const report = await waitFor(
        async () => {
          const r = await core.api.invoke('streams.provision', { replicas: 3 });
          return r.summary.failed === 0 ? r : null;
        },
        { timeoutMs: 30_000, intervalMs: 500, message: 'R3 provisioning on the cluster' }
      );
      // Nine streams and consumers besides the bridge's inbound durables (one per family on 2.9, one filtered on >= 2.10).
      expect(report.summary.created + report.summary.unchanged).toBe(9 + bridgeInboundDurables().length);
      const detail = await waitFor(
        async () => {
          const d = await core.api.invoke('streams.info', { stream: 'SECURITY_EVENTS' });
          return d.cluster?.leader && d.cluster.replicas.length === 2 ? d : null;
        },
        { timeoutMs: 20_000, intervalMs: 250, message: 'a leader and two replicas' }
      );
      expect(detail.stream.replicas).toBe(3);
      const names = [detail.cluster!.leader!, ...detail.cluster!.replicas.map((r) => r.name)].sort();
      expect(names).toHaveLength(3);
      expect(new Set(names).size).toBe(3);
      for (const name of names) expect(name).toMatch(/^n[123]-\d+$/);
      expect(detail.stream.leader).toBe(detail.cluster!.leader);
      const list = await core.api.invoke('streams.list', {});
      expect(list.streams.find((s) => s.name === 'SECURITY_EVENTS')?.leader).toBe(detail.cluster!.leader);
      const drift = await core.api.invoke('streams.drift', { replicas: 3 });
      expect(drift.inSync).toBe(true);
      const r1 = await core.api.invoke('streams.drift', { replicas: 1 });
      expect(r1.streams.find((s) => s.name === 'SECURITY_EVENTS')?.differences).toContainEqual(
        expect.objectContaining({ field: 'num_replicas', want: 1, have: 3 })
      );
    } finally {
      await core.stop();
    }
  });
});
