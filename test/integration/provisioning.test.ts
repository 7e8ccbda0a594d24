import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_FILTERS, desiredConsumers, desiredStreams } from '../../main/nats/topology/topology';
import { bridgeDurableFor, serverHasMultiFilter } from '../harness/bridge-durables';
import { usePrivateCli } from '../harness/private-cli';
import { createTestCore } from '../harness/core';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir, waitFor } from '../harness/temp';

const STREAMS = desiredStreams().map((s) => s.name);
// The bridge's inbound durables take the shape of the server under test (one filtered durable on ≥ 2.10).
const CONSUMERS = desiredConsumers({ multiFilter: serverHasMultiFilter() }).map((c) => `${c.stream}/${c.durable_name}`);
/** Only the areas under test: other areas are built by other work in progress. */

describe('provisioning the Syn_OS topology against a real nats-server', () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  // The CLI part runs the bundled binary, built from the current sources for this file alone.
  const built = usePrivateCli();
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('creates every stream and consumer on connect, then reports everything unchanged', async () => {
    const core = createTestCore({ servers: [server.url] });
    await core.start();
    try {
      const provisioned: string[] = [];
      core.api.subscribe('streams.provisioned', (r) => provisioned.push(r.mode));
      await core.api.invoke('connection.connect', {});
      const service = core.app.operations.provisioning;
      const first = await service.ensure();
      expect(first?.mode).toBe('apply');
      expect(first?.streams.map((s) => [s.name, s.status])).toEqual(STREAMS.map((n) => [n, 'created']));
      expect(first?.consumers.map((c) => [c.name, c.status])).toEqual(CONSUMERS.map((n) => [n, 'created']));
      // Memoised per connection: the same run, not a second one.
      expect(await service.ensure()).toBe(first);
      await waitFor(() => provisioned.length === 1, { message: 'the provisioned event' });

      const jsm = await jetstreamManager(nc);
      const ce = await jsm.streams.info('CONSCIOUSNESS_EVENTS');
      expect(ce.config.max_msgs).toBe(50_000);
      expect(ce.config.max_bytes).toBe(512 * 1024 * 1024);
      expect(ce.config.max_age).toBe(24 * 3600 * 1e9);
      expect(ce.config.duplicate_window).toBe(120 * 1e9);
      expect((await jsm.streams.info('PRIORITY_EVENTS')).config.storage).toBe('memory');
      const bridge = await jsm.consumers.info('ORCHESTRATOR_EVENTS', bridgeDurableFor('orchestrator.service.health'));
      if (serverHasMultiFilter()) {
        expect([...(bridge.config.filter_subjects ?? [])].sort()).toEqual([...BRIDGE_FILTERS].sort());
        expect(first?.bridgeConsumers).toMatchObject({ shape: 'filtered', durables: ['consciousness_bridge'] });
      } else {
        expect(bridge.config.filter_subject).toBe('orchestrator.service.>');
        expect(first?.bridgeConsumers?.shape).toBe('per-family');
      }
      expect(bridge.config.ack_policy).toBe('explicit');

      const second = await core.api.invoke('streams.provision', {});
      expect(second.summary).toMatchObject({
        created: 0,
        updated: 0,
        blocked: 0,
        failed: 0,
        unchanged: STREAMS.length + CONSUMERS.length
      });
      expect(second.inSync).toBe(true);
      const drift = await core.api.invoke('streams.drift', {});
      expect(drift.mode).toBe('check');
      expect(drift.inSync).toBe(true);
    } finally {
      await core.stop();
    }
  });

  it('--check reports out-of-band changes field by field and exits 1; provision repairs them', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.update('CONSCIOUSNESS_EVENTS', { max_msgs: 49_999 });
    await jsm.consumers.update('SECURITY_EVENTS', 'security_dashboard', { max_deliver: 3 });

    const data = tempDir();
    const check = built.run(['--nats', server.url, '--data', data, 'provision', '--check']);
    expect(check.code, check.stderr).toBe(1);
    expect(check.stdout).toContain('CONSCIOUSNESS_EVENTS.max_msgs: want 50000, have 49999');
    expect(check.stdout).toContain('SECURITY_EVENTS/security_dashboard.max_deliver: want 10, have 3');
    // --check changed nothing.
    expect((await jsm.streams.info('CONSCIOUSNESS_EVENTS')).config.max_msgs).toBe(49_999);

    const json = built.run(['--nats', server.url, '--data', data, 'provision', '--check', '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { streams: Array<{ name: string; status: string }> };
    expect(report.streams.find((s) => s.name === 'CONSCIOUSNESS_EVENTS')?.status).toBe('drift');

    const apply = built.run(['--nats', server.url, '--data', data, 'provision']);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/CONSCIOUSNESS_EVENTS\s+updated/);
    expect((await jsm.streams.info('CONSCIOUSNESS_EVENTS')).config.max_msgs).toBe(50_000);
    expect((await jsm.consumers.info('SECURITY_EVENTS', 'security_dashboard')).config.max_deliver).toBe(10);

    const clean = built.run(['--nats', server.url, '--data', data, 'provision', '--check']);
    expect(clean.code, clean.stdout).toBe(0);
    expect(clean.stdout).toMatch(/no drift/);
  });

  it('reports a storage-type difference as blocked and never deletes the stream', async () => {
    const own = await startNatsServer();
    const raw = await connect({ servers: own.url });
    try {
      const jsm = await jetstreamManager(raw);
      // Someone created HEALTH_METRICS as a memory stream, with a message in it and a wrong limit.
      await jsm.streams.add({
        name: 'HEALTH_METRICS',
        subjects: ['health.>', 'metrics.>'],
        storage: 'memory' as never,
        max_msgs: 7
      });
      await raw.request('health.test', new TextEncoder().encode('{"keep":"me"}'));
      const before = await jsm.streams.info('HEALTH_METRICS');

      const core = createTestCore({ servers: [own.url], overrides: { provision: false } });
      await core.start();
      try {
        await core.api.invoke('connection.connect', {});
        expect(await core.app.operations.provisioning.ensure()).toBeNull();
        const check = await core.api.invoke('streams.drift', {});
        const hm = check.streams.find((s) => s.name === 'HEALTH_METRICS')!;
        expect(hm.status).toBe('blocked');
        expect(hm.differences.find((d) => d.field === 'storage')).toMatchObject({
          want: 'file',
          have: 'memory',
          blocked: true
        });

        const applied = await core.api.invoke('streams.provision', {});
        const after = applied.streams.find((s) => s.name === 'HEALTH_METRICS')!;
        expect(after.status).toBe('blocked');
        expect(applied.inSync).toBe(false);
        const info = await jsm.streams.info('HEALTH_METRICS');
        // Same stream (created time), same message, still memory; the fixable limit was applied.
        expect(info.created).toBe(before.created);
        expect(info.state.messages).toBe(1);
        expect(info.config.storage).toBe('memory');
        expect(info.config.max_msgs).toBe(500_000);
        expect(applied.consumers.find((c) => c.name === 'HEALTH_METRICS/health_monitor')?.status).toBe('created');
        const notices = await core.api.invoke('system.notices', {});
        expect(notices.some((n) => n.code === 'provisioning.blocked')).toBe(true);
      } finally {
        await core.stop();
      }

      const cli = built.run(['--nats', own.url, '--data', tempDir(), 'provision']);
      expect(cli.code).toBe(1);
      expect(cli.stdout).toContain('HEALTH_METRICS.storage: want file, have memory (blocked:');
      expect((await jsm.streams.info('HEALTH_METRICS')).created).toBe(before.created);
    } finally {
      await raw.close();
      await own.stop();
    }
  });
});
