/**
 * Who leads and who is there, read from the lease bucket by any process (a running core or a
 * one-shot `synos-cc engine status`): the lease key and every live instance announcement.
 *
 * The bucket keeps keys well past the lease TTL (its max_age only collects what nobody writes any
 * more), so a one-shot reader judges liveness itself: a lease not renewed within its holder's TTL
 * (plus the takeover grace) names nobody, an announcement older than its instance's TTL is gone.
 * That compares the server's timestamps with this machine's clock (doctor warns about skew); the
 * contenders themselves never rely on it.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { EngineRole } from '../bridge/leadership-gate';
import { openLeaseBucket } from './lease-bucket';
import type { InstanceAnnouncement, LeaderInfo } from './lease-record';
import { LEASE_BUCKET, instanceKey, leaderOf, leaseKey, leaseLapsed } from './lease-record';

export interface InstanceStatus {
  instance: string;
  host: string;
  pid: number;
  role: EngineRole;
  last_seen: string;
}

export interface LeadershipStatus {
  leader: LeaderInfo | null;
  instances: InstanceStatus[];
}

const decoder = new TextDecoder();

export async function readLeadershipStatus(
  nc: NatsConnection,
  group: string,
  options: { ttlMs: number; replicas: number }
): Promise<LeadershipStatus> {
  const opened = await openLeaseBucket(nc, { ...options, create: false });
  if (!opened) return { leader: null, instances: [] };
  const { kv } = opened;
  const now = Date.now();
  const lease = await kv.get(leaseKey(group));
  const leader = lease && !leaseLapsed(lease, options.ttlMs, now) ? leaderOf(lease) : null;

  // One stream-info request lists the announcement keys (the bucket keeps one message per key).
  const prefix = `$KV.${LEASE_BUCKET}.`;
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(`KV_${LEASE_BUCKET}`, { subjects_filter: `${prefix}${instanceKey(group, '>')}` });
  const keys = Object.keys(info.state.subjects ?? {}).map((s) => s.slice(prefix.length));
  const instances: InstanceStatus[] = [];
  await Promise.all(
    keys.map(async (key) => {
      const entry = await kv.get(key).catch(() => null);
      if (!entry || entry.operation !== 'PUT') return;
      let a: InstanceAnnouncement;
      try {
        a = JSON.parse(decoder.decode(entry.value)) as InstanceAnnouncement;
      } catch {
        return;
      }
      if (entry.created.getTime() + (a.ttlMs ?? options.ttlMs) < now) return; // stopped announcing
      // The lease is the truth for who is active; an announcement may be up to TTL/3 old.
      const role: EngineRole =
        leader?.instance === a.instance ? 'active' : a.preference === 'observer' ? 'observer' : 'standby';
      instances.push({ instance: a.instance, host: a.host, pid: a.pid, role, last_seen: entry.created.toISOString() });
    })
  );
  instances.sort((a, b) => a.instance.localeCompare(b.instance));
  return { leader, instances };
}
