/**
 * The setup most integration tests share: a real nats-server on a free port with a temporary
 * store, a plain client on it, and a real core (its own data dir and SQLite file) connected to it;
 * torn down in reverse. Two ways to hold it:
 *
 *   const env = useServerAndCore({ core: { overrides: { provision: false } } });  // a describe's beforeAll/afterAll
 *   it('…', async () => { await env.core.api.invoke('kv.list', {}); });
 *
 *   const env = await startServerAndCore();  // one test's own (call env.dispose() in finally/afterEach)
 *
 * `useServerAndClient` / `startServerAndClient` are the same without a core, for tests that start
 * their own cores against the one server; `useServerCli` is the server with the CLI run against it.
 */
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Core } from '../../main/app/create-core';
import { runCliSync, type CliResult } from './cli';
import { createTestCore, type TestCoreOptions } from './core';
import { startNatsServer, type NatsServerHandle, type NatsServerOptions } from './nats-server';
import { tempDir } from './temp';
import { useFixture } from './fixture';

export interface ServerAndClient {
  server: NatsServerHandle;
  /** A plain client on the server (the test's own, not the core's). */
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Closes the client and stops the server (a core first, when there is one). Safe to call twice. */
  dispose(): Promise<void>;
}

export interface ServerAndCore extends ServerAndClient {
  core: Core;
  /** The core's data directory. */
  dir: string;
}

export interface ServerAndClientOptions {
  server?: NatsServerOptions;
  /** Set-up on the server before anything else uses it (streams, consumers, messages, provision). */
  prepare?: (env: ServerAndClient) => Promise<unknown>;
}

export interface ServerAndCoreOptions extends ServerAndClientOptions {
  /** The core's options; `servers` is the server's URL and `dataDir` a fresh temp dir unless given. */
  core?: Omit<TestCoreOptions, 'servers'>;
  /**
   * Connect the core through the contract (`connection.connect`) once it has started, failing unless
   * it is then connected (default true).
   */
  connect?: boolean;
}

export async function startServerAndClient(options: ServerAndClientOptions = {}): Promise<ServerAndClient> {
  const server = await startNatsServer(options.server);
  let nc: NatsConnection | null = null;
  try {
    nc = await connect({ servers: server.url });
    const client = nc;
    let disposed = false;
    const env: ServerAndClient = {
      server,
      nc: client,
      js: jetstream(client),
      // Without JetStream on the server, a manager that does not ask the server first (its calls fail).
      jsm: await jetstreamManager(client, { checkAPI: options.server?.jetstream !== false }),
      async dispose() {
        if (disposed) return;
        disposed = true;
        await client.close();
        await server.stop();
      }
    };
    await options.prepare?.(env);
    return env;
  } catch (error) {
    await nc?.close();
    await server.stop();
    throw error;
  }
}

export async function startServerAndCore(options: ServerAndCoreOptions = {}): Promise<ServerAndCore> {
  const base = await startServerAndClient(options);
  const dir = options.core?.dataDir ?? tempDir();
  const core = createTestCore({ ...options.core, servers: [base.server.url], dataDir: dir });
  let stopped = false;
  const env: ServerAndCore = {
    ...base,
    core,
    dir,
    async dispose() {
      if (!stopped) {
        stopped = true;
        await core.stop();
      }
      await base.dispose();
    }
  };
  try {
    await core.start();
    if (options.connect !== false) {
      const status = await core.api.invoke('connection.connect', {});
      if (status.state !== 'connected') {
        throw new Error(`the test core did not connect to ${base.server.url}: ${JSON.stringify(status)}`);
      }
    }
    return env;
  } catch (error) {
    await env.dispose();
    throw error;
  }
}

/**
 * Starts a server, a client and a core in the enclosing describe's beforeAll and disposes of them in
 * its afterAll. The returned object reads through to them once beforeAll has run.
 */
export function useServerAndCore(options: ServerAndCoreOptions = {}): ServerAndCore {
  return useFixture(
    'useServerAndCore',
    () => startServerAndCore(options),
    (env) => env.dispose()
  );
}

/** {@link useServerAndCore} without a core. */
export function useServerAndClient(options: ServerAndClientOptions = {}): ServerAndClient {
  return useFixture(
    'useServerAndClient',
    () => startServerAndClient(options),
    (env) => env.dispose()
  );
}

/** A nats-server started in the enclosing describe's beforeAll and stopped in its afterAll. */
export function useNatsServer(options: NatsServerOptions = {}): NatsServerHandle {
  return useFixture(
    'useNatsServer',
    () => startNatsServer(options),
    (server) => server.stop()
  );
}

export interface ServerCli {
  /** Runs the CLI with `--nats <server> --data <a temp dir of this describe>` before `args`. */
  cli(...args: string[]): CliResult;
  /** {@link ServerCli.cli} with `--json`: expects exit 0 (else fails with stderr) and parses stdout. */
  json(...args: string[]): Record<string, unknown>;
}

/**
 * The CLI as an operator runs it against one real nats-server: the server starts in the enclosing
 * describe's beforeAll and stops in its afterAll.
 */
export function useServerCli(): ServerCli {
  let server: NatsServerHandle | null = null;
  let base: string[] = [];
  beforeAll(async () => {
    server = await startNatsServer();
    base = ['--nats', server.url, '--data', tempDir()];
  });
  afterAll(async () => {
    await server?.stop();
  });
  const cli = (...args: string[]): CliResult => {
    if (!server) throw new Error('useServerCli: used before its beforeAll started the server');
    return runCliSync([...base, ...args]);
  };
  return {
    cli,
    json(...args) {
      const r = cli(...args, '--json');
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    }
  };
}
