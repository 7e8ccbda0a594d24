import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/core/logger';
import { ConnectionManager } from '../../main/nats/connection/connection';
import { freePort } from '../../main/nats/embedded/embedded';
import { tempDir } from '../harness/temp';
import { natsServerBinary } from '../harness/nats-server';

describe('embedded default nats-server', () => {
  it('starts a managed nats-server when nothing answers at the default URL, and stops it with the app', async () => {
    natsServerBinary();
    const port = await freePort();
    const dataDir = tempDir();
    const manager = new ConnectionManager({
      nats: {
        servers: [`nats://127.0.0.1:${port}`],
        explicit: false,
        name: 'test',
        auth: {},
        tls: null,
        connectTimeoutMs: 2000
      },
      embedded: { enabled: true, binary: natsServerBinary(), dataDir },
      logger: silentLogger
    });
    const status = await manager.connect();
    try {
      expect(status.state).toBe('connected');
      expect(status.embedded).toMatchObject({ url: `nats://127.0.0.1:${port}` });
      expect(status.serverInfo?.jetstream).toBe(true);
      expect(fs.existsSync(status.embedded!.storeDir)).toBe(true);
      const pid = status.embedded!.pid;
      await manager.stop();
      expect(() => process.kill(pid, 0)).toThrow();
    } finally {
      await manager.stop();
    }
  });

  it('runs offline with an install hint when the nats-server binary is missing', async () => {
    const port = await freePort();
    const manager = new ConnectionManager({
      nats: {
        servers: [`nats://127.0.0.1:${port}`],
        explicit: false,
        name: 'test',
        auth: {},
        tls: null,
        connectTimeoutMs: 1000
      },
      embedded: { enabled: true, binary: 'nats-server-that-does-not-exist', dataDir: tempDir() },
      logger: silentLogger
    });
    try {
      const status = await manager.connect();
      expect(status.state).toBe('disconnected');
      expect(status.lastError?.code).toBe('NATS_UNREACHABLE');
      expect(status.hint).toMatch(/apt-get install nats-server/);
    } finally {
      await manager.stop();
    }
  });
});
