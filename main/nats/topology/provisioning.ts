/**
 * Declarative provisioning of the Syn_OS topology (docs/architecture.md §2): compares the desired streams and
 * durable consumers of topology.ts with what the server has, field by field, and — unless asked
 * only to check — creates what is missing and updates what differs. Settings the server cannot
 * change in place (storage type, retention, a consumer's ack or deliver policy, or anything the
 * server refuses) are reported as blocked and left alone: a stream is never deleted to fix drift.
 * Works on nats-server 2.9 (the bridge reads one durable per inbound family) and newer (one
 * filtered durable, `consciousness_bridge`, handed over from the per-family ones by the bridge's
 * leader; see main/bridge/inbound-consumers.ts). The report says which shape is in use and why.
 */
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  jetstreamManager,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ContractError } from '../../contract';
import { supports, userMetadata, type ServerCapabilities } from '../connection';
import type { BridgeConsumerShape, ProvisionDifference, ProvisionItem, ProvisionReport } from '../../contract/streams';
import {
  DEFAULT_DUPLICATE_WINDOW_MS,
  BRIDGE_FILTERS,
  desiredConsumers,
  desiredStreams,
  type DesiredConsumer,
  type DesiredStream,
  type TopologyOptions
} from './topology';

export type { ProvisionDifference, ProvisionItem, ProvisionReport } from '../../contract/streams';

export interface ProvisionOptions extends TopologyOptions {
  /** Compare only; change nothing (drift detection). */
  check?: boolean;
  /** Timeout of each JetStream API request. */
  timeoutMs?: number;
}

const NS_PER_MS = 1_000_000;

/** Compact duration for drift lines: 24h, 7d, 2m, 1m30s, 250ms. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0 (unlimited)';
  if (ms < 1000) return `${ms}ms`;
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000]
  ];
  let rest = ms;
  let out = '';
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  if (rest > 0) out += `${rest}ms`;
  return out;
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '(none)';
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

/** One difference as the CLI prints it: `CONSCIOUSNESS_EVENTS.max_msgs: want 50000, have 49999`. */
export function describeDifference(item: Pick<ProvisionItem, 'name'>, diff: ProvisionDifference): string {
  const base = `${item.name}.${diff.field}: want ${diff.wantText}, have ${diff.haveText}`;
  return diff.blocked ? `${base} (blocked: ${diff.reason ?? 'cannot be changed in place'})` : base;
}

function diff(
  field: string,
  want: ProvisionDifference['want'],
  have: ProvisionDifference['have'],
  options: { blocked?: string; format?: (v: never) => string } = {}
): ProvisionDifference {
  const format = (options.format ?? text) as (v: unknown) => string;
  const d: ProvisionDifference = {
    field,
    want,
    have,
    wantText: format(want),
    haveText: have === null ? '(none)' : format(have),
    blocked: options.blocked !== undefined
  };
  if (options.blocked !== undefined) d.reason = options.blocked;
  return d;
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000');

const durationText = (ms: number): string => formatDuration(ms);

/**
 * Metadata provisioning puts on every Syn_OS stream and consumer (nats-server ≥ 2.10), so natscli
 * and other tools show who manages them. Other keys are left alone, and so are the `_nats.*` keys
 * servers ≥ 2.11 add on their own.
 */
export const MANAGED_METADATA: Readonly<Record<string, string>> = { 'synos.managed-by': 'synos-control-center' };

/** The server's version, for the version-gated fields (metadata needs 2.10). Null: treat as 2.9. */
type Server = ServerCapabilities | null | undefined;

const hasMetadata = (server: Server): boolean => Boolean(server && supports(server, 'metadata'));

function metadataDifferences(have: Record<string, string> | undefined, server: Server): ProvisionDifference[] {
  if (!hasMetadata(server)) return [];
  const current = have ?? {};
  const wrong = Object.entries(MANAGED_METADATA).filter(([k, v]) => current[k] !== v);
  if (wrong.length === 0) return [];
  const pairs = (m: Record<string, string>): string[] =>
    Object.keys(MANAGED_METADATA)
      .filter((k) => m[k] !== undefined)
      .map((k) => `${k}=${m[k]}`);
  const haveKeys = pairs(current);
  return [diff('metadata', pairs(MANAGED_METADATA), haveKeys.length > 0 ? haveKeys : null)];
}

/** The metadata to send on update: the user's keys kept, the managed ones set, the server's own left to it. */
function mergedMetadata(have: Record<string, string> | undefined): Record<string, string> {
  return { ...(userMetadata(have) ?? {}), ...MANAGED_METADATA };
}

/** The stream configuration the server should hold for a desired stream. */
export function streamConfigFor(s: DesiredStream, server?: Server): Partial<StreamConfig> & { name: string } {
  return {
    ...(hasMetadata(server) ? { metadata: { ...MANAGED_METADATA } } : {}),
    name: s.name,
    description: s.description,
    subjects: [...s.subjects],
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_msgs: s.max_msgs,
    max_bytes: s.max_bytes,
    max_age: s.max_age_ms * NS_PER_MS,
    storage: s.storage === 'memory' ? StorageType.Memory : StorageType.File,
    num_replicas: s.replicas,
    duplicate_window: s.duplicate_window_ms * NS_PER_MS,
    // Direct get lets the message browser page without consumers, from any replica.
    allow_direct: true
  };
}

/** The durable pull consumer configuration for a desired consumer. */
export function consumerConfigFor(
  c: DesiredConsumer,
  server?: Server
): Partial<ConsumerConfig> & { durable_name: string } {
  const config: Partial<ConsumerConfig> & { durable_name: string } = {
    ...(hasMetadata(server) ? { metadata: { ...MANAGED_METADATA } } : {}),
    durable_name: c.durable_name,
    description: c.description,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    max_deliver: c.max_deliver,
    ack_wait: c.ack_wait_ms * NS_PER_MS,
    max_ack_pending: c.max_ack_pending
  };
  if (c.filter_subjects) config.filter_subjects = [...c.filter_subjects];
  // ">" on a stream is "everything": leave it unset so 2.9 and newer treat it alike.
  else if (c.filter_subject !== '>') config.filter_subject = c.filter_subject;
  return config;
}

/** Field-by-field differences of a stream; blocked ones cannot be applied with an update. */
export function streamDifferences(want: DesiredStream, have: StreamConfig, server?: Server): ProvisionDifference[] {
  const out: ProvisionDifference[] = [];
  if (!sameSet(want.subjects, have.subjects ?? [])) out.push(diff('subjects', want.subjects, have.subjects ?? []));
  if (have.max_msgs !== want.max_msgs) out.push(diff('max_msgs', want.max_msgs, have.max_msgs));
  if (have.max_bytes !== want.max_bytes) out.push(diff('max_bytes', want.max_bytes, have.max_bytes));
  const haveAge = Math.round((have.max_age ?? 0) / NS_PER_MS);
  if (haveAge !== want.max_age_ms) out.push(diff('max_age', want.max_age_ms, haveAge, { format: durationText }));
  const haveDup = Math.round((have.duplicate_window ?? 0) / NS_PER_MS);
  if (haveDup !== want.duplicate_window_ms) {
    out.push(diff('duplicate_window', want.duplicate_window_ms, haveDup, { format: durationText }));
  }
  if ((have.num_replicas ?? 1) !== want.replicas) out.push(diff('num_replicas', want.replicas, have.num_replicas ?? 1));
  if (have.storage !== want.storage) {
    out.push(
      diff('storage', want.storage, have.storage, {
        blocked:
          'the storage type of a stream cannot be changed in place; back it up, delete and re-create it yourself if you need to'
      })
    );
  }
  if (have.retention !== RetentionPolicy.Limits) {
    out.push(
      diff('retention', RetentionPolicy.Limits, have.retention, {
        blocked: 'the retention policy cannot be changed in place'
      })
    );
  }
  if (have.discard !== DiscardPolicy.Old) out.push(diff('discard', DiscardPolicy.Old, have.discard));
  if (have.allow_direct !== true) out.push(diff('allow_direct', true, have.allow_direct ?? false));
  if (have.sealed) out.push(diff('sealed', false, true, { blocked: 'a sealed stream cannot be changed' }));
  // 2.10+: a subject transform would rewrite the subjects the consumers filter on. Compression,
  // a configured first sequence and the 2.11+/2.12+ flags (allow_msg_ttl …) are the operator's
  // choice: not compared, and kept by an update (it starts from the server's configuration).
  const transform = have.subject_transform;
  if (transform && (transform.src || transform.dest)) {
    out.push(diff('subject_transform', null, `${transform.src || '>'} → ${transform.dest}`));
  }
  out.push(...metadataDifferences(have.metadata, server));
  return out;
}

/** Field-by-field differences of a durable consumer. */
export function consumerDifferences(
  want: DesiredConsumer,
  have: ConsumerConfig,
  server?: Server
): ProvisionDifference[] {
  const out: ProvisionDifference[] = [];
  const haveFilters = have.filter_subjects?.length ? have.filter_subjects : null;
  if (want.filter_subjects) {
    const haveList = haveFilters ?? (have.filter_subject ? [have.filter_subject] : ['>']);
    if (!sameSet(want.filter_subjects, haveList)) out.push(diff('filter_subjects', want.filter_subjects, haveList));
  } else {
    const wantFilter = want.filter_subject === '>' ? '' : want.filter_subject;
    const haveOne = haveFilters?.length === 1 ? haveFilters[0] : have.filter_subject;
    const haveFilter = haveOne === '>' ? '' : (haveOne ?? '');
    if (haveFilters && haveFilters.length > 1) {
      out.push(diff('filter_subject', want.filter_subject, haveFilters));
    } else if (wantFilter !== haveFilter) {
      out.push(diff('filter_subject', want.filter_subject, haveOne ?? '>'));
    }
  }
  if (have.ack_policy !== AckPolicy.Explicit) {
    out.push(
      diff('ack_policy', AckPolicy.Explicit, have.ack_policy, {
        blocked: 'the ack policy of a consumer cannot be changed in place'
      })
    );
  }
  // The bridge's filtered durable starts where the per-family durables it replaced had got to.
  const startsAtHandover = want.replaces !== undefined && have.deliver_policy === DeliverPolicy.StartSequence;
  if (have.deliver_policy !== DeliverPolicy.All && !startsAtHandover) {
    out.push(
      diff('deliver_policy', DeliverPolicy.All, have.deliver_policy, {
        blocked: 'the deliver policy of a consumer cannot be changed in place'
      })
    );
  }
  if (have.deliver_subject) {
    out.push(
      diff('deliver_subject', null, have.deliver_subject, {
        blocked: 'a push consumer cannot become a pull consumer in place'
      })
    );
  }
  if (have.max_deliver !== want.max_deliver) out.push(diff('max_deliver', want.max_deliver, have.max_deliver ?? -1));
  const haveWait = Math.round((have.ack_wait ?? 0) / NS_PER_MS);
  if (haveWait !== want.ack_wait_ms) out.push(diff('ack_wait', want.ack_wait_ms, haveWait, { format: durationText }));
  if (have.max_ack_pending !== want.max_ack_pending) {
    out.push(diff('max_ack_pending', want.max_ack_pending, have.max_ack_pending ?? -1));
  }
  out.push(...metadataDifferences(have.metadata, server));
  return out;
}

function apiMessage(error: unknown): string {
  if (error instanceof JetStreamApiError) return `${error.message} (err_code ${error.code})`;
  return error instanceof Error ? error.message : String(error);
}

function isNotFound(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

async function openManager(nc: NatsConnection, timeoutMs: number | undefined): Promise<JetStreamManager> {
  try {
    return await jetstreamManager(nc, timeoutMs ? { timeout: timeoutMs } : {});
  } catch (error) {
    if (/jetstream not enabled|not enabled for account|no responders/i.test(String(error))) {
      throw new ContractError(
        'JETSTREAM_ERROR',
        'JetStream is not enabled on this server or account: start nats-server with -js (or enable JetStream for the account)',
        undefined,
        { cause: error }
      );
    }
    throw new ContractError('JETSTREAM_ERROR', `cannot reach the JetStream API: ${apiMessage(error)}`, undefined, {
      cause: error
    });
  }
}

/** Marks still-fixable differences blocked with the server's reason (it refused the update). */
function blockAll(diffs: ProvisionDifference[], reason: string): void {
  for (const d of diffs) {
    if (!d.blocked) {
      d.blocked = true;
      d.reason = `the server refused the update: ${reason}`;
    }
  }
}

function item(
  kind: ProvisionItem['kind'],
  name: string,
  stream: string,
  status: ProvisionItem['status'],
  differences: ProvisionDifference[] = []
): ProvisionItem {
  return { kind, name, stream, status, differences };
}

async function provisionStream(
  jsm: JetStreamManager,
  want: DesiredStream,
  check: boolean,
  server: Server
): Promise<ProvisionItem> {
  let info: StreamInfo | null = null;
  try {
    info = await jsm.streams.info(want.name);
  } catch (error) {
    if (!isNotFound(error, 10059)) {
      return { ...item('stream', want.name, want.name, 'failed'), error: apiMessage(error) };
    }
  }
  const config = streamConfigFor(want, server);
  if (!info) {
    if (check) return item('stream', want.name, want.name, 'missing');
    try {
      await jsm.streams.add(config);
      return item('stream', want.name, want.name, 'created');
    } catch (error) {
      return { ...item('stream', want.name, want.name, 'failed'), error: apiMessage(error) };
    }
  }
  const diffs = streamDifferences(want, info.config, server);
  if (diffs.length === 0) return item('stream', want.name, want.name, 'unchanged');
  const fixable = diffs.filter((d) => !d.blocked);
  const anyBlocked = diffs.some((d) => d.blocked);
  if (check) return item('stream', want.name, want.name, anyBlocked ? 'blocked' : 'drift', diffs);
  if (fixable.length === 0) return item('stream', want.name, want.name, 'blocked', diffs);
  // Update only the fixable fields; the blocked ones keep the server's value so the update is legal.
  const update: Partial<StreamConfig> = { ...config };
  delete (update as { name?: string }).name;
  for (const d of diffs) {
    if (d.blocked) delete (update as Record<string, unknown>)[d.field];
  }
  // The client merges the update onto the server's configuration: clear a transform explicitly,
  // and keep metadata keys set by others.
  if (diffs.some((d) => d.field === 'subject_transform'))
    (update as Record<string, unknown>).subject_transform = undefined;
  if (hasMetadata(server)) update.metadata = mergedMetadata(info.config.metadata);
  try {
    await jsm.streams.update(want.name, update);
    return item('stream', want.name, want.name, anyBlocked ? 'blocked' : 'updated', diffs);
  } catch (error) {
    blockAll(diffs, apiMessage(error));
    return item('stream', want.name, want.name, 'blocked', diffs);
  }
}

async function provisionConsumer(
  jsm: JetStreamManager,
  want: DesiredConsumer,
  streamStatus: ProvisionItem['status'] | undefined,
  check: boolean,
  server: Server,
  handoverPending = false
): Promise<ProvisionItem> {
  const name = `${want.stream}/${want.durable_name}`;
  if (streamStatus === 'missing') return item('consumer', name, want.stream, 'missing');
  if (streamStatus === 'failed') {
    return {
      ...item('consumer', name, want.stream, 'failed'),
      error: `stream ${want.stream} could not be provisioned`
    };
  }
  let info: ConsumerInfo | null = null;
  try {
    info = await jsm.consumers.info(want.stream, want.durable_name);
  } catch (error) {
    if (!isNotFound(error, 10014))
      return { ...item('consumer', name, want.stream, 'failed'), error: apiMessage(error) };
  }
  const config = consumerConfigFor(want, server);
  if (!info) {
    // Created from the stream's start beside per-family durables with state, it would hand the
    // engine everything they already acknowledged again: the bridge's leader hands over instead.
    if (handoverPending) return item('consumer', name, want.stream, 'missing');
    if (check) return item('consumer', name, want.stream, 'missing');
    try {
      await jsm.consumers.add(want.stream, config);
      return item('consumer', name, want.stream, 'created');
    } catch (error) {
      return { ...item('consumer', name, want.stream, 'failed'), error: apiMessage(error) };
    }
  }
  const diffs = consumerDifferences(want, info.config, server);
  if (diffs.length === 0) return item('consumer', name, want.stream, 'unchanged');
  const anyBlocked = diffs.some((d) => d.blocked);
  if (check) return item('consumer', name, want.stream, anyBlocked ? 'blocked' : 'drift', diffs);
  if (anyBlocked) return item('consumer', name, want.stream, 'blocked', diffs);
  const update: Partial<ConsumerConfig> = {
    description: config.description,
    max_deliver: config.max_deliver,
    ack_wait: config.ack_wait,
    max_ack_pending: config.max_ack_pending
  };
  if (diffs.some((d) => d.field === 'filter_subject')) {
    update.filter_subject = config.filter_subject ?? '';
    if (info.config.filter_subjects?.length) update.filter_subjects = [];
  }
  if (diffs.some((d) => d.field === 'filter_subjects')) {
    update.filter_subjects = config.filter_subjects ?? [];
    update.filter_subject = '';
  }
  if (hasMetadata(server)) update.metadata = mergedMetadata(info.config.metadata);
  try {
    await jsm.consumers.update(want.stream, want.durable_name, update);
    return item('consumer', name, want.stream, 'updated', diffs);
  } catch (error) {
    blockAll(diffs, apiMessage(error));
    return item('consumer', name, want.stream, 'blocked', diffs);
  }
}

/**
 * Applies (or, with `check`, only compares) the desired topology. Idempotent: a second run on an
 * unchanged server reports everything unchanged. Never deletes a stream or a consumer.
 */
export async function provision(nc: NatsConnection, options: ProvisionOptions = {}): Promise<ProvisionReport> {
  const check = options.check ?? false;
  const topology: TopologyOptions = {
    replicas: options.replicas ?? 1,
    duplicateWindowMs: options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS
  };
  const jsm = await openManager(nc, options.timeoutMs);
  // Version-gated fields (metadata) follow the server this run talks to; the API level is not needed.
  const server: Server = { version: nc.info?.version ?? null, apiLevel: null };
  const streams: ProvisionItem[] = [];
  for (const s of desiredStreams(topology)) streams.push(await provisionStream(jsm, s, check, server));
  const statusOf = new Map(streams.map((s) => [s.name, s.status]));
  const multiFilter = Boolean(server && supports(server, 'multiFilter'));
  const desired = desiredConsumers({ multiFilter });
  const retired = await retiredBridgeDurables(jsm, desired);
  const consumers: ProvisionItem[] = [];
  for (const c of desired) {
    const pending = (c.replaces ?? []).some((d) => retired.includes(`${c.stream}/${d}`));
    consumers.push(await provisionConsumer(jsm, c, statusOf.get(c.stream), check, server, pending));
  }
  const bridgeConsumers = bridgeShape(server, desired, retired, consumers);
  const all = [...streams, ...consumers];
  const count = (status: ProvisionItem['status']): number => all.filter((i) => i.status === status).length;
  return {
    mode: check ? 'check' : 'apply',
    time: new Date().toISOString(),
    serverVersion: nc.info?.version ?? null,
    replicas: topology.replicas ?? 1,
    duplicateWindowMs: topology.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS,
    streams,
    consumers,
    bridgeConsumers,
    summary: {
      created: count('created'),
      updated: count('updated'),
      unchanged: count('unchanged'),
      blocked: count('blocked'),
      missing: count('missing'),
      drift: count('drift'),
      failed: count('failed')
    },
    inSync: all.every((i) => i.status === 'unchanged' || i.status === 'created' || i.status === 'updated')
  };
}

/** The per-family durables a filtered bridge durable replaces that still exist, as STREAM/durable. */
async function retiredBridgeDurables(jsm: JetStreamManager, desired: DesiredConsumer[]): Promise<string[]> {
  const out: string[] = [];
  for (const c of desired) {
    for (const durable of c.replaces ?? []) {
      try {
        await jsm.consumers.info(c.stream, durable);
        out.push(`${c.stream}/${durable}`);
      } catch {
        // gone (handed over) or the stream is missing: nothing to hand over from
      }
    }
  }
  return out;
}

/** Which shape the bridge's inbound durables take on this server, and why. */
function bridgeShape(
  server: Server,
  desired: DesiredConsumer[],
  retired: string[],
  items: ProvisionItem[]
): BridgeConsumerShape {
  const version = server?.version ?? 'an unknown version';
  const filtered = desired.filter((c) => c.replaces !== undefined);
  if (filtered.length === 0) {
    return {
      shape: 'per-family',
      durables: desired.filter((c) => BRIDGE_FILTERS.some((f) => f === c.filter_subject)).map((c) => c.durable_name),
      reason: `nats-server ${version} has no consumers with several filter subjects (needs ≥ 2.10): one durable per inbound family`,
      handoverPending: false,
      retired: []
    };
  }
  const names = filtered.map((c) => `${c.stream}/${c.durable_name}`);
  const missing = items.some((i) => names.includes(i.name) && i.status === 'missing');
  const handoverPending = retired.length > 0 && missing;
  let reason = `nats-server ${version} has consumers with several filter subjects (≥ 2.10): one filtered durable reads every inbound family`;
  if (handoverPending) {
    reason += `; the bridge's leader hands over from ${retired.join(', ')} at the lowest unacknowledged stream sequence when it next binds (start synos-cc run or serve)`;
  } else if (retired.length > 0) {
    reason += `; ${retired.join(', ')} are left from a handover the bridge's leader finishes (deletes them) when it next binds`;
  }
  return { shape: 'filtered', durables: filtered.map((c) => c.durable_name), reason, handoverPending, retired };
}

/** Every printable line of a report: one per difference, plus missing/failed entities. */
export function describeReport(report: ProvisionReport): string[] {
  const lines: string[] = [];
  for (const entry of [...report.streams, ...report.consumers]) {
    if (entry.status === 'missing')
      lines.push(`${entry.name}: missing${report.mode === 'check' ? ' (provision would create it)' : ''}`);
    if (entry.status === 'failed') lines.push(`${entry.name}: failed: ${entry.error ?? 'unknown error'}`);
    for (const d of entry.differences) lines.push(describeDifference(entry, d));
  }
  return lines;
}
