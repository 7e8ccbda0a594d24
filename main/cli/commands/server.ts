/**
 * `synos-cc server ls|info|ping|connz|jsz|check` — the NATS servers themselves, with natscli's
 * spellings. Read through the system account when the credentials belong to it, else through
 * `--monitor-url` (or `monitoring.serverMonitorUrl`); every listing has --json. `check` prints one
 * Nagios-style line and exits 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN like natscli's checks.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { ContractError, type ConnectionSort, type ServerSummary, type ServersOverview } from '../../contract';
import { ConnectionSortSchema } from '../../contract/servers';
import type { Core } from '../../app/create-core';
import { globalsOf, openCore, parseIntOption, parseNumberOption, withCore } from '../context';
import { ExitWith, formatBytes, plural, printJson, printTable } from '../io';

interface ServerOptions {
  monitorUrl?: string;
  json?: boolean;
}

/** A started core for one server command; it connects if it can (the monitoring URL works without). */
async function withServerCore<T>(command: Command, fn: (core: Core) => Promise<T>): Promise<T> {
  const opts = command.optsWithGlobals() as ServerOptions;
  const core = openCore(globalsOf(command), {
    autoConnect: false,
    quiet: true,
    overrides: { provision: false, ...(opts.monitorUrl ? { serverMonitorUrl: opts.monitorUrl } : {}) }
  });
  return withCore(core, async (c) => {
    await c.api.invoke('connection.connect', {});
    return fn(c);
  });
}

/** Fails with the hint when no source could be read (and nothing is cached). */
function requireServers(overview: ServersOverview): ServersOverview {
  if (overview.servers.length === 0) {
    throw new ContractError('UNAVAILABLE', overview.hint ?? 'no server answered', { source: overview.source });
  }
  if (overview.cached) process.stderr.write(`offline: showing the servers as sampled at ${overview.snapshotTime}\n`);
  return overview;
}

const duration = (seconds: number): string => {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return d > 0 ? `${d}d${h}h` : h > 0 ? `${h}h${m}m` : m > 0 ? `${m}m${s}s` : `${s}s`;
};
const count = (n: number): string =>
  n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}K` : String(n);
/** JetStream storage used as a fraction of this server's limit, or null when unlimited / off. */
export function storageFraction(s: ServerSummary): number | null {
  if (!s.jetstream || s.jetstream.maxStorageBytes <= 0) return null;
  return s.jetstream.storageBytes / s.jetstream.maxStorageBytes;
}

function parseSort(value: string): ConnectionSort {
  const parsed = ConnectionSortSchema.safeParse(value);
  if (!parsed.success)
    throw new InvalidArgumentError(`--sort must be one of ${ConnectionSortSchema.options.join(', ')}.`);
  return parsed.data;
}

/** The check of `server check`: the worst state of every server, with the reasons. */
export function checkServers(
  overview: ServersOverview,
  limits: { storageWarn: number; storageCrit: number; slowWarn: number; slowCrit: number; expect?: number }
): { status: 0 | 1 | 2 | 3; line: string } {
  if (overview.servers.length === 0 || overview.cached) {
    return {
      status: 3,
      line: `UNKNOWN ${overview.cached ? 'offline, the last sample is stale' : (overview.hint ?? 'no server answered')}`
    };
  }
  const crit: string[] = [];
  const warn: string[] = [];
  for (const s of overview.servers) {
    if (s.health.status !== 'ok' && s.health.status !== 'unknown')
      crit.push(`${s.name} unhealthy (${s.health.status}${s.health.error ? `: ${s.health.error}` : ''})`);
    const used = storageFraction(s);
    if (used !== null && used * 100 >= limits.storageCrit)
      crit.push(`${s.name} JetStream storage ${(used * 100).toFixed(1)}%`);
    else if (used !== null && used * 100 >= limits.storageWarn)
      warn.push(`${s.name} JetStream storage ${(used * 100).toFixed(1)}%`);
    if (s.slowConsumers >= limits.slowCrit) crit.push(`${s.name} ${s.slowConsumers} slow consumers`);
    else if (s.slowConsumers >= limits.slowWarn) warn.push(`${s.name} ${s.slowConsumers} slow consumers`);
  }
  if (limits.expect !== undefined && overview.servers.length !== limits.expect)
    crit.push(`${plural(overview.servers.length, 'server')} answered, expected ${limits.expect}`);
  const perf = overview.servers
    .map((s) => `${s.name}_connections=${s.connections} ${s.name}_slow_consumers=${s.slowConsumers}`)
    .join(' ');
  const status = crit.length > 0 ? 2 : warn.length > 0 ? 1 : 0;
  const word = ['OK', 'WARNING', 'CRITICAL'][status];
  const reasons = [...crit, ...warn];
  const text = reasons.length > 0 ? reasons.join('; ') : `${plural(overview.servers.length, 'server')} healthy`;
  return { status, line: `${word} ${text} | ${perf}` };
}

export function registerServer(program: Command): void {
  const server = program
    .command('server')
    .description('the NATS servers: list, info, ping, connections, JetStream usage and a Nagios-style check')
    .option(
      '--monitor-url <url>',
      'monitoring port of a nats-server (http://host:8222) when not using the system account'
    );

  server
    .command('ls')
    .alias('list')
    .description('every server: version, uptime, connections, traffic, JetStream usage, health')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      await withServerCore(command, async (core) => {
        const overview = requireServers(await core.api.invoke('servers.overview', { refresh: true }));
        if (opts.json) {
          printJson(overview);
          return;
        }
        process.stderr.write(`source: ${overview.sourceLabel}\n`);
        printTable(
          [
            'NAME',
            'CLUSTER',
            'HOST',
            'VERSION',
            'UPTIME',
            'CONNS',
            'SUBS',
            'SLOW',
            'CPU',
            'MEM',
            'IN MSGS',
            'OUT MSGS',
            'JS STORAGE',
            'HEALTH'
          ],
          overview.servers.map((s) => [
            s.name,
            s.cluster ?? '-',
            s.host,
            s.version,
            duration(s.uptimeSeconds),
            s.connections,
            s.subscriptions,
            s.slowConsumers,
            `${s.cpuPercent.toFixed(1)}%`,
            formatBytes(s.memoryBytes),
            count(s.inMsgs),
            count(s.outMsgs),
            s.jetstream ? formatBytes(s.jetstream.storageBytes) : 'off',
            s.health.status
          ])
        );
      });
    });

  server
    .command('info')
    .description('one server in detail (by name or id; every server without one)')
    .argument('[server]', 'server name or id')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, opts: { json?: boolean }, command: Command) => {
      await withServerCore(command, async (core) => {
        const overview = requireServers(await core.api.invoke('servers.overview', { refresh: true }));
        const chosen = name ? overview.servers.filter((s) => s.name === name || s.id === name) : overview.servers;
        if (chosen.length === 0) {
          throw new ContractError(
            'NOT_FOUND',
            `no server named ${name}; known: ${overview.servers.map((s) => s.name).join(', ')}`
          );
        }
        if (opts.json) {
          printJson(name ? chosen[0] : chosen);
          return;
        }
        for (const s of chosen) {
          const js = s.jetstream;
          const lines: Array<[string, string]> = [
            ['Name', s.name],
            ['Id', s.id],
            ['Cluster', s.cluster ?? '-'],
            ['Version', s.version],
            ['Uptime', duration(s.uptimeSeconds)],
            ['CPU / cores', `${s.cpuPercent.toFixed(1)}% / ${s.cores}`],
            ['Memory', formatBytes(s.memoryBytes)],
            ['Connections', `${s.connections} (${s.totalConnections} since start)`],
            ['Subscriptions', String(s.subscriptions)],
            ['Slow consumers', String(s.slowConsumers)],
            ['Messages in / out', `${s.inMsgs} / ${s.outMsgs}`],
            ['Bytes in / out', `${formatBytes(s.inBytes)} / ${formatBytes(s.outBytes)}`],
            [
              'JetStream',
              js
                ? `memory ${formatBytes(js.memoryBytes)} of ${js.maxMemoryBytes > 0 ? formatBytes(js.maxMemoryBytes) : 'unlimited'}, storage ${formatBytes(js.storageBytes)} of ${js.maxStorageBytes > 0 ? formatBytes(js.maxStorageBytes) : 'unlimited'}`
                : 'off'
            ],
            ['Health', `${s.health.status}${s.health.error ? ` (${s.health.error})` : ''}`],
            ['Routes', s.routes.length > 0 ? s.routes.map((r) => r.remoteName ?? r.remoteId).join(', ') : 'none'],
            ['Leafnodes', s.leafnodes.length > 0 ? s.leafnodes.map((l) => l.name ?? l.ip).join(', ') : 'none']
          ];
          for (const [k, v] of lines) process.stdout.write(`${k.padEnd(18)} ${v}\n`);
          process.stdout.write('\n');
        }
      });
    });

  server
    .command('ping')
    .description('ping every server and print the time each answer took')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      await withServerCore(command, async (core) => {
        const answer = await core.api.invoke('servers.ping', {});
        if (answer.servers.length === 0) throw new ContractError('UNAVAILABLE', answer.hint ?? 'no server answered');
        if (opts.json) {
          printJson(answer);
          return;
        }
        for (const s of answer.servers)
          process.stdout.write(`${s.name.padEnd(40)} ${s.version.padEnd(10)} ${s.rttMs.toFixed(2)} ms\n`);
        process.stdout.write(
          `${plural(answer.servers.length, 'server')} answered (${answer.source === 'system' ? 'system account' : 'monitoring port'})\n`
        );
      });
    });

  server
    .command('connz')
    .description('client connections, sorted (pending, msgs_to, msgs_from, bytes_to, bytes_from, subs, idle, cid)')
    .option('--sort <by>', 'sort order', parseSort, 'pending' as ConnectionSort)
    .option('--limit <n>', 'at most this many', parseIntOption('--limit', 1, 1000), 100)
    .option('--server <id>', 'only this server (id)')
    .option('--json', 'print JSON')
    .action(
      async (opts: { sort: ConnectionSort; limit: number; server?: string; json?: boolean }, command: Command) => {
        await withServerCore(command, async (core) => {
          const answer = await core.api.invoke('servers.connections', {
            sort: opts.sort,
            limit: opts.limit,
            ...(opts.server ? { serverId: opts.server } : {})
          });
          if (answer.source === 'none') throw new ContractError('UNAVAILABLE', answer.hint ?? 'no server answered');
          if (opts.json) {
            printJson(answer);
            return;
          }
          printTable(
            [
              'SERVER',
              'CID',
              'NAME',
              'LANG',
              'VERSION',
              'IP',
              'PENDING',
              'MSGS TO',
              'MSGS FROM',
              'SUBS',
              'IDLE',
              'RTT'
            ],
            answer.connections.map((c) => [
              c.serverName,
              c.cid,
              c.name ?? '-',
              c.lang ?? '-',
              c.version ?? '-',
              `${c.ip}:${c.port}`,
              formatBytes(c.pendingBytes),
              count(c.outMsgs),
              count(c.inMsgs),
              c.subscriptions,
              c.idleSeconds === null ? '-' : duration(c.idleSeconds),
              c.rttMs === null ? '-' : `${c.rttMs.toFixed(2)}ms`
            ])
          );
          process.stdout.write(`${answer.connections.length} of ${plural(answer.total, 'connection')}\n`);
        });
      }
    );

  server
    .command('jsz')
    .description('JetStream usage of every server against its limits')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      await withServerCore(command, async (core) => {
        const overview = requireServers(await core.api.invoke('servers.overview', { refresh: true }));
        const rows = overview.servers.map((s) => ({ server: s.name, id: s.id, jetstream: s.jetstream }));
        if (opts.json) {
          printJson(rows);
          return;
        }
        printTable(
          [
            'SERVER',
            'STREAMS',
            'CONSUMERS',
            'MESSAGES',
            'MEMORY',
            'STORAGE',
            'STORAGE USED',
            'API',
            'API ERRORS',
            'META LEADER'
          ],
          overview.servers.map((s) => {
            const js = s.jetstream;
            if (!js) return [s.name, 'off', '', '', '', '', '', '', '', ''];
            const used = storageFraction(s);
            return [
              s.name,
              js.streams ?? '-',
              js.consumers ?? '-',
              js.messages ?? '-',
              formatBytes(js.memoryBytes),
              formatBytes(js.storageBytes),
              used === null ? 'unlimited' : `${(used * 100).toFixed(1)}%`,
              js.apiTotal,
              js.apiErrors,
              js.metaLeader ?? '-'
            ];
          })
        );
      });
    });

  server
    .command('check')
    .description(
      'Nagios-style check of every server: health, JetStream storage, slow consumers (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)'
    )
    .option(
      '--js-storage-warn <percent>',
      'warn at this JetStream storage use',
      parseNumberOption('--js-storage-warn', 0, 100),
      75
    )
    .option(
      '--js-storage-crit <percent>',
      'critical at this JetStream storage use',
      parseNumberOption('--js-storage-crit', 0, 100),
      90
    )
    .option(
      '--slow-warn <n>',
      'warn at this many slow consumers',
      parseIntOption('--slow-warn', 1, Number.MAX_SAFE_INTEGER),
      1
    )
    .option(
      '--slow-crit <n>',
      'critical at this many slow consumers',
      parseIntOption('--slow-crit', 1, Number.MAX_SAFE_INTEGER),
      100
    )
    .option('--expect <n>', 'critical unless exactly this many servers answer', parseIntOption('--expect', 1, 1000))
    .option('--json', 'print JSON')
    .action(
      async (
        opts: {
          jsStorageWarn: number;
          jsStorageCrit: number;
          slowWarn: number;
          slowCrit: number;
          expect?: number;
          json?: boolean;
        },
        command: Command
      ) => {
        let result: { status: 0 | 1 | 2 | 3; line: string };
        try {
          result = await withServerCore(command, async (core) =>
            checkServers(await core.api.invoke('servers.overview', { refresh: true }), {
              storageWarn: opts.jsStorageWarn,
              storageCrit: opts.jsStorageCrit,
              slowWarn: opts.slowWarn,
              slowCrit: opts.slowCrit,
              ...(opts.expect !== undefined ? { expect: opts.expect } : {})
            })
          );
        } catch (error) {
          result = { status: 3, line: `UNKNOWN ${(error as Error).message}` };
        }
        if (opts.json)
          printJson({
            status: ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'][result.status],
            code: result.status,
            line: result.line
          });
        else process.stdout.write(`${result.line}\n`);
        if (result.status !== 0) throw new ExitWith(result.status);
      }
    );
}
