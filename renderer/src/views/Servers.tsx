import { useMemo, useState } from 'react';
import type { ConnectionSort, ServerConnection, ServerSample, ServerSummary } from '../../../main/contract';
import { CachedMark } from '../components/CachedMark';
import { LineChart, type ChartSeries } from '../components/Chart';
import { DataTable, type Column } from '../components/DataTable';
import { EmptyState } from '../components/EmptyState';
import { ErrorNote } from '../components/ErrorNote';
import { ViewHeader } from '../components/ViewHeader';
import { useQuery } from '../client/context';
import { formatBytes, formatCount, formatDuration, formatNumber, formatPercent } from '../lib/format';

const SORTS: Array<{ id: ConnectionSort; label: string }> = [
  { id: 'pending', label: 'Pending bytes' },
  { id: 'msgs_to', label: 'Messages to' },
  { id: 'msgs_from', label: 'Messages from' },
  { id: 'subs', label: 'Subscriptions' },
  { id: 'idle', label: 'Idle' }
];

function storageUse(s: ServerSummary): number | null {
  if (!s.jetstream || s.jetstream.maxStorageBytes <= 0) return null;
  return s.jetstream.storageBytes / s.jetstream.maxStorageBytes;
}

function healthClass(s: ServerSummary): string {
  if (s.health.status === 'ok') return 'ok';
  if (s.health.status === 'unknown') return 'muted';
  return 'bad';
}

function ServerCard({ server }: { server: ServerSummary }) {
  const js = server.jetstream;
  const used = storageUse(server);
  return (
    <article className="card" aria-label={`Server ${server.name}`} data-testid="server-card">
      <h2 className="mono" title={server.id}>
        {server.name}
      </h2>
      <p>
        <span className={`badge badge-${healthClass(server)}`} data-testid="server-health">
          {server.health.status === 'ok' ? 'healthy' : server.health.status}
        </span>{' '}
        {server.health.error && <span className="muted">{server.health.error}</span>}
      </p>
      <dl className="facts">
        <dt>Version</dt>
        <dd>{server.version}</dd>
        <dt>Cluster</dt>
        <dd>{server.cluster ?? 'not clustered'}</dd>
        <dt>Uptime</dt>
        <dd>{formatDuration(server.uptimeSeconds * 1000)}</dd>
        <dt>CPU</dt>
        <dd>
          {formatNumber(server.cpuPercent, 1)} % of {formatCount(server.cores, 'core')}
        </dd>
        <dt>Memory</dt>
        <dd>{formatBytes(server.memoryBytes)}</dd>
        <dt>Connections</dt>
        <dd data-testid="server-connections">{formatNumber(server.connections)}</dd>
        <dt>Subscriptions</dt>
        <dd>{formatNumber(server.subscriptions)}</dd>
        <dt>Messages in / out</dt>
        <dd>
          {server.rates
            ? `${formatNumber(server.rates.inMsgs, 1)} / ${formatNumber(server.rates.outMsgs, 1)} msg/s`
            : `${formatNumber(server.inMsgs)} / ${formatNumber(server.outMsgs)} (rates after the next sample)`}
        </dd>
        <dt>Bytes in / out</dt>
        <dd>
          {server.rates
            ? `${formatBytes(server.rates.inBytes)}/s / ${formatBytes(server.rates.outBytes)}/s`
            : `${formatBytes(server.inBytes)} / ${formatBytes(server.outBytes)}`}
        </dd>
        <dt>Slow consumers</dt>
        <dd className={server.slowConsumers > 0 ? 'bad' : undefined}>
          {formatNumber(server.slowConsumers)}
          {server.slowConsumersDelta ? ` (+${server.slowConsumersDelta} since the last sample)` : ''}
        </dd>
        <dt>JetStream</dt>
        <dd>
          {js ? (
            <>
              storage {formatBytes(js.storageBytes)} of{' '}
              {js.maxStorageBytes > 0 ? formatBytes(js.maxStorageBytes) : 'unlimited'}
              {used !== null && ` (${formatPercent(used)})`}, memory {formatBytes(js.memoryBytes)} of{' '}
              {js.maxMemoryBytes > 0 ? formatBytes(js.maxMemoryBytes) : 'unlimited'}
              {js.streams !== null && `, ${formatCount(js.streams, 'stream')}`}
              {js.consumers !== null && `, ${formatCount(js.consumers, 'consumer')}`}
            </>
          ) : (
            'off'
          )}
        </dd>
      </dl>
    </article>
  );
}

/** The cluster as a picture: every server a node, every route a line, leafnodes listed under their server. */
function ClusterPicture({ servers }: { servers: ServerSummary[] }) {
  const size = servers.length > 1 ? 320 : 110;
  const r = servers.length > 1 ? size / 2 - 50 : 0;
  const pos = new Map(
    servers.map((s, i) => {
      const a = (2 * Math.PI * i) / Math.max(1, servers.length) - Math.PI / 2;
      return [s.id, { x: 160 + r * Math.cos(a), y: size / 2 - 10 + r * Math.sin(a) }] as const;
    })
  );
  const edges: Array<{ from: string; to: string }> = [];
  for (const s of servers)
    for (const route of s.routes)
      if (pos.has(route.remoteId) && s.id < route.remoteId) edges.push({ from: s.id, to: route.remoteId });
  const routeCount = servers.reduce((n, s) => n + s.routes.length, 0);
  const leafs = servers.flatMap((s) => s.leafnodes.map((l) => ({ server: s.name, ...l })));
  return (
    <article className="card" aria-label="Cluster">
      <h2>Cluster</h2>
      <svg
        width={320}
        height={size}
        role="img"
        aria-label={`${formatCount(servers.length, 'server')}, ${formatCount(edges.length, 'route')} between them`}
      >
        {edges.map((e) => {
          const a = pos.get(e.from)!;
          const b = pos.get(e.to)!;
          return <line key={`${e.from}-${e.to}`} x1={a.x} y1={a.y} x2={b.x} y2={b.y} className="route-line" />;
        })}
        {servers.map((s) => {
          const p = pos.get(s.id)!;
          return (
            <g key={s.id} data-testid="cluster-node">
              <circle cx={p.x} cy={p.y} r={18} className={`node ${healthClass(s)}`} />
              <text x={p.x} y={p.y + 34} textAnchor="middle" className="node-label">
                {s.name.length > 18 ? `${s.name.slice(0, 16)}…` : s.name}
              </text>
            </g>
          );
        })}
      </svg>
      <p className="muted">
        {servers.length === 1 && routeCount === 0
          ? 'A single server: no routes.'
          : `${formatCount(routeCount, 'route')} seen from ${formatCount(servers.length, 'server')}.`}{' '}
        {leafs.length === 0
          ? 'No leafnode connections.'
          : `Leafnodes: ${leafs.map((l) => `${l.name ?? l.ip} → ${l.server}`).join(', ')}.`}
      </p>
    </article>
  );
}

const connectionColumns: Column<ServerConnection>[] = [
  { id: 'server', label: 'Server', render: (c) => c.serverName, sortValue: (c) => c.serverName },
  { id: 'cid', label: 'CID', render: (c) => c.cid, sortValue: (c) => c.cid, numeric: true },
  { id: 'name', label: 'Name', render: (c) => c.name ?? '—', sortValue: (c) => c.name ?? '' },
  {
    id: 'lang',
    label: 'Client',
    render: (c) => `${c.lang ?? '?'} ${c.version ?? ''}`,
    sortValue: (c) => `${c.lang ?? ''} ${c.version ?? ''}`
  },
  { id: 'ip', label: 'Address', render: (c) => `${c.ip}:${c.port}`, sortValue: (c) => c.ip },
  { id: 'account', label: 'Account', render: (c) => c.account ?? '—', sortValue: (c) => c.account ?? '' },
  {
    id: 'pending',
    label: 'Pending',
    render: (c) => formatBytes(c.pendingBytes),
    sortValue: (c) => c.pendingBytes,
    numeric: true
  },
  { id: 'out', label: 'Msgs to', render: (c) => formatNumber(c.outMsgs), sortValue: (c) => c.outMsgs, numeric: true },
  { id: 'in', label: 'Msgs from', render: (c) => formatNumber(c.inMsgs), sortValue: (c) => c.inMsgs, numeric: true },
  {
    id: 'subs',
    label: 'Subs',
    render: (c) => formatNumber(c.subscriptions),
    sortValue: (c) => c.subscriptions,
    numeric: true
  },
  {
    id: 'idle',
    label: 'Idle',
    render: (c) => (c.idleSeconds === null ? '—' : formatDuration(c.idleSeconds * 1000)),
    sortValue: (c) => c.idleSeconds ?? 0,
    numeric: true
  }
];

function Connections({ enabled }: { enabled: boolean }) {
  const [sort, setSort] = useState<ConnectionSort>('pending');
  const query = useQuery('servers.connections', { sort, limit: 200 }, { refreshMs: 10_000 });
  if (!enabled) return null;
  return (
    <article className="card" aria-label="Connections">
      <h2>Connections</h2>
      <label>
        Ask the servers for the top connections by{' '}
        <select value={sort} onChange={(e) => setSort(e.target.value as ConnectionSort)}>
          {SORTS.map((s) => (
            <option key={s.id} value={s.id}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      <ErrorNote error={query.error} />
      {query.data && (
        <>
          <p className="muted">
            {query.data.connections.length} of {formatCount(query.data.total, 'connection')}
          </p>
          <DataTable
            label="Connections"
            rows={query.data.connections}
            columns={connectionColumns}
            rowKey={(c) => `${c.serverId}/${c.cid}`}
            rowTestId="connection-row"
            empty={<EmptyState title="No client connections.">Clients appear here once they connect.</EmptyState>}
          />
        </>
      )}
    </article>
  );
}

function History({ samples }: { samples: ServerSample[] }) {
  const byServer = useMemo(() => {
    const map = new Map<string, ServerSample[]>();
    for (const s of samples) map.set(s.serverName, [...(map.get(s.serverName) ?? []), s]);
    return map;
  }, [samples]);
  const series = (pick: (s: ServerSample) => number | null): ChartSeries[] =>
    [...byServer.entries()].map(([name, list], i) => ({
      label: name,
      colorVar: `--series-${(i % 6) + 1}`,
      points: list.map((s) => ({ x: Date.parse(s.at), y: pick(s) }))
    }));
  if (samples.length === 0) {
    return (
      <article className="card">
        <h2>History</h2>
        <EmptyState title="No samples yet.">
          The servers are sampled every few seconds while the app runs; the last day is kept for this chart.
        </EmptyState>
      </article>
    );
  }
  return (
    <article className="card" aria-label="Server history">
      <h2>History (last day)</h2>
      <LineChart label="Messages in per second" yLabel="msg/s" series={series((s) => s.inMsgsPerSec)} height={180} />
      <LineChart label="Connections" yLabel="connections" series={series((s) => s.connections)} height={180} />
      <LineChart label="CPU" yLabel="%" series={series((s) => s.cpuPercent)} height={180} />
    </article>
  );
}

export function ServersView() {
  const overviewQuery = useQuery('servers.overview', {}, { refreshMs: 30_000 });
  const history = useQuery('servers.series', {}, { refreshMs: 30_000 });
  const shown = overviewQuery.data;
  return (
    <section>
      <ViewHeader title="Servers">
        <button type="button" onClick={overviewQuery.reload} disabled={overviewQuery.loading}>
          Refresh
        </button>
      </ViewHeader>
      <ErrorNote error={overviewQuery.error} />
      {!shown && overviewQuery.loading && <p className="muted">Asking the servers…</p>}
      {shown && (
        <>
          <p data-testid="server-source">
            {shown.source === 'system'
              ? 'Read through the system account: every server of the cluster answers.'
              : shown.source === 'monitor'
                ? `Read through the monitoring port ${shown.sourceLabel} (one server; use a system account user to see every server).`
                : 'No source of server information is available.'}{' '}
            <CachedMark cached={shown.cached} snapshotTime={shown.snapshotTime} />
          </p>
          {shown.servers.length === 0 ? (
            <EmptyState title="Nothing to show about the servers.">{shown.hint}</EmptyState>
          ) : (
            <>
              <div className="cards">
                {shown.servers.map((s) => (
                  <ServerCard key={s.id} server={s} />
                ))}
                <ClusterPicture servers={shown.servers} />
              </div>
              <Connections enabled={!shown.cached} />
            </>
          )}
        </>
      )}
      {history.data && <History samples={history.data.samples} />}
    </section>
  );
}
