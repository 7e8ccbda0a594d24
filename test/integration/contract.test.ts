/**
 * One contract suite, run over every transport: in-memory, the real WebSocket server, and the
 * Electron IPC plumbing with a fake ipcMain/webContents. Same client, same expectations.
 */
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type ClientLink, type SynosClient } from '../../main/contract/client';
import {
  ContractError,
  IPC_CALL_CHANNEL,
  IPC_EVENTS_CHANNEL,
  type CallResult,
  type ConnectionStatus,
  type EventBatch
} from '../../main/contract';
import { createWebSocketLink, type WebSocketLike } from '../../main/contract/ws-link';
import type { Core } from '../../main/app/create-core';
import { silentLogger } from '../../main/core/logger';
import {
  registerIpcTransport,
  type IpcMainInvokeEventLike,
  type IpcMainLike,
  type WebContentsLike
} from '../../main/transport/ipc';
import { APP_INDEX_URL, isTrustedRendererUrl } from '../../main/desktop/renderer-source';
import { createMemoryLink } from '../../main/transport/memory';
import { startWebServer, type WebServer } from '../../main/transport/web-server';
import { createTestCore } from '../harness/core';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir, waitFor } from '../harness/temp';

/** A stand-in for Electron's ipcMain + one webContents, wired like the real ones. */
class FakeElectron {
  handler: ((event: IpcMainInvokeEventLike, ...args: unknown[]) => Promise<unknown>) | null = null;
  private readonly eventListeners = new Set<(batch: EventBatch) => void>();
  private destroyedListeners: Array<() => void> = [];
  destroyed = false;
  frameUrl = 'app://synos/index.html';
  frameParent: { url: string; parent: null } | null = null;

  readonly ipcMain: IpcMainLike = {
    handle: (channel, listener) => {
      expect(channel).toBe(IPC_CALL_CHANNEL);
      this.handler = listener;
    },
    removeHandler: () => {
      this.handler = null;
    }
  };

  readonly contents: WebContentsLike = {
    id: 1,
    send: (channel, batch) => {
      expect(channel).toBe(IPC_EVENTS_CHANNEL);
      // Electron serialises with structured clone.
      const copy = structuredClone(batch) as EventBatch;
      for (const l of this.eventListeners) l(copy);
    },
    isDestroyed: () => this.destroyed,
    once: (_event, listener) => {
      this.destroyedListeners.push(listener);
    },
    on: () => undefined
  };

  destroy(): void {
    this.destroyed = true;
    for (const l of this.destroyedListeners) l();
  }

  /** What the preload does: invoke the one channel, listen to the events channel. */
  link(): ClientLink {
    return {
      request: async (method, input) => {
        if (!this.handler) throw new Error('no IPC handler registered');
        const event: IpcMainInvokeEventLike = {
          sender: this.contents,
          senderFrame: { url: this.frameUrl, parent: this.frameParent }
        };
        const result = (await this.handler(event, structuredClone({ method, input }))) as CallResult;
        return result.ok ? { ok: true, value: result.value } : { ok: false, error: result.error };
      },
      onEvents: (listener) => {
        this.eventListeners.add(listener);
        return () => this.eventListeners.delete(listener);
      }
    };
  }
}

function wsLink(server: WebServer, token: string): ClientLink {
  return createWebSocketLink({
    createSocket: () =>
      new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${token}`, {
        headers: { Origin: server.url }
      }) as unknown as WebSocketLike,
    reconnect: false
  });
}

interface TransportFixture {
  name: string;
  setup(core: Core): Promise<{ client: SynosClient; teardown: () => Promise<void> }>;
}

const transports: TransportFixture[] = [
  {
    name: 'in-memory',
    async setup(core) {
      const client = createClient(createMemoryLink(core.api, 20));
      return { client, teardown: async () => client.close() };
    }
  },
  {
    name: 'WebSocket (web mode)',
    async setup(core) {
      const server = await startWebServer({ api: core.api, logger: silentLogger, staticDir: tempDir() });
      const client = createClient(wsLink(server, server.token));
      return {
        client,
        teardown: async () => {
          client.close();
          await server.close();
        }
      };
    }
  },
  {
    name: 'Electron IPC (fake ipcMain/webContents)',
    async setup(core) {
      const fake = new FakeElectron();
      const registration = registerIpcTransport({
        ipcMain: fake.ipcMain,
        api: core.api,
        logger: silentLogger,
        isTrustedUrl: (url) => url === fake.frameUrl
      });
      const client = createClient(fake.link());
      return {
        client,
        teardown: async () => {
          client.close();
          registration.dispose();
        }
      };
    }
  }
];

describe.each(transports)('contract over $name', (transport) => {
  let nats: NatsServerHandle;
  let core: Core;
  let client: SynosClient;
  let teardown: () => Promise<void>;

  beforeAll(async () => {
    nats = await startNatsServer();
    core = createTestCore({ servers: [nats.url] });
    await core.start();
    ({ client, teardown } = await transport.setup(core));
  });

  afterAll(async () => {
    await teardown?.();
    await core?.stop();
    await nats?.stop();
  });

  it('system.info answers with the version and the data directory', async () => {
    const info = await client.call('system.info');
    expect(info.appVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.dataDir).toBe(core.context.config.dataDir);
    expect(info.databasePath.endsWith('synos.db')).toBe(true);
  });

  it('connection.connect connects, and server info appears in system.info', async () => {
    const status = await client.call('connection.connect', { servers: [nats.url] });
    expect(status.state).toBe('connected');
    expect((await client.call('connection.status')).serverInfo?.port).toBe(nats.port);
    expect((await client.call('system.info')).server?.port).toBe(nats.port);
  });

  it('invalid input is a typed INVALID_INPUT error naming the field', async () => {
    const bad = client.call('connection.connect', { servers: ['http://example.com'] });
    await expect(bad).rejects.toBeInstanceOf(ContractError);
    await expect(bad).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('servers.0') });
    await expect(
      (client.call as (m: string, i: unknown) => Promise<unknown>)('connection.status', { extra: true })
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(
      (client.call as (m: string, i: unknown) => Promise<unknown>)('events.subscribe', {
        channels: ['no.such.channel']
      })
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('an unknown method is UNKNOWN_METHOD, not a crash', async () => {
    await expect((client.call as (m: string) => Promise<unknown>)('no.such.method')).rejects.toMatchObject({
      code: 'UNKNOWN_METHOD'
    });
  });

  it('pushes connection state changes in batches to subscribers', async () => {
    const seen: ConnectionStatus[] = [];
    const off = client.subscribe('connection.state', (payloads) => seen.push(...payloads));
    // Let the subscription reach the core before changing state.
    await client.call('connection.status');
    await waitFor(async () => {
      await client.call('connection.status');
      return true;
    });
    await client.call('connection.disconnect');
    await waitFor(() => seen.some((s) => s.state === 'offline'), { message: 'offline event' });
    await client.call('connection.connect');
    await waitFor(() => seen.some((s) => s.state === 'connected'), { message: 'connected event' });
    off();
  });
});

describe('Electron IPC sender checks', () => {
  it('refuses calls from an untrusted origin or from a subframe, with FORBIDDEN', async () => {
    const core = createTestCore();
    await core.start();
    const fake = new FakeElectron();
    const registration = registerIpcTransport({
      ipcMain: fake.ipcMain,
      api: core.api,
      logger: silentLogger,
      isTrustedUrl: (url) => isTrustedRendererUrl(url, APP_INDEX_URL)
    });
    try {
      const client = createClient(fake.link());
      await expect(client.call('system.info')).resolves.toMatchObject({ mode: 'cli' });
      fake.frameUrl = 'app://synos/index.html#/streams/ORDERS';
      await expect(client.call('system.info')).resolves.toMatchObject({ mode: 'cli' });
      // Another page, the old file:// origin, another app:// host: all refused.
      for (const url of [
        'https://evil.example/',
        'file:///opt/synos/resources/app.asar/out/renderer/index.html',
        'app://evil/index.html',
        'app://synos:1/index.html'
      ]) {
        fake.frameUrl = url;
        await expect(client.call('system.info'), url).rejects.toMatchObject({ code: 'FORBIDDEN' });
      }
      fake.frameUrl = 'app://synos/index.html';
      fake.frameParent = { url: 'app://synos/x.html', parent: null };
      await expect(client.call('system.info')).rejects.toMatchObject({ code: 'FORBIDDEN' });
      // A malformed request never reaches the core.
      const raw = (await fake.handler!(
        { sender: fake.contents, senderFrame: { url: fake.frameUrl, parent: null } },
        'nonsense'
      )) as CallResult;
      expect(raw).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    } finally {
      registration.dispose();
      await core.stop();
    }
  });

  it('answers 2,000 random IPC requests and sender frames with a result, never a throw', async () => {
    const core = createTestCore();
    await core.start();
    const fake = new FakeElectron();
    const registration = registerIpcTransport({
      ipcMain: fake.ipcMain,
      api: core.api,
      logger: silentLogger,
      isTrustedUrl: (url) => isTrustedRendererUrl(url, APP_INDEX_URL)
    });
    const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const requests = fc.sample(
      fc.oneof(
        fc.anything(),
        fc.record({
          method: fc.oneof(
            fc.constantFrom('system.info', 'outbox.stats', 'events.subscribe', 'profiles.list'),
            fc.string()
          ),
          input: fc.anything()
        })
      ),
      { numRuns: 2_000, seed }
    );
    const frames = fc.sample(
      fc.oneof(
        fc.constant({ url: 'app://synos/index.html', parent: null }),
        fc.constant(null),
        fc.record({ url: fc.oneof(fc.webUrl(), fc.string()), parent: fc.constant(null) })
      ),
      { numRuns: 2_000, seed: seed + 1 }
    );
    try {
      for (let i = 0; i < requests.length; i += 1) {
        const frame = frames[i] ?? null;
        const result = (await fake.handler!({ sender: fake.contents, senderFrame: frame }, requests[i])) as CallResult;
        expect(result, `request ${i} (seed ${seed})`).toMatchObject({ kind: 'result', ok: expect.any(Boolean) });
      }
      await expect(createClient(fake.link()).call('system.info')).resolves.toMatchObject({ mode: 'cli' });
    } finally {
      registration.dispose();
      await core.stop();
    }
  });

  it('tears a window session down when its webContents is destroyed', async () => {
    const core = createTestCore();
    await core.start();
    const fake = new FakeElectron();
    const registration = registerIpcTransport({
      ipcMain: fake.ipcMain,
      api: core.api,
      logger: silentLogger,
      isTrustedUrl: () => true
    });
    try {
      const client = createClient(fake.link());
      await client.call('events.subscribe', { channels: ['connection.state'] });
      expect(core.context.events.hasListeners('connection.state')).toBe(true);
      fake.destroy();
      expect(core.context.events.hasListeners('connection.state')).toBe(false);
    } finally {
      registration.dispose();
      await core.stop();
    }
  });
});
