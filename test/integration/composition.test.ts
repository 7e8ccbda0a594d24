/**
 * The composition root (main/app): every area is built from the kernel with typed parameters, in
 * dependency order; a core whose start fails stops what already started and closes its database;
 * the engine bridge refuses to be built without the outbox publisher.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../main/app/create-core';
import { ConsciousnessBridge } from '../../main/bridge/bridge';
import type { OutboundPublisher } from '../../main/core/outbound';
import { createTestCore } from '../harness/core';

const cores: Core[] = [];
afterEach(async () => {
  for (const core of cores.splice(0)) await core.stop();
});

describe('the composition root', () => {
  it('builds every area in dependency order and hands each its parts, the outbox above all', () => {
    const core = createTestCore();
    cores.push(core);
    expect(core.app.modules.map((m) => m.name)).toEqual([
      'system',
      'connection',
      'operations',
      'kv',
      'objects',
      'durability',
      'recordings',
      'messaging',
      'servers',
      'leadership',
      'engine',
      'overview',
      'micro',
      'monitoring',
      'bench'
    ]);
    // The contract is fully served by this one composition.
    expect(core.unservedMethods).toEqual([]);
    // The bridge publishes through the durability area's outbox, nothing else.
    expect(core.app.engine.bridge.status().outbound.publisher).toBe('OutboxPublisher');
    // A one-shot core (autoConnect off) takes no part in the engine lease: typed null, not missing.
    expect(core.app.leadership.lease).toBeNull();
  });

  it('refuses to build the engine bridge without the outbox publisher, saying what is missing', () => {
    const core = createTestCore();
    cores.push(core);
    expect(
      () =>
        new ConsciousnessBridge(
          core.context,
          { publisher: undefined as unknown as OutboundPublisher, provisioning: null },
          {}
        )
    ).toThrow(/needs the outbox publisher/);
  });

  it('stops the areas that started, in reverse, and closes the database when one fails to start', async () => {
    // The metrics port is taken: the monitoring area (late in the order) cannot start.
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const core = createTestCore({ overrides: { metricsPort: port } });
      const stopped: string[] = [];
      for (const mod of core.app.modules) {
        const stop = mod.stop?.bind(mod);
        (mod as { stop?: () => Promise<void> | void }).stop = async () => {
          stopped.push(mod.name);
          await stop?.();
        };
      }
      await expect(core.start()).rejects.toThrow(new RegExp(`${port}`));
      expect(stopped).toEqual([
        'micro',
        'overview',
        'engine',
        'leadership',
        'servers',
        'messaging',
        'recordings',
        'durability',
        'objects',
        'kv',
        'operations',
        'connection',
        'system'
      ]);
      expect(core.context.db.open).toBe(false);
      // stop() after a failed start has nothing left to do.
      await core.stop();
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
