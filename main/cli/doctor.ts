/**
 * `synos-cc doctor`: the deployment-readiness check as one command. Each check gives one line —
 * pass, warn or fail — and, when it is not a pass, the fix. Credentials are described (kind, file
 * names), never printed. File modes are read before the core opens the data directory (opening
 * it tightens them, which would hide what was there).
 */
import fs from 'node:fs';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { toErrorShape, type OutboxStatsPayload, type ProvisionReport } from '../contract';
import type { Config } from '../core/config';
import type { Core } from '../app/create-core';
import { formatMode, modeOf } from '../core/file-modes';
import { CONFIG_FILE, DATABASE_FILE } from '../core/paths';
import { supports } from '../nats/connection';
import { describeReport, desiredConsumers } from '../nats/topology';
import { freeBytes } from '../store/database';
import { formatBytes } from './io';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  id: string;
  status: CheckStatus;
  /** One line: what was found. */
  summary: string;
  /** What to do, for warn and fail. */
  fix: string | null;
  /** More lines (drift differences, lagging consumers). */
  details?: string[];
}

const pass = (id: string, summary: string, details?: string[]): CheckResult => ({
  id,
  status: 'pass',
  summary,
  fix: null,
  ...(details && details.length > 0 ? { details } : {})
});
const warn = (id: string, summary: string, fix: string, details?: string[]): CheckResult => ({
  id,
  status: 'warn',
  summary,
  fix,
  ...(details && details.length > 0 ? { details } : {})
});
const fail = (id: string, summary: string, fix: string, details?: string[]): CheckResult => ({
  id,
  status: 'fail',
  summary,
  fix,
  ...(details && details.length > 0 ? { details } : {})
});

/** Thresholds of the checks (the alert rules' defaults, where one exists). */
export const DOCTOR_LIMITS = {
  consumerPendingWarn: 1000,
  outboxBacklogWarn: 1000,
  outboxBacklogFail: 10_000,
  freeBytesWarn: 256 * 1024 * 1024,
  freeBytesFail: 1024 * 1024,
  clockSkewWarnMs: 2000,
  clockSkewFailMs: 60_000
} as const;

/**
 * Data directory and file modes, read before anything opens them. The directory should be 0700
 * and the files holding messages or credentials 0600: a group/other-readable database is a fail
 * (it holds every stored message, sealed secrets and the key that opens them may sit next to it).
 */
export function checkFileModes(dataDir: string): CheckResult {
  const dirMode = modeOf(dataDir);
  if (dirMode === null)
    return warn('files', `data directory ${dataDir} does not exist yet`, 'It is created (0700) at the first start.');
  const problems: string[] = [];
  const loose: string[] = [];
  let worst: CheckStatus = 'pass';
  if ((dirMode & 0o077) !== 0) {
    problems.push(`${dataDir}: ${formatMode(dirMode)} (want 0700)`);
    worst = 'warn';
  }
  const files = [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`, CONFIG_FILE, 'secret.key'];
  for (const name of files) {
    const mode = modeOf(path.join(dataDir, name));
    if (mode === null || (mode & 0o077) === 0) continue;
    problems.push(`${name}: ${formatMode(mode)} (want 0600)`);
    loose.push(path.join(dataDir, name));
    worst = 'fail';
  }
  if (problems.length === 0) return pass('files', `${dataDir} is 0700 and its files 0600`);
  const commands = [
    (dirMode & 0o077) !== 0 ? `chmod 700 ${dataDir}` : null,
    loose.length > 0 ? `chmod 600 ${loose.join(' ')}` : null
  ].filter(Boolean);
  const fix = `${commands.join(' && ')} (a core started on it also tightens them)`;
  const summary = `readable by other users: ${problems.join(', ')}`;
  return worst === 'fail' ? fail('files', summary, fix) : warn('files', summary, fix);
}

/** Free space on the data directory's disk. */
export function checkDisk(dataDir: string): CheckResult {
  const target = fs.existsSync(dataDir) ? dataDir : path.dirname(dataDir);
  const free = freeBytes(target);
  if (free === null) return warn('disk', `cannot read the free space of ${target}`, 'Check the filesystem with df -h.');
  const text = `${formatBytes(free)} free on the disk of ${dataDir}`;
  const fix = `Free space (df -h ${target}) or move the data directory (--data DIR): a full disk stops the outbox, alerts and engine state from being stored (DISK_FULL).`;
  if (free < DOCTOR_LIMITS.freeBytesFail) return fail('disk', text, fix);
  if (free < DOCTOR_LIMITS.freeBytesWarn) return warn('disk', text, fix);
  return pass('disk', text);
}

/** Credentials and TLS in use, described without a secret. */
export function checkCredentials(
  config: Config,
  target: { profile: string | null; server: string | null }
): CheckResult[] {
  const auth = config.nats.auth;
  const kinds: string[] = [];
  if (auth.credsFile) kinds.push(`creds file ${auth.credsFile}`);
  if (auth.nkeyFile) kinds.push(`nkey seed file ${auth.nkeyFile}`);
  if (auth.user) kinds.push(`user ${auth.user} with ${auth.password !== undefined ? 'a password' : 'no password'}`);
  if (auth.token) kinds.push('a token');
  const credentials = target.profile
    ? pass('credentials', `profile "${target.profile}" (its secrets are sealed in the database)`)
    : kinds.length > 0
      ? pass('credentials', kinds.join(', '))
      : pass('credentials', 'none (the server accepts anonymous clients)');
  const tls = config.nats.tls;
  const host = (() => {
    try {
      return new URL(target.server ?? config.nats.servers[0] ?? '').hostname;
    } catch {
      return '';
    }
  })();
  const loopback = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);
  const anyTlsUrl = config.nats.servers.some((s) => s.startsWith('tls://') || s.startsWith('wss://'));
  let tlsCheck: CheckResult;
  if (tls || anyTlsUrl) {
    const parts = [tls?.caFile && `CA ${tls.caFile}`, tls?.certFile && `client certificate ${tls.certFile}`].filter(
      Boolean
    );
    tlsCheck = pass('tls', `TLS${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`);
  } else if (loopback || host === '') {
    tlsCheck = pass('tls', 'no TLS (the server is on this machine)');
  } else {
    tlsCheck = warn(
      'tls',
      `no TLS to ${host}: ${kinds.length > 0 || target.profile ? 'credentials and ' : ''}messages cross the network in clear`,
      'Enable TLS on the server and give --tls-ca (and --tls-cert/--tls-key for mutual TLS), or use a tls:// URL.'
    );
  }
  return [credentials, tlsCheck];
}

/**
 * Clock skew against the server: one message is stored in a temporary memory stream and the
 * server's timestamp compared with the midpoint of the local clock around the publish.
 */
async function measureClockSkew(nc: NatsConnection): Promise<number> {
  const jsm = await jetstreamManager(nc, { timeout: 5000 });
  const name = `SYNOS_DOCTOR_${process.pid}_${Date.now().toString(36)}`.toUpperCase();
  const subject = `synos_doctor.${name.toLowerCase()}`;
  await jsm.streams.add({ name, subjects: [subject], storage: 'memory' as never, max_msgs: 10 });
  try {
    const before = Date.now();
    const ack = await jsm.jetstream().publish(subject, new Uint8Array(0));
    const after = Date.now();
    const stored = await jsm.streams.getMessage(name, { seq: ack.seq });
    const serverMs = stored?.time.getTime();
    if (serverMs === undefined || !Number.isFinite(serverMs)) throw new Error('the stored message has no timestamp');
    return serverMs - (before + after) / 2;
  } finally {
    await jsm.streams.delete(name).catch(() => undefined);
  }
}

/**
 * The checks that need the server (reachable, JetStream, topology, consumers, clock) and the
 * outbox, on a started core. Returns them in the order they are shown.
 */
export async function serverChecks(core: Core): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const status = await core.api.invoke('connection.connect', {});
  if (status.state !== 'connected') {
    const last = status.lastError;
    out.push(
      fail(
        'server',
        `cannot connect to ${status.servers.join(', ')}: ${last ? `${last.code}: ${last.message}` : status.state}`,
        status.hint ?? 'Start nats-server (nats-server -js) or point the app at it with --nats URL.'
      )
    );
    return out;
  }
  const info = status.serverInfo;
  const features = [
    info?.jetstream ? 'jetstream' : null,
    `max_payload ${formatBytes(info?.max_payload ?? 0)}`,
    info?.cluster ? `cluster ${info.cluster}` : null,
    typeof info?.proto === 'number' ? `proto ${info.proto}` : null
  ].filter(Boolean);
  out.push(
    pass(
      'server',
      `nats-server ${info?.version ?? '?'} "${info?.server_name ?? ''}" at ${status.server ?? status.servers[0]} (${features.join(', ')})${status.rttMs !== null ? `, rtt ${status.rttMs} ms` : ''}`
    )
  );

  const nc = core.context.nats.requireConnection();
  let jetstreamOk = false;
  try {
    const jsm = await jetstreamManager(nc, { timeout: 5000 });
    const account = await jsm.getAccountInfo();
    const limit = (n: number): string => (n < 0 ? 'unlimited' : String(n));
    const limits = account.limits;
    jetstreamOk = true;
    out.push(
      pass(
        'jetstream',
        `enabled: ${account.streams} streams, ${account.consumers} consumers, memory ${formatBytes(account.memory)} of ${limits.max_memory < 0 ? 'unlimited' : formatBytes(limits.max_memory)}, storage ${formatBytes(account.storage)} of ${limits.max_storage < 0 ? 'unlimited' : formatBytes(limits.max_storage)}, max streams ${limit(limits.max_streams)}, max consumers ${limit(limits.max_consumers)}`
      )
    );
  } catch (error) {
    out.push(
      fail(
        'jetstream',
        `JetStream does not answer: ${toErrorShape(error).message}`,
        'Enable JetStream on the server (nats-server -js, or jetstream {} in its config) and give this account JetStream limits.'
      )
    );
  }
  if (!jetstreamOk) return [...out, ...(await outboxCheck(core))];

  try {
    const report: ProvisionReport = await core.api.invoke('streams.drift', {});
    const total = report.streams.length + report.consumers.length;
    if (report.inSync) {
      out.push(
        pass(
          'topology',
          `${report.streams.length} streams and ${report.consumers.length} consumers as provisioned${report.bridgeConsumers ? ` (bridge inbound: ${report.bridgeConsumers.durables.join(', ')})` : ''}`
        )
      );
    } else {
      const s = report.summary;
      const summary = `drift: ${total - s.unchanged} of ${total} differ (${s.missing} missing, ${s.drift} fixable, ${s.blocked} blocked, ${s.failed} failed)`;
      const details = describeReport(report);
      if (report.bridgeConsumers) details.push(`bridge inbound: ${report.bridgeConsumers.reason}`);
      const fix =
        report.bridgeConsumers?.handoverPending && s.blocked + s.failed === 0
          ? 'Start a core (synos-cc run or serve): its bridge hands the per-family durables over to consciousness_bridge.'
          : s.blocked > 0
            ? 'Run synos-cc provision for what it can fix; blocked differences (storage, retention) need the stream recreated — see synos-cc provision --check.'
            : 'Run synos-cc provision (any core provisions on connect unless --no-provision).';
      out.push(
        s.missing > 0 || s.failed > 0
          ? fail('topology', summary, fix, details)
          : warn('topology', summary, fix, details)
      );
    }
  } catch (error) {
    out.push(
      fail(
        'topology',
        `cannot compare the topology: ${toErrorShape(error).message}`,
        'Check the JetStream permissions of this account.'
      )
    );
  }

  try {
    const jsm = await jetstreamManager(nc, { timeout: 5000 });
    const lagging: string[] = [];
    const seen: string[] = [];
    // The bridge's inbound durables take the shape this server supports (one filtered durable on ≥ 2.10).
    const multiFilter = supports({ version: nc.info?.version ?? null, apiLevel: null }, 'multiFilter');
    for (const want of desiredConsumers({ multiFilter })) {
      try {
        const ci = await jsm.consumers.info(want.stream, want.durable_name);
        seen.push(want.durable_name);
        if (ci.num_pending > DOCTOR_LIMITS.consumerPendingWarn) {
          lagging.push(
            `${want.stream}/${want.durable_name}: ${ci.num_pending} pending, ${ci.num_ack_pending} unacknowledged`
          );
        }
      } catch {
        // a missing consumer is the topology check's finding
      }
    }
    if (seen.length === 0) {
      out.push(
        warn(
          'consumers',
          'no Syn_OS consumer on the server',
          'Run synos-cc provision, then start a core (run/serve) that consumes.'
        )
      );
    } else if (lagging.length > 0) {
      out.push(
        warn(
          'consumers',
          `${lagging.length} consumer(s) lag by more than ${DOCTOR_LIMITS.consumerPendingWarn} messages`,
          'Start (or check the log of) the core that consumes them: synos-cc run or serve.',
          lagging
        )
      );
    } else {
      out.push(
        pass(
          'consumers',
          `${seen.length} consumers, none more than ${DOCTOR_LIMITS.consumerPendingWarn} messages behind`
        )
      );
    }
  } catch (error) {
    out.push(
      warn(
        'consumers',
        `cannot read consumer lag: ${toErrorShape(error).message}`,
        'Check the JetStream permissions of this account.'
      )
    );
  }

  // The engine's lease holder: which core runs the engine for this account (main/leadership).
  for (const check of ENGINE_LEASE_CHECKS) out.push(await check(core));

  out.push(...(await outboxCheck(core)));

  try {
    const skew = await measureClockSkew(nc);
    const text = `local clock ${skew >= 0 ? 'behind' : 'ahead of'} the server by ${Math.abs(Math.round(skew))} ms`;
    const fix =
      'Synchronise the clocks (chrony or systemd-timesyncd): skew shifts message times, alert durations and JWT expiry.';
    if (Math.abs(skew) > DOCTOR_LIMITS.clockSkewFailMs) out.push(fail('clock', text, fix));
    else if (Math.abs(skew) > DOCTOR_LIMITS.clockSkewWarnMs) out.push(warn('clock', text, fix));
    else out.push(pass('clock', text));
  } catch (error) {
    out.push(
      warn(
        'clock',
        `cannot measure the clock skew: ${toErrorShape(error).message}`,
        'The account needs to create a small memory stream (synos_doctor.>) for this check.'
      )
    );
  }
  return out;
}

/** A check contributed by another area (the engine lease), run on the connected core. */
export type CoreCheck = (core: Core) => Promise<CheckResult>;

/**
 * The engine lease: a holder and when it took the lease pass; none is a warning (nobody consumes
 * the inbound events or decides until a core runs); an unreadable lease bucket is a warning too.
 */
export async function engineLeaseCheck(core: Core): Promise<CheckResult> {
  const fix =
    'Start a core that runs the engine (synos-cc run or serve, or the desktop app) on a machine that reaches NATS.';
  try {
    const view = await core.api.invoke('engine.leadership', {});
    if (view.error) return warn('engine-lease', `cannot read the engine lease: ${view.error}`, fix);
    const standbys = view.instances.filter((i) => i.role !== 'active').length;
    if (!view.leader) {
      return warn('engine-lease', `no core holds the engine lease (${view.instances.length} instances announced)`, fix);
    }
    const l = view.leader;
    return pass(
      'engine-lease',
      `held by ${l.host} (pid ${l.pid}, instance ${l.instance}) since ${l.since}, epoch ${l.epoch}; ${standbys} other instances`
    );
  } catch (error) {
    return warn('engine-lease', `cannot read the engine lease: ${toErrorShape(error).message}`, fix);
  }
}

/** Checks of the engine's leadership, run on the connected core. */
export const ENGINE_LEASE_CHECKS: CoreCheck[] = [engineLeaseCheck];

async function outboxCheck(core: Core): Promise<CheckResult[]> {
  try {
    const stats: OutboxStatsPayload = await core.api.invoke('outbox.stats', {});
    const waiting = stats.counts.pending + stats.counts.processing + stats.counts.retrying;
    const out: CheckResult[] = [];
    const age =
      stats.oldestUndeliveredAgeMs !== null ? `, oldest ${Math.round(stats.oldestUndeliveredAgeMs / 1000)} s old` : '';
    const backlog = `${waiting} waiting${age}`;
    const fix =
      'Start a core on this data directory (synos-cc run or serve) to deliver them; synos-cc outbox shows progress.';
    if (waiting >= DOCTOR_LIMITS.outboxBacklogFail) out.push(fail('outbox', backlog, fix));
    else if (waiting > DOCTOR_LIMITS.outboxBacklogWarn) out.push(warn('outbox', backlog, fix));
    else out.push(pass('outbox', backlog));
    if (stats.counts.dead > 0) {
      out.push(
        warn(
          'dead-letters',
          `${stats.counts.dead} dead letter(s)`,
          'See why with synos-cc dlq list; fix the cause (often no stream takes the subject), then synos-cc dlq retry --all.'
        )
      );
    } else out.push(pass('dead-letters', 'no dead letters'));
    return out;
  } catch (error) {
    return [fail('outbox', `cannot read the outbox: ${toErrorShape(error).message}`, 'See the database check above.')];
  }
}

/**
 * The key files of the active profile: stored (name and fingerprint, the files are not read) or
 * missing — a profile saved with paths by an older version whose file could not be imported.
 */
export async function profileKeyChecks(core: Core): Promise<CheckResult[]> {
  const { profiles, activeProfileId } = await core.api.invoke('profiles.list', {});
  const active = profiles.find((p) => p.id === activeProfileId);
  if (!active) return [];
  const auth =
    active.auth.kind === 'creds' ? active.auth.creds : active.auth.kind === 'nkey' ? active.auth.seedKey : null;
  const files = [auth, active.tls?.ca, active.tls?.cert, active.tls?.key].filter((k): k is NonNullable<typeof k> =>
    Boolean(k)
  );
  if (files.length === 0) return [];
  const missing = files.filter((f) => f.state === 'missing');
  if (missing.length > 0) {
    return [
      {
        id: 'profile-key-files',
        status: 'fail',
        summary: `active profile "${active.name}": ${missing.map((f) => `${f.kind} file ${f.fileName}`).join(', ')} missing — pick again`,
        fix: `Settings → Connection profiles → Edit "${active.name}" → Replace…; or synos-cc --nats URL --creds FILE profiles add "${active.name}" --replace (--nkey, --tls-ca, --tls-cert, --tls-key for the others)`
      }
    ];
  }
  return [
    pass(
      'profile-key-files',
      `active profile "${active.name}": ${files.map((f) => `${f.kind} ${f.fileName} (sha256 ${f.sha256?.slice(0, 16) ?? '?'}…)`).join(', ')}; stored sealed, the files are not read`
    )
  ];
}
