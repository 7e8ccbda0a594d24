/**
 * The NATS connection manager: one connection for the whole core, reconnecting forever with
 * back-off, its state observable, drained cleanly on stop. Every other part asks it for the
 * current connection instead of holding one of its own. The options it connects with are built in
 * connect-options.ts; the server's INFO and the round-trip probe come from health.ts.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ContractError, redactUrls, type ConnectionState, type ConnectionStatus } from '../../contract';
import type { NatsConfig } from '../../core/config';
import type { Logger } from '../../core/logger';
import { backoffDelayMs } from '../../core/backoff';
import { INSTALL_HINT, findOnPath, startEmbeddedServer, type EmbeddedServer } from '../embedded';
import {
  buildConnectOptions,
  withUrlCredentials,
  type ConnectAuth,
  type ConnectTarget,
  type ConnectTls
} from './connect-options';
import { classifyNatsError } from './errors';
import { RttProbe, toServerInfo } from './health';

export interface ConnectionManagerOptions {
  nats: NatsConfig;
  embedded: { enabled: boolean; binary: string; dataDir: string };
  logger: Logger;
  /** Back-off of the manager's own retry loop (after nats.js gives up or the first connect fails). */
  backoff?: { initialMs: number; maxMs: number };
  rttIntervalMs?: number;
}

type Listener<T> = (value: T) => void;

export class ConnectionManager {
  private readonly options: ConnectionManagerOptions;
  private readonly logger: Logger;
  private nc: NatsConnection | null = null;
  private servers: string[];
  /** Credentials and TLS of the current target (the configuration's, or a profile's). */
  private auth: ConnectAuth;
  private tls: ConnectTls | null;
  private profile: ConnectTarget['profile'] = null;
  private generation = 0;
  private embeddedServer: EmbeddedServer | null = null;
  private embeddedTried = false;
  private wakeSleeper: (() => void) | null = null;
  private readonly rtt: RttProbe;
  private readonly statusListeners = new Set<Listener<ConnectionStatus>>();
  private readonly connectListeners = new Set<Listener<NatsConnection>>();
  private firstAttemptWaiters: Array<() => void> = [];
  private current: ConnectionStatus;

  constructor(options: ConnectionManagerOptions) {
    this.options = options;
    this.logger = options.logger.child({ part: 'nats' });
    this.rtt = new RttProbe(options.rttIntervalMs ?? 5000);
    const clean = withUrlCredentials(options.nats.servers, options.nats.auth);
    this.servers = clean.servers;
    this.auth = clean.auth;
    this.tls = options.nats.tls;
    this.current = {
      state: 'offline',
      servers: this.servers,
      profile: null,
      server: null,
      serverInfo: null,
      since: new Date().toISOString(),
      offlineSince: null,
      rttMs: null,
      attempts: 0,
      lastError: null,
      hint: null,
      embedded: null
    };
  }

  /** The live connection, or null while not connected. */
  connection(): NatsConnection | null {
    return this.current.state === 'connected' ? this.nc : null;
  }

  /** The live connection; NOT_CONNECTED (with the last error) otherwise. */
  requireConnection(): NatsConnection {
    const nc = this.connection();
    if (!nc) {
      const last = this.current.lastError;
      throw new ContractError(
        'NOT_CONNECTED',
        last ? `not connected to NATS (${last.message})` : `not connected to NATS (state: ${this.current.state})`,
        { state: this.current.state, lastError: last, hint: this.current.hint }
      );
    }
    return nc;
  }

  status(): ConnectionStatus {
    return this.current;
  }

  /** Called on every state change. Returns an unsubscribe function. */
  onStatus(listener: Listener<ConnectionStatus>): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Called with each new connection once it is established (not on nats.js's own reconnects). */
  onConnect(listener: Listener<NatsConnection>): () => void {
    this.connectListeners.add(listener);
    return () => this.connectListeners.delete(listener);
  }

  private update(patch: Partial<ConnectionStatus>): void {
    const stateChanged = patch.state !== undefined && patch.state !== this.current.state;
    const next: ConnectionStatus = {
      ...this.current,
      ...patch,
      servers: this.servers.map(redactUrls),
      profile: this.profile
    };
    // Whatever a client library put in a message or a server address, the status shows no userinfo.
    if (next.server) next.server = redactUrls(next.server);
    if (next.lastError) next.lastError = { ...next.lastError, message: redactUrls(next.lastError.message) };
    if (stateChanged) next.since = new Date().toISOString();
    this.current = next;
    for (const listener of this.statusListeners) {
      try {
        listener(next);
      } catch (error) {
        this.logger.error('connection status listener failed', { error });
      }
    }
  }

  private setState(state: ConnectionState, patch: Partial<ConnectionStatus> = {}): void {
    const wasConnected = this.current.state === 'connected';
    const offlineSince =
      state === 'connected'
        ? null
        : wasConnected || this.current.offlineSince === null
          ? new Date().toISOString()
          : this.current.offlineSince;
    this.update({ ...patch, state, offlineSince: state === 'offline' ? this.current.offlineSince : offlineSince });
  }

  /**
   * Points later connection attempts at a profile (servers, credentials, TLS) without connecting;
   * the core uses it at start for the active profile.
   */
  useTarget(target: ConnectTarget): void {
    const clean = withUrlCredentials(target.servers, target.auth);
    this.servers = clean.servers;
    this.auth = clean.auth;
    this.tls = target.tls;
    this.profile = target.profile;
    this.embeddedTried = true; // the operator chose where to connect: no embedded fallback
    this.update({});
  }

  /** The profile the manager connects with, or null for the configured servers. */
  activeProfile(): ConnectTarget['profile'] {
    return this.profile;
  }

  /**
   * Starts (or restarts) connecting. Resolves with the status after the first attempt: connected,
   * or failed with a typed lastError while the manager keeps retrying in the background.
   * `servers` replaces the servers and uses the configured credentials; `target` a whole profile.
   */
  async connect(override: { servers?: string[]; target?: ConnectTarget } = {}): Promise<ConnectionStatus> {
    if (override.target) {
      this.useTarget(override.target);
    } else if (override.servers && override.servers.length > 0) {
      this.useTarget({
        servers: override.servers,
        auth: this.options.nats.auth,
        tls: this.options.nats.tls,
        profile: null
      });
    } else if (this.current.state === 'connected' || this.current.state === 'reconnecting') {
      return this.current;
    }
    await this.closeCurrent();
    const generation = ++this.generation;
    const firstAttempt = new Promise<void>((resolve) => this.firstAttemptWaiters.push(resolve));
    this.setState('connecting', { attempts: 0, lastError: null, hint: null });
    void this.run(generation);
    await firstAttempt;
    return this.current;
  }

  /**
   * Starts the managed local nats-server (or reuses the one already running) and connects to it
   * without credentials. Asked for by the operator, so it runs even when the automatic fallback is off
   * or servers are configured; fails with NATS_UNREACHABLE and the install hint when nats-server is missing.
   */
  async connectLocal(): Promise<ConnectionStatus> {
    const { embedded } = this.options;
    if (!this.embeddedServer) {
      if (!findOnPath(embedded.binary)) {
        throw new ContractError('NATS_UNREACHABLE', `nats-server (${embedded.binary}) is not installed`, {
          hint: INSTALL_HINT
        });
      }
      this.logger.info("starting a managed nats-server at the operator's request");
      const server = await startEmbeddedServer({
        binary: embedded.binary,
        dataDir: embedded.dataDir,
        logger: this.logger,
        preferredPort: 4222
      });
      this.embeddedServer = server;
      this.update({ embedded: { url: server.url, pid: server.pid, storeDir: server.storeDir } });
    }
    this.useTarget({ servers: [this.embeddedServer.url], auth: {}, tls: null, profile: null });
    return this.connect();
  }

  /** Drains and closes the connection and stops reconnecting. */
  async disconnect(): Promise<ConnectionStatus> {
    this.generation++;
    this.wakeSleeper?.();
    await this.closeCurrent();
    this.setState('offline', { server: null, rttMs: null, attempts: 0 });
    this.releaseWaiters();
    return this.current;
  }

  /** Stops everything: the connection (drained) and the embedded server. */
  async stop(): Promise<void> {
    await this.disconnect();
    if (this.embeddedServer) {
      await this.embeddedServer.stop();
      this.embeddedServer = null;
      this.update({ embedded: null });
    }
  }

  private releaseWaiters(): void {
    const waiters = this.firstAttemptWaiters;
    this.firstAttemptWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private async closeCurrent(): Promise<void> {
    this.rtt.stop();
    const nc = this.nc;
    this.nc = null;
    if (!nc || nc.isClosed()) return;
    const drained = nc.drain().catch(() => undefined);
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 5000).unref());
    await Promise.race([drained, timeout]);
    if (!nc.isClosed()) await nc.close().catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleeper = done;
    });
  }

  private backoffMs(attempt: number): number {
    const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 500, maxMs: 10_000 };
    return backoffDelayMs(attempt, { initialMs, maxMs, jitter: 0.2 });
  }

  private async tryEmbedded(): Promise<boolean> {
    const { embedded, nats } = this.options;
    if (nats.explicit || !embedded.enabled || this.embeddedTried) return false;
    this.embeddedTried = true;
    if (!findOnPath(embedded.binary)) {
      this.logger.warn(
        `nothing answers at ${this.servers.join(', ')} and nats-server is not installed; running offline`,
        {
          hint: INSTALL_HINT
        }
      );
      this.update({ hint: INSTALL_HINT });
      return false;
    }
    try {
      this.logger.info(`nothing answers at ${this.servers.join(', ')}; starting a managed nats-server`);
      // Start it where the default URL points (4222), so natscli and other tools find it too.
      const defaultPort = Number(new URL(this.servers[0] ?? 'nats://127.0.0.1:4222').port || 4222);
      const server = await startEmbeddedServer({
        binary: embedded.binary,
        dataDir: embedded.dataDir,
        logger: this.logger,
        preferredPort: defaultPort
      });
      this.embeddedServer = server;
      this.servers = [server.url];
      this.update({ embedded: { url: server.url, pid: server.pid, storeDir: server.storeDir } });
      return true;
    } catch (error) {
      this.logger.error('could not start the embedded nats-server', { error });
      this.update({ hint: `could not start nats-server: ${(error as Error).message}` });
      return false;
    }
  }

  private async run(generation: number): Promise<void> {
    let attempts = 0;
    while (generation === this.generation) {
      attempts++;
      let nc: NatsConnection;
      try {
        if (attempts > 1) this.setState(this.current.server ? 'reconnecting' : 'connecting', { attempts });
        nc = await connect(buildConnectOptions({ ...this.options.nats, auth: this.auth, tls: this.tls }, this.servers));
      } catch (error) {
        if (generation !== this.generation) return;
        const classified = classifyNatsError(error, this.servers, { tls: Boolean(this.tls) });
        if (classified.code === 'NATS_UNREACHABLE' && (await this.tryEmbedded())) {
          attempts = 0;
          continue;
        }
        const { hint, ...shape } = classified;
        this.logger.warn('NATS connection attempt failed', {
          attempt: attempts,
          code: shape.code,
          error: shape.message
        });
        this.setState('disconnected', { attempts, lastError: shape, hint: this.current.hint ?? hint });
        this.releaseWaiters();
        await this.sleep(this.backoffMs(attempts));
        continue;
      }
      if (generation !== this.generation) {
        await nc.close().catch(() => undefined);
        return;
      }
      attempts = 0;
      this.nc = nc;
      this.logger.info('connected to NATS', { server: nc.getServer(), version: nc.info?.version });
      this.setState('connected', {
        server: nc.getServer(),
        serverInfo: toServerInfo(nc),
        attempts: 0,
        lastError: null,
        hint: null
      });
      this.rtt.start(
        nc,
        () => this.nc === nc && this.current.state === 'connected',
        (rttMs) => {
          if (this.nc === nc) this.update({ rttMs });
        }
      );
      this.releaseWaiters();
      for (const listener of this.connectListeners) {
        try {
          listener(nc);
        } catch (error) {
          this.logger.error('on-connect listener failed', { error });
        }
      }
      void this.watch(nc, generation);
      const closedWith = await nc.closed();
      this.rtt.stop();
      if (generation !== this.generation) return;
      this.nc = null;
      const shape = closedWith ? (({ hint: _h, ...s }) => s)(classifyNatsError(closedWith, this.servers)) : null;
      this.logger.warn('NATS connection closed; reconnecting', { error: shape?.message });
      this.setState('disconnected', { server: null, rttMs: null, lastError: shape });
      await this.sleep(this.backoffMs(1));
    }
  }

  private async watch(nc: NatsConnection, generation: number): Promise<void> {
    for await (const s of nc.status()) {
      if (generation !== this.generation || this.nc !== nc) break;
      switch (s.type) {
        case 'disconnect':
          this.logger.warn('NATS disconnected; the client is reconnecting', { server: s.server });
          this.setState('reconnecting', { rttMs: null });
          break;
        case 'reconnect':
          this.logger.info('NATS reconnected', { server: s.server });
          this.setState('connected', {
            server: nc.getServer(),
            serverInfo: toServerInfo(nc),
            lastError: null,
            hint: null
          });
          break;
        case 'error': {
          const { hint, ...shape } = classifyNatsError(s.error, this.servers);
          this.update({ lastError: shape, hint });
          break;
        }
        case 'update':
          this.update({ serverInfo: toServerInfo(nc) });
          break;
        default:
          break;
      }
    }
  }
}
