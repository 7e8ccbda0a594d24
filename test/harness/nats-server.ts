/**
 * Starts real nats-server processes for tests: one server on a free port with a temporary store,
 * or a 3-node cluster on loopback. Each can be stopped, killed with SIGKILL and restarted on the
 * same port and store. Fails loudly, with the install command, when nats-server is missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager, StorageType } from '@nats-io/jetstream';
import { findOnPath, freePort } from '../../main/nats/embedded/embedded';
import { tempDir } from './temp';

export const NATS_SERVER_MISSING =
  'nats-server is not installed, and these tests need a real one. Install it with: sudo apt-get install -y nats-server (Debian/Ubuntu) or brew install nats-server (macOS).';

export function natsServerBinary(): string {
  const binary = findOnPath(process.env.NATS_SERVER_BIN ?? 'nats-server');
  if (!binary) throw new Error(NATS_SERVER_MISSING);
  return binary;
}

export function natsServerVersion(binary: string = natsServerBinary()): string {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return (out.stdout || out.stderr).trim().replace(/^nats-server:\s*v?/, '');
}

export interface NatsServerOptions {
  jetstream?: boolean;
  port?: number;
  storeDir?: string;
  /** Extra config file text (authorization, tls, cluster …); written to a temp file. */
  config?: string;
  args?: string[];
  name?: string;
  /** The nats-server binary to run (default: NATS_SERVER_BIN, else nats-server on PATH). */
  binary?: string;
  /**
   * Serve the HTTP monitoring endpoints on a port nats-server picks itself (`-m -1`), read back
   * from its log as `monitorUrl`: a port picked here and bound later could be taken in between.
   */
  monitor?: boolean;
}

export interface NatsServerHandle {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  readonly pid: number | undefined;
  /** `http://127.0.0.1:<port>` of the monitoring endpoints (with `monitor`; a restart keeps the port). */
  readonly monitorUrl: string | null;
  /** Graceful stop (SIGTERM, waits for exit). */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would. */
  kill9(): Promise<void>;
  /** Starts again on the same port and store (with `binary`: another nats-server version, as an upgrade does). */
  restart(next?: { binary?: string }): Promise<void>;
  isRunning(): boolean;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Resolves with what nats-server logged until it was ready. A node of a cluster logs "Server is
 * ready" before it binds its route port, and exits if that port is taken: it is ready once it
 * listens for routes too (`routes`).
 */
function waitReady(child: ChildProcess, port: number, timeoutMs: number, routes = false): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => finish(new Error(`nats-server on port ${port} not ready after ${timeoutMs} ms:\n${out.slice(-2000)}`)),
      timeoutMs
    );
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      if (out.includes('Server is ready') && (!routes || out.includes('Listening for route connections'))) finish();
    };
    // 'close', not 'exit': its last lines (the fatal error) are read by then.
    const onExit = (code: number | null): void =>
      finish(new Error(`nats-server exited (${code}) before ready:\n${out.slice(-2000)}`));
    function finish(error?: Error): void {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('close', onExit);
      child.stderr?.resume();
      child.stdout?.resume();
      if (error) reject(error);
      else resolve(out);
    }
    child.stderr?.on('data', onData);
    child.once('close', onExit);
  });
}

async function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
}

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  // A free port picked here can be taken by another test's socket before nats-server binds it; the
  // server then exits at start. Another port is picked then (not when the caller chose the port).
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(options.port ?? (await freePort()), options);
    } catch (error) {
      if (options.port !== undefined || attempt >= 3 || !/address already in use/i.test(String(error))) throw error;
    }
  }
}

async function startOn(port: number, options: NatsServerOptions): Promise<NatsServerHandle> {
  let binary = options.binary ?? natsServerBinary();
  const storeDir = options.storeDir ?? tempDir('synos-nats-');
  const args = ['-a', '127.0.0.1', '-p', String(port), '-n', options.name ?? `test-${port}`];
  if (options.jetstream !== false) args.push('-js', '-sd', storeDir);
  if (options.config) {
    const file = path.join(storeDir, `server-${port}.conf`);
    fs.mkdirSync(storeDir, { recursive: true });
    fs.writeFileSync(file, options.config);
    args.push('-c', file);
  }
  args.push(...(options.args ?? []));

  let child: ChildProcess | null = null;
  let monitorUrl: string | null = null;
  const launch = async (): Promise<void> => {
    // The first start lets nats-server pick the monitoring port; a restart keeps it.
    const monitorArgs = options.monitor ? ['-m', monitorUrl ? new URL(monitorUrl).port : '-1'] : [];
    const c = spawn(binary, [...args, ...monitorArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    // NATS_SERVER_LOG_DIR keeps each server's log (to see why a cluster did not elect, on CI).
    if (process.env.NATS_SERVER_LOG_DIR) {
      fs.mkdirSync(process.env.NATS_SERVER_LOG_DIR, { recursive: true });
      const log = fs.createWriteStream(path.join(process.env.NATS_SERVER_LOG_DIR, `${args[5]}.log`), { flags: 'a' });
      c.stderr?.pipe(log);
    }
    running.add(c);
    c.once('exit', () => running.delete(c));
    child = c;
    const log = await waitReady(c, port, 20_000, hasClusterBlock(options.config));
    if (options.monitor) {
      const address = /Starting http monitor on (\S+)/.exec(log)?.[1];
      if (!address) throw new Error(`nats-server logged no monitoring address:\n${log.slice(-2000)}`);
      monitorUrl = `http://${address}`;
    }
  };
  await launch();

  const handle: NatsServerHandle = {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get pid() {
      return child?.pid;
    },
    get monitorUrl() {
      return monitorUrl;
    },
    isRunning: () => child !== null && child.exitCode === null && child.signalCode === null,
    async stop() {
      if (!child) return;
      const c = child;
      c.kill('SIGTERM');
      await waitExit(c);
      child = null;
    },
    async kill9() {
      if (!child) return;
      const c = child;
      c.kill('SIGKILL');
      await waitExit(c);
      child = null;
    },
    async restart(next?: { binary?: string }) {
      if (child) await handle.stop();
      // Another binary on the same store: a server upgrade (or downgrade) in place.
      if (next?.binary) binary = next.binary;
      // The port may linger briefly after a kill; retry the launch a few times.
      for (let attempt = 1; ; attempt++) {
        try {
          await launch();
          return;
        } catch (error) {
          if (attempt >= 5) throw error;
          await new Promise((r) => setTimeout(r, 300 * attempt));
        }
      }
    }
  };
  return handle;
}

export interface NatsClusterHandle {
  readonly nodes: NatsServerHandle[];
  /** All client URLs, for a multi-server connection. */
  readonly urls: string[];
  stop(): Promise<void>;
}

/**
 * Waits until every node answers `$JS.API.INFO`. A fresh cluster elects its meta leader within a
 * second, but nats-server 2.10 leaves the JetStream API silent for a while after that (seconds,
 * tens of seconds on a loaded machine), which tests would otherwise spend in their own timeouts.
 */
async function waitJetStreamAnswers(urls: string[], timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const url of urls) {
    const nc = await connect({ servers: url, reconnect: false });
    try {
      for (;;) {
        try {
          const reply = await nc.request('$JS.API.INFO', '', { timeout: 2000 });
          if (!reply.string().includes('"error"')) break;
        } catch {
          // no answer yet
        }
        if (Date.now() > deadline) {
          throw new Error(`the JetStream API of the test cluster did not answer at ${url} within ${timeoutMs} ms`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await nc.close();
    }
  }
}

/**
 * Waits until the cluster can place a stream on `replicas` peers: a probe stream (memory, no
 * messages) is created and deleted. Answering `$JS.API.INFO` is not enough: nats-server 2.10 has
 * answered "no suitable peers for placement" for 40 s after that on a loaded machine (a chaos-cluster
 * run of the 2.10 leg), until the meta leader knew its peers.
 */
async function waitPlacement(urls: string[], replicas: number, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const name = `HARNESS_PLACEMENT_${process.pid}_${Date.now().toString(36)}`;
  const nc = await connect({ servers: urls });
  let last: unknown = null;
  try {
    for (;;) {
      try {
        const jsm = await jetstreamManager(nc, { timeout: 5000 });
        await jsm.streams.add({
          name,
          subjects: [`harness.placement.${name}`],
          num_replicas: replicas,
          storage: StorageType.Memory
        });
        await jsm.streams.delete(name);
        return;
      } catch (error) {
        last = error;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `the test cluster could not place an R${replicas} stream within ${timeoutMs} ms: ${String(last)}`
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await nc.close();
  }
}

/** A node's cluster block: listening for routes on `routePort`, routed to `routes` (ports). */
export function clusterBlock(name: string, routePort: number, routes: number[]): string {
  const urls = routes.map((p) => `nats-route://127.0.0.1:${p}`).join(', ');
  return `cluster {\n  name: ${name}\n  listen: 127.0.0.1:${routePort}\n  routes: [${urls}]\n}\n`;
}

/** Whether a config makes the node a cluster's (see {@link clusterBlock}). */
function hasClusterBlock(config: string | undefined): boolean {
  return config !== undefined && /^\s*cluster\s*\{/m.test(config);
}

/** `count` distinct free ports (two picks may name the same port once the first is closed). */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

export interface NatsClusterOptions {
  /** Put before each node's cluster block (accounts, a system account). */
  config?: string;
  /** Node names are `<namePrefix><index from 1>-<client port>` (default `n`). */
  namePrefix?: string;
  /** The cluster's name is `<clusterPrefix>-<first client port>` (default `synos-test`). */
  clusterPrefix?: string;
  /**
   * Return once JetStream answers on every node and can place a stream on all (default). Off for a
   * cluster whose accounts need credentials, where the harness's anonymous connection is refused.
   */
  waitJetStream?: boolean;
}

/**
 * A 3-node JetStream cluster on loopback, each node with its own store; returns once JetStream
 * answers on each and can place a stream on all of them. Its client and route ports are picked
 * before the nodes bind them, so a socket of another test file running at the same time can take
 * one in between: the nodes started are stopped and the cluster starts again on other ports.
 */
export async function startNatsCluster(size = 3, options: NatsClusterOptions = {}): Promise<NatsClusterHandle> {
  const namePrefix = options.namePrefix ?? 'n';
  const clusterPrefix = options.clusterPrefix ?? 'synos-test';
  for (let attempt = 1; ; attempt++) {
    const ports = await distinctFreePorts(size * 2);
    const clientPorts = ports.slice(0, size);
    const routePorts = ports.slice(size);
    const started = await Promise.allSettled(
      clientPorts.map((port, i) =>
        startNatsServer({
          port,
          name: `${namePrefix}${i + 1}-${port}`,
          config: `${options.config ?? ''}\n${clusterBlock(`${clusterPrefix}-${clientPorts[0]}`, routePorts[i] as number, routePorts)}`
        })
      )
    );
    const nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      await Promise.all(nodes.map((n) => n.stop()));
      if (attempt >= 3 || !/address already in use/i.test(String(failure.reason))) throw failure.reason;
      continue;
    }
    if (options.waitJetStream !== false) {
      await waitJetStreamAnswers(nodes.map((n) => n.url));
      await waitPlacement(
        nodes.map((n) => n.url),
        size
      );
    }
    return {
      nodes,
      urls: nodes.map((n) => n.url),
      stop: async () => {
        await Promise.all(nodes.map((n) => n.stop()));
      }
    };
  }
}
