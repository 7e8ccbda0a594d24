/**
 * What the lease bucket holds and how it is read: the key layout, the lease value and the instance
 * announcements, their encoding, and the judgements a one-shot reader makes from one entry.
 *
 * - One bucket per account (`SYNOS_ENGINE`, opened by ./lease-bucket); one key per engine group
 *   (`lease.<group>`) whose value names the holder, its TTL and the term's epoch.
 * - Every instance announces itself under `instances.<group>.<id>` (same bucket), so any process
 *   can list who is there and with which role; readers drop announcements older than their TTL.
 * - Step-down requests and replies travel on core NATS (`synos.engine.<group>.step-down`).
 */
import type { EngineRole } from '../bridge/leadership-gate';
import type { KvEntry } from '@nats-io/kv';

export type RolePreference = 'auto' | 'observer';

export const LEASE_BUCKET = 'SYNOS_ENGINE';
export const DEFAULT_GROUP = 'synos';
export const DEFAULT_LEASE_TTL_MS = 5000;

export const leaseKey = (group: string): string => `lease.${group}`;
export const instanceKey = (group: string, instance: string): string => `instances.${group}.${instance}`;
/** Core NATS subject the leader answers step-down requests on (no stream captures `synos.>`). */
export const stepDownSubject = (group: string): string => `synos.engine.${group}.step-down`;

/**
 * How long past a holder's TTL a contender still waits before it takes the lease over: covers an
 * output the old leader sent just before its own clock ran out and that is still on its way.
 */
export function takeoverGraceMs(ttlMs: number): number {
  return Math.min(200, Math.max(20, Math.floor(ttlMs / 50)));
}

/** What the lease key holds. */
export interface LeaseValue {
  instance: string;
  host: string;
  pid: number;
  /** The term's epoch; null only in the very first write of a term (its own revision is the epoch). */
  epoch: number | null;
  since: string;
  ttlMs: number;
  /** A leader that steps down in favour of one instance writes this; only that instance may claim it. */
  handoffTo?: string;
}

export interface InstanceAnnouncement {
  instance: string;
  host: string;
  pid: number;
  role: EngineRole;
  preference: RolePreference;
  epoch: number | null;
  started: string;
  /** This instance's TTL: it announces every TTL/3, so an older announcement means it is gone. */
  ttlMs?: number;
}

export interface LeaderInfo {
  instance: string;
  host: string;
  pid: number;
  epoch: number;
  since: string;
}

export interface StepDownRequest {
  requestedBy: string;
  /** Hand the lease to this instance (take-over) instead of letting every standby contend. */
  to?: string;
}

export interface StepDownReply {
  ok: boolean;
  instance: string;
  epoch: number | null;
  message?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function decodeLease(entry: KvEntry | null): LeaseValue | null {
  if (!entry || entry.operation !== 'PUT') return null;
  try {
    const v = JSON.parse(decoder.decode(entry.value)) as LeaseValue;
    return typeof v.instance === 'string' ? v : null;
  } catch {
    return null;
  }
}

/** A step-down request's body; an empty (or unreadable) body is a plain step-down. */
export function decodeStepDownRequest(data: Uint8Array): StepDownRequest {
  try {
    return JSON.parse(decoder.decode(data)) as StepDownRequest;
  } catch {
    return { requestedBy: 'unknown' };
  }
}

/** The leader a lease entry names, or null when the key is free or only reserved for a hand-off. */
export function leaderOf(entry: KvEntry | null): LeaderInfo | null {
  const v = decodeLease(entry);
  if (!v || v.handoffTo !== undefined || !entry) return null;
  return { instance: v.instance, host: v.host, pid: v.pid, epoch: v.epoch ?? entry.revision, since: v.since };
}

/**
 * True when the entry is `instance`'s own write in the term `epoch` (not a hand-off): a write of
 * that term whose reply was lost has landed after all.
 */
export function isOwnWrite(entry: KvEntry | null, instance: string, epoch: number): boolean {
  const v = decodeLease(entry);
  return (
    entry !== null &&
    v !== null &&
    v.instance === instance &&
    v.handoffTo === undefined &&
    (v.epoch ?? entry.revision) === epoch
  );
}

/** The server refused a compare-and-set: the key's last revision is not the one we named. */
export function isWrongLastSequence(error: unknown): boolean {
  return /wrong last sequence/i.test(error instanceof Error ? error.message : String(error));
}

/**
 * For one-shot readers (`engine status`, doctor) that cannot watch the key over time: a lease whose
 * last write is older than its TTL plus the grace, by this machine's clock against the server's
 * timestamp, names nobody. Display only; the contenders judge on their own monotonic clocks.
 */
export function leaseLapsed(entry: KvEntry, fallbackTtlMs: number, nowMs = Date.now()): boolean {
  const ttl = decodeLease(entry)?.ttlMs ?? fallbackTtlMs;
  return entry.created.getTime() + ttl + takeoverGraceMs(ttl) < nowMs;
}

/** A KV key token from any text (host names may hold characters keys may not). */
export function keySafe(text: string): string {
  const safe = text.replace(/[^A-Za-z0-9_-]/g, '_');
  return safe.length > 0 ? safe.slice(0, 100) : 'instance';
}
