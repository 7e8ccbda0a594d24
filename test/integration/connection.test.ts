import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore } from '../harness/core';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { waitFor } from '../harness/temp';

describe('connection manager against a real nats-server', () => {
  let server: NatsServerHandle;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('connects, reports server info, survives a kill -9 and reconnects on restart', async () => {
    const core = createTestCore({ servers: [server.url] });
    await core.start();
    try {
      const states: string[] = [];
      core.api.subscribe('connection.state', (s) => states.push(s.state));
      const status = await core.api.invoke('connection.connect', {});
      expect(status.state).toBe('connected');
      expect(status.serverInfo?.jetstream).toBe(true);
      expect(status.serverInfo?.version).toMatch(/^\d+\.\d+\.\d+/);
      const info = await core.api.invoke('system.info', {});
      expect(info.server?.port).toBe(server.port);
      // The round-trip probe pings the live connection at once and reports into the status.
      const { rttMs } = await waitFor(
        () => {
          const s = core.context.nats.status();
          return s.rttMs !== null ? { rttMs: s.rttMs } : null;
        },
        { timeoutMs: 10_000, message: 'a round trip in the status' }
      );
      expect(rttMs).toBeGreaterThanOrEqual(0);

      await server.kill9();
      const down = await waitFor(
        () => {
          const s = core.context.nats.status();
          return s.state !== 'connected' ? s : null;
        },
        { timeoutMs: 5000, message: 'disconnect to be noticed' }
      );
      expect(down.offlineSince).not.toBeNull();

      await server.restart();
      await waitFor(() => core.context.nats.status().state === 'connected', {
        timeoutMs: 20_000,
        message: 'reconnect'
      });
      expect(states).toContain('reconnecting');
      expect(core.context.nats.status().offlineSince).toBeNull();
    } finally {
      await core.stop();
    }
  });

  it('reports an unreachable server as NATS_UNREACHABLE after the first attempt, without hanging', async () => {
    const core = createTestCore({ servers: ['nats://127.0.0.1:1'] });
    await core.start();
    try {
      const status = await core.api.invoke('connection.connect', {});
      expect(status.state).toBe('disconnected');
      expect(status.lastError?.code).toBe('NATS_UNREACHABLE');
      expect(status.hint).toMatch(/nats-server/);
      const outcome = await core.api.call('connection.disconnect', {});
      expect(outcome.ok).toBe(true);
      expect(core.context.nats.status().state).toBe('offline');
    } finally {
      await core.stop();
    }
  });
});
