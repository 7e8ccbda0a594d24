/**
 * What the connected nats-server can do, from its version (the INFO it sends on connect) and its
 * JetStream API level (`$JS.API.INFO`, `api.level`: absent before 2.11, 1 on 2.11, 2 on 2.12 …).
 * A feature the server lacks is refused up front with a message that names both versions
 * ("consumer pause needs nats-server ≥ 2.11; connected to 2.9.10") instead of whatever the older
 * server answers to an unknown field (often nothing: 2.9 silently drops fields it does not know).
 */
import { ContractError } from '../../contract';

export interface ServerFeature {
  /** What the operator asked for, as it reads in the message. */
  label: string;
  /** The first server release that has it. */
  since: string;
  /** The JetStream API level that comes with it (2.11+ report one); a server reporting a lower level lacks it. */
  apiLevel?: number;
}

export const SERVER_FEATURES = {
  multiFilter: { label: 'a consumer with several filter subjects', since: '2.10.0' },
  metadata: { label: 'stream and consumer metadata', since: '2.10.0' },
  subjectTransform: { label: 'a stream subject transform', since: '2.10.0' },
  compression: { label: 'stream compression', since: '2.10.0' },
  firstSeq: { label: 'a stream first sequence', since: '2.10.0' },
  consumerPause: { label: 'consumer pause', since: '2.11.0', apiLevel: 1 },
  messageTtl: { label: 'per-message TTL', since: '2.11.0', apiLevel: 1 },
  priorityGroups: { label: 'consumer priority groups', since: '2.11.0', apiLevel: 1 },
  messageCounters: { label: 'message counters', since: '2.12.0', apiLevel: 2 },
  atomicBatch: { label: 'atomic batch publish', since: '2.12.0', apiLevel: 2 },
  messageSchedules: { label: 'scheduled messages', since: '2.12.0', apiLevel: 2 }
} as const satisfies Record<string, ServerFeature>;

export type ServerFeatureId = keyof typeof SERVER_FEATURES;

/** [major, minor, patch] of "2.10.27", "v2.11.0-RC.1", "2.9.10-1+b3"; null when it is not a version. */
export function parseServerVersion(version: string | null | undefined): [number, number, number] | null {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec((version ?? '').trim());
  if (!m) return null;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

/** True when version a is at least b (both as nats-server reports them). */
export function versionAtLeast(a: string | null | undefined, b: string): boolean {
  const x = parseServerVersion(a);
  const y = parseServerVersion(b);
  if (!x || !y) return false;
  for (let i = 0; i < 3; i++) {
    if (x[i]! !== y[i]!) return x[i]! > y[i]!;
  }
  return true;
}

/** "2.11" for "2.11.0", "2.10.27" kept whole: how a requirement reads in a message. */
function shortVersion(version: string): string {
  return version.endsWith('.0') ? version.slice(0, -2) : version;
}

/** What one server offers. apiLevel is null when not (yet) read or the server predates API levels. */
export interface ServerCapabilities {
  version: string | null;
  apiLevel: number | null;
}

export function supports(server: ServerCapabilities, id: ServerFeatureId): boolean {
  const feature: ServerFeature = SERVER_FEATURES[id];
  if (!versionAtLeast(server.version, feature.since)) return false;
  // A server that reports an API level below the feature's is older than its version says (a
  // development build) or has the level capped by configuration: trust the level.
  if (feature.apiLevel !== undefined && server.apiLevel !== null && server.apiLevel < feature.apiLevel) return false;
  return true;
}

/** The message for a feature the server lacks. */
export function unsupportedMessage(server: ServerCapabilities, id: ServerFeatureId): string {
  const feature: ServerFeature = SERVER_FEATURES[id];
  const level =
    feature.apiLevel !== undefined && server.apiLevel !== null && versionAtLeast(server.version, feature.since)
      ? ` (JetStream API level ${server.apiLevel}, needs ${feature.apiLevel})`
      : '';
  return `${feature.label} needs nats-server ≥ ${shortVersion(feature.since)}; connected to ${server.version ?? 'an unknown version'}${level}`;
}

/** Throws UNAVAILABLE with the message and { feature, needs, server, apiLevel } when the server lacks it. */
export function requireFeature(server: ServerCapabilities, id: ServerFeatureId): void {
  if (supports(server, id)) return;
  throw new ContractError('UNAVAILABLE', unsupportedMessage(server, id), {
    feature: id,
    needs: SERVER_FEATURES[id].since,
    server: server.version,
    apiLevel: server.apiLevel
  });
}

/** Every feature with whether the server has it: for `synos-cc doctor`-style listings and the UI. */
export function featureTable(
  server: ServerCapabilities
): { id: ServerFeatureId; label: string; since: string; available: boolean }[] {
  return (Object.keys(SERVER_FEATURES) as ServerFeatureId[]).map((id) => ({
    id,
    label: SERVER_FEATURES[id].label,
    since: SERVER_FEATURES[id].since,
    available: supports(server, id)
  }));
}

/**
 * Metadata set by users or tools, without the `_nats.*` keys servers ≥ 2.11 add on their own
 * (`_nats.req.level`, `_nats.ver`, `_nats.level`); null when nothing is left.
 */
export function userMetadata(metadata: Record<string, string> | undefined | null): Record<string, string> | null {
  if (!metadata) return null;
  const entries = Object.entries(metadata).filter(([key]) => !key.startsWith('_nats.'));
  return entries.length > 0 ? Object.fromEntries(entries) : null;
}
