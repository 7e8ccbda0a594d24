/**
 * ServerProbe: reads what the NATS servers say about themselves. Two ways, tried in this order:
 * the system account (`$SYS.REQ.SERVER.PING.<ENDPOINT>`, every server of the cluster answers), when
 * the connection's credentials belong to it; otherwise the monitoring HTTP port of one server
 * (`-m`, configured as `monitoring.serverMonitorUrl`). The raw JSON of each endpoint is turned into
 * the contract's shapes here, in one place.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { type ConnectionSort, type ServerConnection, type ServerSource, type ServerSummary } from '../contract';

type Json = Record<string, any>;

/** One server's answer to each endpoint, keyed by endpoint name. */
export interface RawServer {
  id: string;
  name: string;
  varz: Json;
  healthz: Json | null;
  jsz: Json | null;
  routez: Json | null;
  leafz: Json | null;
}

export interface ProbeResult {
  source: ServerSource;
  sourceLabel: string;
  hint: string | null;
  servers: RawServer[];
}

export interface ServerProbeOptions {
  connection: () => NatsConnection | null;
  /** The monitoring URL of one server (`http://host:8222`), or null. */
  monitorUrl: string | null;
  /** How long to collect the answers of every server to one PING. */
  pingWaitMs?: number;
  /** Timeout of one HTTP request to the monitoring port. */
  httpTimeoutMs?: number;
}

/** What an operator can do when neither source is available. */
export const NO_SOURCE_HINT =
  'Neither the system account nor a monitoring URL is available. Connect with a user of the system account ' +
  '(system_account in the server config) to see every server, or start nats-server with -m 8222 and set ' +
  'monitoring.serverMonitorUrl (e.g. "http://127.0.0.1:8222") in config.json or pass --monitor-url.';

const PING = '$SYS.REQ.SERVER.PING';

/** Parses Go duration strings as the server prints them ("1d2h3m4s", "11.9ms", "500µs") into seconds. */
export function parseGoDuration(text: unknown): number | null {
  if (typeof text !== 'string' || text.trim() === '') return null;
  const units: Record<string, number> = {
    y: 31_536_000,
    d: 86_400,
    h: 3600,
    m: 60,
    s: 1,
    ms: 1e-3,
    us: 1e-6,
    µs: 1e-6,
    ns: 1e-9
  };
  let total = 0;
  let matched = false;
  const re = /(\d+(?:\.\d+)?)(ms|us|µs|ns|y|d|h|m|s)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * (units[m[2]!] ?? 0);
    matched = true;
  }
  return matched ? total : null;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export class ServerProbe {
  /** Whether the last probe reached the system account (null before the first probe). */
  private systemAccess: boolean | null = null;

  constructor(private readonly options: ServerProbeOptions) {}

  /** Every server, from the first source that answers. Never throws for an unavailable source. */
  async probe(): Promise<ProbeResult> {
    const failures: string[] = [];
    const nc = this.options.connection();
    if (nc) {
      try {
        const servers = await this.viaSystem(nc);
        this.systemAccess = servers.length > 0;
        if (servers.length > 0) return { source: 'system', sourceLabel: 'system account', hint: null, servers };
        failures.push('the system account did not answer (the connection is not a system account user)');
      } catch (error) {
        failures.push(`the system account: ${(error as Error).message}`);
      }
    } else {
      failures.push('not connected to NATS');
    }
    const url = this.options.monitorUrl;
    if (url) {
      try {
        const server = await this.viaMonitor(url);
        return { source: 'monitor', sourceLabel: url, hint: null, servers: [server] };
      } catch (error) {
        failures.push(`the monitoring URL ${url}: ${(error as Error).message}`);
        return {
          source: 'none',
          sourceLabel: 'none',
          hint: `${failures.join('; ')}. Check that nats-server runs with -m and that the URL is right.`,
          servers: []
        };
      }
    }
    return { source: 'none', sourceLabel: 'none', hint: NO_SOURCE_HINT, servers: [] };
  }

  /** Connections of every server (or one), sorted by the server, from the first source that answers. */
  async connections(
    sort: ConnectionSort,
    limit: number,
    serverId?: string
  ): Promise<{ source: ServerSource; hint: string | null; connections: ServerConnection[]; total: number }> {
    // A user account's connection may ask CONNZ too (the server answers with that account's own
    // connections): use the system path only when the probe found system access.
    if (this.systemAccess === null) await this.probe();
    const nc = this.systemAccess ? this.options.connection() : null;
    const query = { sort, limit, auth: true };
    if (nc) {
      const answers = await this.ping(nc, 'CONNZ', query, serverId).catch(() => []);
      if (answers.length > 0) {
        const list = answers.flatMap((a) => toConnections(a.server, a.data));
        const total = answers.reduce((sum, a) => sum + num(a.data.total), 0);
        return { source: 'system', hint: null, connections: sortConnections(list, sort).slice(0, limit), total };
      }
    }
    const url = this.options.monitorUrl;
    if (url) {
      const varz = await httpJson(url, '/varz', this.httpTimeout());
      const id = String(varz.server_id ?? '');
      if (serverId && serverId !== id) return { source: 'monitor', hint: null, connections: [], total: 0 };
      const data = await httpJson(url, `/connz?sort=${sort}&limit=${limit}&auth=1`, this.httpTimeout());
      const server = { id, name: String(varz.server_name ?? id) };
      return { source: 'monitor', hint: null, connections: toConnections(server, data), total: num(data.total) };
    }
    return { source: 'none', hint: NO_SOURCE_HINT, connections: [], total: 0 };
  }

  /** Every server's answer time to one PING (or to the monitoring port's /healthz). */
  async pingAll(): Promise<{
    source: ServerSource;
    hint: string | null;
    servers: Array<{ id: string; name: string; version: string; rttMs: number }>;
  }> {
    const nc = this.options.connection();
    if (nc) {
      const started = performance.now();
      const answers = await this.ping(nc, 'VARZ', null, undefined, () => performance.now() - started).catch(() => []);
      if (answers.length > 0) {
        return {
          source: 'system',
          hint: null,
          servers: answers.map((a) => ({
            id: a.server.id,
            name: String(a.data.server_name ?? a.server.name),
            version: String(a.data.version ?? ''),
            rttMs: a.elapsedMs ?? 0
          }))
        };
      }
    }
    const url = this.options.monitorUrl;
    if (url) {
      const started = performance.now();
      const varz = await httpJson(url, '/varz', this.httpTimeout());
      const id = String(varz.server_id ?? '');
      return {
        source: 'monitor',
        hint: null,
        servers: [
          {
            id,
            name: String(varz.server_name ?? id),
            version: String(varz.version ?? ''),
            rttMs: performance.now() - started
          }
        ]
      };
    }
    return { source: 'none', hint: NO_SOURCE_HINT, servers: [] };
  }

  private httpTimeout(): number {
    return this.options.httpTimeoutMs ?? 3000;
  }

  /**
   * One PING to every server: the answers that arrive within the wait, by server. A server that
   * answers with an error object is skipped (its error is not a server summary).
   */
  private async ping(
    nc: NatsConnection,
    endpoint: string,
    body: Json | null = null,
    serverId?: string,
    clock?: () => number
  ): Promise<Array<{ server: { id: string; name: string }; data: Json; elapsedMs?: number }>> {
    const subject = serverId ? `$SYS.REQ.SERVER.${serverId}.${endpoint}` : `${PING}.${endpoint}`;
    const wait = this.options.pingWaitMs ?? 700;
    let iterator: AsyncIterable<{ json<T>(): T }>;
    try {
      iterator = await nc.requestMany(subject, body ? JSON.stringify(body) : '', {
        maxWait: wait,
        ...(serverId ? { strategy: 'count' as const, maxMessages: 1 } : {})
      });
    } catch (error) {
      if ((error as Error).name === 'NoRespondersError' || /no responders/i.test((error as Error).message)) return [];
      throw error;
    }
    const answers: Array<{ server: { id: string; name: string }; data: Json; elapsedMs?: number }> = [];
    try {
      for await (const msg of iterator) {
        let parsed: Json;
        try {
          parsed = msg.json<Json>();
        } catch {
          continue;
        }
        if (!parsed || typeof parsed !== 'object' || !parsed.data || parsed.error) continue;
        const server = parsed.server ?? {};
        answers.push({
          server: { id: String(server.id ?? ''), name: String(server.name ?? server.id ?? '') },
          data: parsed.data,
          ...(clock ? { elapsedMs: clock() } : {})
        });
      }
    } catch (error) {
      if ((error as Error).name === 'NoRespondersError' || /no responders/i.test((error as Error).message)) return [];
      throw error;
    }
    return answers;
  }

  private async viaSystem(nc: NatsConnection): Promise<RawServer[]> {
    const varz = await this.ping(nc, 'VARZ');
    if (varz.length === 0) return [];
    const [healthz, jsz, routez, leafz] = await Promise.all(
      ['HEALTHZ', 'JSZ', 'ROUTEZ', 'LEAFZ'].map((e) => this.ping(nc, e).catch(() => []))
    );
    const byId = (list: Array<{ server: { id: string }; data: Json }> | undefined, id: string): Json | null =>
      list?.find((a) => a.server.id === id)?.data ?? null;
    return varz.map(({ server, data }) => ({
      id: server.id || String(data.server_id ?? ''),
      name: String(data.server_name ?? server.name),
      varz: data,
      healthz: byId(healthz, server.id),
      jsz: byId(jsz, server.id),
      routez: byId(routez, server.id),
      leafz: byId(leafz, server.id)
    }));
  }

  private async viaMonitor(url: string): Promise<RawServer> {
    const timeout = this.httpTimeout();
    const varz = await httpJson(url, '/varz', timeout);
    const [healthz, jsz, routez, leafz] = await Promise.all(
      ['/healthz', '/jsz', '/routez', '/leafz'].map((p) => httpJson(url, p, timeout, true).catch(() => null))
    );
    const id = String(varz.server_id ?? '');
    return { id, name: String(varz.server_name ?? id), varz, healthz, jsz, routez, leafz };
  }
}

/** GET a monitoring endpoint as JSON. `anyStatus` keeps the body of a non-2xx answer (healthz says 503 + JSON). */
async function httpJson(base: string, endpoint: string, timeoutMs: number, anyStatus = false): Promise<Json> {
  const url = new URL(endpoint, base.endsWith('/') ? base : `${base}/`);
  // Endpoints are relative to the configured URL, which may carry a base path.
  url.pathname = `${new URL(base).pathname.replace(/\/$/, '')}${endpoint.split('?')[0]}`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    throw new Error(cause ? `unreachable (${cause})` : `unreachable (${(error as Error).message})`);
  }
  if (!response.ok && !anyStatus) throw new Error(`answered HTTP ${response.status}`);
  const text = await response.text();
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new Error('did not answer JSON: is this the nats-server monitoring port?');
  }
}

/** Turns a server's raw answers into the contract's summary (rates are added by the caller). */
export function toSummary(raw: RawServer, sampledAt: string): Omit<ServerSummary, 'rates' | 'slowConsumersDelta'> {
  const v = raw.varz;
  const js = raw.jsz ?? null;
  const vjs = v.jetstream && typeof v.jetstream === 'object' ? (v.jetstream as Json) : null;
  const jsConfig = (js?.config ?? vjs?.config ?? null) as Json | null;
  const jsStats = (vjs?.stats ?? null) as Json | null;
  const jetstreamOn = Boolean(jsConfig && (num(jsConfig.max_memory) !== 0 || num(jsConfig.max_storage) !== 0 || js));
  const health = raw.healthz
    ? {
        status: (raw.healthz.status === 'ok'
          ? 'ok'
          : raw.healthz.status === 'unavailable'
            ? 'unavailable'
            : 'error') as ServerSummary['health']['status'],
        error: str(raw.healthz.error)
      }
    : { status: 'unknown' as const, error: null };
  const routes = Array.isArray(raw.routez?.routes) ? (raw.routez!.routes as Json[]) : [];
  const leafs = Array.isArray(raw.leafz?.leafs) ? (raw.leafz!.leafs as Json[]) : [];
  const cluster = v.cluster && typeof v.cluster === 'object' ? str((v.cluster as Json).name) : null;
  return {
    id: raw.id,
    name: raw.name,
    cluster,
    host: String(v.host ?? ''),
    version: String(v.version ?? ''),
    start: String(v.start ?? sampledAt),
    uptimeSeconds: parseGoDuration(v.uptime) ?? 0,
    cpuPercent: num(v.cpu),
    cores: Math.max(0, Math.trunc(num(v.cores))),
    memoryBytes: num(v.mem),
    connections: Math.trunc(num(v.connections)),
    totalConnections: num(v.total_connections),
    subscriptions: num(v.subscriptions),
    slowConsumers: num(v.slow_consumers),
    inMsgs: num(v.in_msgs),
    outMsgs: num(v.out_msgs),
    inBytes: num(v.in_bytes),
    outBytes: num(v.out_bytes),
    jetstream: jetstreamOn
      ? {
          memoryBytes: num(js?.memory ?? jsStats?.memory),
          storageBytes: num(js?.storage ?? jsStats?.storage),
          maxMemoryBytes: num(jsConfig?.max_memory),
          maxStorageBytes: num(jsConfig?.max_storage),
          streams: js ? num(js.streams) : null,
          consumers: js ? num(js.consumers) : null,
          messages: js ? num(js.messages) : null,
          apiTotal: num(js?.api?.total ?? jsStats?.api?.total),
          apiErrors: num(js?.api?.errors ?? jsStats?.api?.errors),
          metaLeader: str(js?.meta_cluster?.leader ?? vjs?.meta?.leader)
        }
      : null,
    health,
    routes: routes.map((r) => ({
      remoteId: String(r.remote_id ?? ''),
      remoteName: str(r.remote_name),
      ip: String(r.ip ?? ''),
      port: Math.trunc(num(r.port)),
      pendingBytes: num(r.pending_size),
      inMsgs: num(r.in_msgs),
      outMsgs: num(r.out_msgs)
    })),
    leafnodes: leafs.map((l) => ({
      name: str(l.name),
      account: str(l.account),
      ip: String(l.ip ?? ''),
      port: Math.trunc(num(l.port)),
      rttMs: (() => {
        const s = parseGoDuration(l.rtt);
        return s === null ? null : s * 1000;
      })()
    })),
    sampledAt
  };
}

function toConnections(server: { id: string; name: string }, data: Json): ServerConnection[] {
  const list = Array.isArray(data.connections) ? (data.connections as Json[]) : [];
  return list.map((c) => {
    const rtt = parseGoDuration(c.rtt);
    return {
      serverId: server.id,
      serverName: server.name,
      cid: Math.trunc(num(c.cid)),
      name: str(c.name),
      lang: str(c.lang),
      version: str(c.version),
      ip: String(c.ip ?? ''),
      port: Math.trunc(num(c.port)),
      account: str(c.account),
      pendingBytes: num(c.pending_bytes),
      outMsgs: num(c.out_msgs),
      inMsgs: num(c.in_msgs),
      outBytes: num(c.out_bytes),
      inBytes: num(c.in_bytes),
      subscriptions: num(c.subscriptions),
      rttMs: rtt === null ? null : rtt * 1000,
      idleSeconds: parseGoDuration(c.idle),
      uptimeSeconds: parseGoDuration(c.uptime)
    };
  });
}

/** Merges the connections of several servers in the order the server uses for one. */
export function sortConnections(list: ServerConnection[], sort: ConnectionSort): ServerConnection[] {
  const key: Record<ConnectionSort, (c: ServerConnection) => number> = {
    pending: (c) => -c.pendingBytes,
    msgs_to: (c) => -c.outMsgs,
    msgs_from: (c) => -c.inMsgs,
    bytes_to: (c) => -c.outBytes,
    bytes_from: (c) => -c.inBytes,
    subs: (c) => -c.subscriptions,
    idle: (c) => -(c.idleSeconds ?? 0),
    cid: (c) => c.cid
  };
  const k = key[sort];
  return [...list].sort((a, b) => k(a) - k(b));
}
