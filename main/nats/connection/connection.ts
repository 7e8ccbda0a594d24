/**
 * The NATS connection manager: one connection for the whole core, reconnecting forever with
 * back-off, its state observable, drained cleanly on stop. Every other part asks it for the
 * current connection instead of holding one of its own.
 */
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  type Authenticator,
  type NatsConnection,
  type NodeConnectionOptions
} from '@nats-io/transport-node';
import {
  ContractError,
  redactUrls,
  splitUrlCredentials,
  type ConnectionState,
  type ConnectionStatus,
  type ServerInfo
} from '../../contract';
import type { NatsAuthConfig, NatsConfig, NatsTlsConfig } from '../../core/config';
import type { Logger } from '../../core/logger';
import { registerSecret } from '../../core/redact';
import { readKeyFile } from '../../core/key-files';
import { backoffDelayMs } from '../../core/backoff';
import { INSTALL_HINT, findOnPath, startEmbeddedServer, type EmbeddedServer } from '../embedded';
import { classifyNatsError } from './errors';

export interface ConnectionManagerOptions {
  nats: NatsConfig;
  embedded: { enabled: boolean; binary: string; dataDir: string };
  logger: Logger;
  /** Back-off of the manager's own retry loop (after nats.js gives up or the first connect fails). */
  backoff?: { initialMs: number; maxMs: number };
  rttIntervalMs?: number;
}

type Listener<T> = (value: T) => void;

/** A creds, seed or TLS file, read only now (at connect), with errors that never quote it. */
function readFileOrThrow(file: string, what: string): Uint8Array {
  return readKeyFile(file, what);
}

/**
 * Credentials in memory: the configured ones (paths given on the command line or in the config,
 * read at connect), plus what a profile holds: an nkey seed and a creds file's content.
 */
export interface ConnectAuth extends NatsAuthConfig {
  /** An nkey seed (SU…) itself rather than a file holding it. */
  nkeySeed?: string;
  /** The content of a .creds file picked into a profile. */
  credsData?: Uint8Array;
}

/** TLS files by path (command line, config) or as PEM text (a profile's picked files). */
export interface ConnectTls extends NatsTlsConfig {
  ca?: string;
  cert?: string;
  key?: string;
}

/** Where and how to connect: a saved profile (or the configuration) resolved to plain values. */
export interface ConnectTarget {
  servers: string[];
  auth: ConnectAuth;
  tls: ConnectTls | null;
  /** The profile it came from, shown in the status. */
  profile: { id: string; name: string } | null;
}

/** What {@link buildConnectOptions} needs: a NatsConfig, or a profile's values with a name and timeout. */
export type ConnectSettings = Pick<NatsConfig, 'name' | 'connectTimeoutMs'> & {
  auth: ConnectAuth;
  tls: ConnectTls | null;
};

/** Builds the nats.js options for a configuration. */
export function buildConnectOptions(nats: ConnectSettings, servers: string[]): NodeConnectionOptions {
  const options: NodeConnectionOptions = {
    servers,
    name: nats.name,
    timeout: nats.connectTimeoutMs,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    reconnectJitter: 500,
    reconnectJitterTLS: 1000,
    pingInterval: 10_000,
    maxPingOut: 3,
    // By default nats.js builds two Error objects per request (and so per JetStream publish) just to
    // keep the caller's stack for a later failure; that halves publish throughput on this app's hot
    // path (`npm run bench:durability` prints both). Failures are classified by code, not by stack.
    noAsyncTraces: true
  };
  const authenticators: Authenticator[] = [];
  if (nats.auth.token) options.token = nats.auth.token;
  if (nats.auth.user) options.user = nats.auth.user;
  if (nats.auth.password !== undefined) options.pass = nats.auth.password;
  if (nats.auth.nkeyFile) {
    const seed = parseSeedFile(
      new TextDecoder().decode(readFileOrThrow(nats.auth.nkeyFile, 'nkey seed file')),
      nats.auth.nkeyFile
    );
    authenticators.push(nkeyAuthenticator(new TextEncoder().encode(seed)));
  }
  if (nats.auth.nkeySeed) authenticators.push(nkeyAuthenticator(new TextEncoder().encode(nats.auth.nkeySeed.trim())));
  if (nats.auth.credsFile) {
    const bytes = readFileOrThrow(nats.auth.credsFile, 'creds file');
    // Checked here so a wrong file is reported as such, not later as an authorization violation.
    parseCredsFile(new TextDecoder().decode(bytes), nats.auth.credsFile);
    authenticators.push(credsAuthenticator(bytes));
  }
  if (nats.auth.credsData) authenticators.push(credsAuthenticator(nats.auth.credsData));
  if (authenticators.length > 0) options.authenticator = authenticators;
  if (nats.tls) {
    // Read here rather than by the client, so a FIFO, a device or a huge file is refused with a
    // clear error instead of hanging or filling memory, and no error quotes the file.
    options.tls = {};
    if (nats.tls.caFile) options.tls.ca = Buffer.from(readFileOrThrow(nats.tls.caFile, 'TLS CA file')).toString('utf8');
    if (nats.tls.certFile) {
      options.tls.cert = Buffer.from(readFileOrThrow(nats.tls.certFile, 'TLS certificate file')).toString('utf8');
    }
    if (nats.tls.keyFile)
      options.tls.key = Buffer.from(readFileOrThrow(nats.tls.keyFile, 'TLS key file')).toString('utf8');
    // A profile's picked files, already read and checked when they were picked.
    if (nats.tls.ca !== undefined) options.tls.ca = nats.tls.ca;
    if (nats.tls.cert !== undefined) options.tls.cert = nats.tls.cert;
    if (nats.tls.key !== undefined) options.tls.key = nats.tls.key;
  }
  return options;
}

/**
 * The seed in an nkey file: a bare `SU…` line, or the armoured form nsc writes
 * (`-----BEGIN USER NKEY SEED-----`). CONFIG_INVALID when there is none, so a wrong file is
 * reported as such and not as an authorization failure.
 */
export function parseSeedFile(text: string, file: string): string {
  const seed = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .find((line) => /^S[A-Z][A-Z2-7]{50,}$/.test(line));
  if (!seed) {
    throw new ContractError('CONFIG_INVALID', `nkey seed file ${file} holds no nkey seed (a line starting with SU)`, {
      file,
      hint: 'Point --nkey at the seed file (SU…), not at the public key (U…); generate one with: nsc generate nkey --user'
    });
  }
  return seed;
}

/** The two parts of a NATS .creds file. */
export interface NatsCredentials {
  /** The user JWT (header.payload.signature). */
  jwt: string;
  /** The user nkey seed (SU…) that signs the server's nonce. */
  seed: string;
}

const ARMOURED_BLOCK = /-{3,}[^\n]*BEGIN[^\n]*-{3,}\r?\n\s*([\w\-.=]+)\s*\r?\n\s*-{3,}[^\n]*END[^\n]*-{3,}/g;

/**
 * Parses a .creds file as nsc writes it: a `BEGIN NATS USER JWT` block, then a
 * `BEGIN USER NKEY SEED` block. CONFIG_INVALID says which part is missing or malformed.
 */
export function parseCredsFile(text: string, file: string): NatsCredentials {
  const blocks = [...text.matchAll(ARMOURED_BLOCK)].map((m) => m[1] as string);
  const hint =
    'A creds file holds a user JWT and its nkey seed; create one with: nsc generate creds -a ACCOUNT -n USER';
  const jwt = blocks[0];
  const seed = blocks[1];
  if (!jwt || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(jwt)) {
    throw new ContractError('CONFIG_INVALID', `creds file ${file} holds no user JWT block`, { file, hint });
  }
  if (!seed || !/^SU[A-Z2-7]{50,}$/.test(seed)) {
    throw new ContractError('CONFIG_INVALID', `creds file ${file} holds no user nkey seed block after the JWT`, {
      file,
      hint
    });
  }
  return { jwt, seed };
}

/**
 * A URL typed with userinfo (connect {servers}, a profile saved before URLs were split) is split
 * here as well: the password goes into the auth fields, unless credentials were given as fields,
 * and never into the status, logs or errors. Every credential is registered with the redactor.
 */
export function withUrlCredentials(
  servers: readonly string[],
  given: ConnectAuth
): { servers: string[]; auth: ConnectAuth } {
  const split = servers.map(splitUrlCredentials);
  const auth: ConnectAuth = { ...given };
  const creds = split.find((s) => s.credentials !== null)?.credentials;
  const hasAuth = Boolean(
    auth.user ?? auth.token ?? auth.nkeyFile ?? auth.nkeySeed ?? auth.credsFile ?? auth.credsData
  );
  if (creds && !hasAuth) {
    if (creds.token !== undefined) auth.token = creds.token;
    if (creds.user !== undefined) auth.user = creds.user;
    if (creds.password !== undefined) auth.password = creds.password;
  }
  registerSecret(auth.password);
  registerSecret(auth.token);
  registerSecret(auth.nkeySeed);
  return { servers: split.map((s) => s.url), auth };
}

export function toServerInfo(nc: NatsConnection): ServerInfo | null {
  const info = nc.info;
  if (!info) return null;
  const out: ServerInfo = {
    server_id: info.server_id,
    server_name: info.server_name,
    version: info.version,
    host: info.host,
    port: info.port,
    jetstream: Boolean(info.jetstream),
    max_payload: info.max_payload
  };
  if (info.cluster) out.cluster = info.cluster;
  if (typeof info.proto === 'number') out.proto = info.proto;
  return out;
}

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
  private rttTimer: NodeJS.Timeout | null = null;
  private readonly statusListeners = new Set<Listener<ConnectionStatus>>();
  private readonly connectListeners = new Set<Listener<NatsConnection>>();
  private firstAttemptWaiters: Array<() => void> = [];
  private current: ConnectionStatus;

  constructor(options: ConnectionManagerOptions) {
    this.options = options;
    this.logger = options.logger.child({ part: 'nats' });
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
    this.stopRtt();
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
      this.startRtt(nc);
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
      this.stopRtt();
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

  private startRtt(nc: NatsConnection): void {
    this.stopRtt();
    const measure = async (): Promise<void> => {
      if (this.nc !== nc || this.current.state !== 'connected') return;
      try {
        const rtt = await nc.rtt();
        if (this.nc === nc) this.update({ rttMs: Math.round(rtt * 100) / 100 });
      } catch {
        // a failed ping shows up as a disconnect status; nothing to do here
      }
    };
    void measure();
    this.rttTimer = setInterval(() => void measure(), this.options.rttIntervalMs ?? 5000);
    this.rttTimer.unref();
  }

  private stopRtt(): void {
    if (this.rttTimer) clearInterval(this.rttTimer);
    this.rttTimer = null;
  }
}
