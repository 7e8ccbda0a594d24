/**
 * The Servers area on real nats-servers with a system account and a user account: the system
 * account path, the monitoring URL path, neither (with the hint), rates and history between
 * samples, the offline answer from SQLite, a 3-node cluster's routes, and the CLI's JSON and
 * Nagios exit codes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliSync } from '../harness/cli';
import { createTestCore } from '../harness/core';
import { startNatsCluster, startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir, waitFor } from '../harness/temp';

const ACCOUNTS = `
accounts {
  SYS: { users: [ { user: sys, password: syspass } ] }
  APP: { jetstream: enabled, users: [ { user: app, password: apppass } ] }
}
system_account: SYS
`;

describe('servers through the system account and the monitoring port', () => {
  let nats: NatsServerHandle;
  let monitorUrl: string;
  const clients: NatsConnection[] = [];

  beforeAll(async () => {
    nats = await startNatsServer({ config: ACCOUNTS, monitor: true });
    monitorUrl = nats.monitorUrl!;
  });
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await nats?.stop();
  });

  it('reads every server through the system account, with health, JetStream and connections', async () => {
    const core = createTestCore({ servers: [nats.url], overrides: { user: 'sys', password: 'syspass' } });
    await core.start();
    try {
      await core.api.invoke('connection.connect', {});
      // A client of the user account with many subscriptions, to find in the connections.
      const busy = await connect({ servers: nats.url, user: 'app', pass: 'apppass', name: 'busy-client' });
      clients.push(busy);
      for (let i = 0; i < 7; i++) busy.subscribe(`busy.${i}`);
      await busy.flush();

      const overview = await core.api.invoke('servers.overview', { refresh: true });
      expect(overview.source).toBe('system');
      expect(overview.hint).toBeNull();
      expect(overview.servers).toHaveLength(1);
      const [server] = overview.servers;
      expect(server!.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(server!.health.status).toBe('ok');
      expect(server!.jetstream).not.toBeNull();
      expect(server!.jetstream!.maxStorageBytes).toBeGreaterThan(0);
      expect(server!.connections).toBeGreaterThanOrEqual(2);

      const bySubs = await core.api.invoke('servers.connections', { sort: 'subs', limit: 10 });
      expect(bySubs.source).toBe('system');
      expect(bySubs.connections[0]!.name).toBe('busy-client');
      expect(bySubs.connections[0]!.subscriptions).toBe(7);
      expect(bySubs.connections[0]!.account).toBe('APP');
      expect(bySubs.total).toBeGreaterThanOrEqual(2);

      // Rates come from two samples; traffic between them shows up.
      for (let i = 0; i < 500; i++) busy.publish('busy.0', 'x');
      await busy.flush();
      const second = await core.api.invoke('servers.overview', { refresh: true });
      expect(second.servers[0]!.rates).not.toBeNull();
      expect(second.servers[0]!.rates!.inMsgs).toBeGreaterThan(0);
      const series = await core.api.invoke('servers.series', {});
      expect(series.samples.length).toBeGreaterThanOrEqual(2);
      expect(series.samples.at(-1)!.inMsgsPerSec).toBeGreaterThan(0);

      const ping = await core.api.invoke('servers.ping', {});
      expect(ping.servers).toHaveLength(1);
      expect(ping.servers[0]!.rttMs).toBeGreaterThan(0);
    } finally {
      await core.stop();
    }
  });

  it('a user of another account sees neither source and is told how to enable one', async () => {
    const core = createTestCore({ servers: [nats.url], overrides: { user: 'app', password: 'apppass' } });
    await core.start();
    try {
      await core.api.invoke('connection.connect', {});
      const overview = await core.api.invoke('servers.overview', { refresh: true });
      expect(overview.source).toBe('none');
      expect(overview.servers).toEqual([]);
      expect(overview.hint).toMatch(/system account/);
      expect(overview.hint).toMatch(/-m 8222/);
    } finally {
      await core.stop();
    }
  });

  it('falls back to the configured monitoring URL, and answers from the database once offline', async () => {
    const dataDir = tempDir();
    const core = createTestCore({
      dataDir,
      servers: [nats.url],
      overrides: { user: 'app', password: 'apppass', serverMonitorUrl: monitorUrl }
    });
    await core.start();
    try {
      await core.api.invoke('connection.connect', {});
      const overview = await core.api.invoke('servers.overview', { refresh: true });
      expect(overview.source).toBe('monitor');
      expect(overview.sourceLabel).toBe(monitorUrl);
      expect(overview.servers).toHaveLength(1);
      expect(overview.servers[0]!.health.status).toBe('ok');
      const conns = await core.api.invoke('servers.connections', { sort: 'cid', limit: 50 });
      expect(conns.source).toBe('monitor');
      expect(conns.connections.length).toBeGreaterThanOrEqual(1);
    } finally {
      await core.stop();
    }

    // The server goes away: a new core on the same data directory answers the last sample, cached.
    const wasId = (await (async () => {
      const c = createTestCore({ dataDir, servers: [nats.url], overrides: { user: 'app', password: 'apppass' } });
      await c.start();
      try {
        return (await c.api.invoke('servers.series', {})).samples.at(-1)?.serverId;
      } finally {
        await c.stop();
      }
    })())!;
    await nats.kill9();
    try {
      const offline = createTestCore({ dataDir, servers: [nats.url], overrides: { serverMonitorUrl: monitorUrl } });
      await offline.start();
      try {
        const cached = await offline.api.invoke('servers.overview', { refresh: true });
        expect(cached.cached).toBe(true);
        expect(cached.servers.map((s) => s.id)).toEqual([wasId]);
        expect(cached.hint).toMatch(/monitoring URL/);
      } finally {
        await offline.stop();
      }
    } finally {
      await nats.restart();
    }
  });

  it('fires server.jetstream_storage from the sampled servers of a running core', async () => {
    const dataDir = tempDir();
    fs.writeFileSync(
      path.join(dataDir, 'config.json'),
      JSON.stringify({
        monitoring: { serverSampleIntervalMs: 1000 },
        // Any use is at least 0 % of the limit: a zero threshold fires on a real server.
        alerts: {
          evaluateIntervalMs: 200,
          rules: { 'server.jetstream_storage': { threshold: 0, criticalThreshold: null } }
        }
      })
    );
    const core = createTestCore({
      dataDir,
      servers: [nats.url],
      autoConnect: true,
      overrides: { user: 'sys', password: 'syspass', provision: false }
    });
    await core.start();
    try {
      const alert = await waitFor(
        async () =>
          (await core.api.invoke('alerts.list', { rule: 'server.jetstream_storage' })).alerts.find(
            (a) => a.state === 'firing'
          ),
        { timeoutMs: 20_000, message: 'server.jetstream_storage firing' }
      );
      expect(alert.severity).toBe('WARNING');
      expect(alert.message).toMatch(/JetStream storage/);
    } finally {
      await core.stop();
    }
  });

  it('synos-cc server ls/check/connz speak JSON and Nagios exit codes', async () => {
    const data = tempDir();
    const base = ['--data', data, '--nats', nats.url, '--user', 'sys', '--password', 'syspass'];
    const ls = runCliSync([...base, 'server', 'ls', '--json']);
    expect(ls.code, ls.stderr).toBe(0);
    const parsed = JSON.parse(ls.stdout) as { source: string; servers: Array<{ version: string }> };
    expect(parsed.source).toBe('system');
    expect(parsed.servers).toHaveLength(1);

    const ok = runCliSync([...base, 'server', 'check']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^OK 1 server healthy \|/);

    // Any storage use is at least 0 %: a critical threshold of 0 must trip.
    const crit = runCliSync([...base, 'server', 'check', '--js-storage-warn', '0', '--js-storage-crit', '0']);
    expect(crit.code).toBe(2);
    expect(crit.stdout).toMatch(/^CRITICAL .*JetStream storage/);

    const expect3 = runCliSync([...base, 'server', 'check', '--expect', '3']);
    expect(expect3.code).toBe(2);
    expect(expect3.stdout).toMatch(/1 server answered, expected 3/);

    const none = runCliSync([
      '--data',
      data,
      '--nats',
      nats.url,
      '--user',
      'app',
      '--password',
      'apppass',
      'server',
      'check'
    ]);
    expect(none.code).toBe(3);
    expect(none.stdout).toMatch(/^UNKNOWN .*system account/);

    const viaMonitor = runCliSync([
      '--data',
      data,
      '--nats',
      nats.url,
      '--user',
      'app',
      '--password',
      'apppass',
      'server',
      '--monitor-url',
      monitorUrl,
      'connz',
      '--json'
    ]);
    expect(viaMonitor.code, viaMonitor.stderr).toBe(0);
    expect((JSON.parse(viaMonitor.stdout) as { source: string }).source).toBe('monitor');

    const badUrl = runCliSync([...base, 'server', '--monitor-url', 'ftp://x', 'ls']);
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toMatch(/--monitor-url: .*http\(s\) URL/);
  });
});

describe('servers of a 3-node cluster through the system account', () => {
  const nodes: NatsServerHandle[] = [];
  beforeAll(async () => {
    const cluster = await startNatsCluster(3, {
      config: ACCOUNTS,
      namePrefix: 'srv',
      clusterPrefix: 'servers-test',
      waitJetStream: false
    });
    nodes.push(...cluster.nodes);
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  });

  it('every node answers, each with routes to the two others, and the cluster name', async () => {
    const core = createTestCore({ servers: [nodes[0]!.url], overrides: { user: 'sys', password: 'syspass' } });
    await core.start();
    try {
      await core.api.invoke('connection.connect', {});
      const overview = await waitFor(
        async () => {
          const o = await core.api.invoke('servers.overview', { refresh: true });
          return o.servers.length === 3 && o.servers.every((s) => s.routes.length >= 2) ? o : null;
        },
        { timeoutMs: 20_000, message: 'three servers with their routes' }
      );
      const ids = new Set(overview.servers.map((s) => s.id));
      for (const s of overview.servers) {
        expect(s.cluster).toMatch(/^servers-test-/);
        for (const r of s.routes) expect(ids.has(r.remoteId)).toBe(true);
      }
      expect(overview.servers.map((s) => s.name).sort()).toEqual(nodes.map((n, i) => `srv${i + 1}-${n.port}`).sort());
    } finally {
      await core.stop();
    }
  });
});
