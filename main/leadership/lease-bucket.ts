/**
 * The lease bucket (`SYNOS_ENGINE`): how it is created and opened.
 *
 * - It is a KV bucket replicated like any stream, so the lease rides on JetStream's Raft; file
 *   storage keeps the stream's sequence across a server restart, so epochs never go back.
 * - Its max_age ({@link leaseBucketMaxAgeMs}, ≥ 30 s) only collects keys nobody writes any more;
 *   expiry is judged by the contenders (./lease-term). Why not max_age = TTL (as before): on a
 *   cluster, killing the node that leads the bucket's stream leaves it without a leader for
 *   nats-server's Raft election (4–9 s on 2.9, longer under load), longer than the rest of a 5 s
 *   lease; the new stream leader then expired the key at once and another core created a new term
 *   although the old leader was alive and willing.
 * - Reads of the lease go to the stream leader (`allow_direct` off for this bucket's handle): a
 *   direct get may be answered by a replica that lags, which would show an old revision as current.
 */
import { Kvm, type KV } from '@nats-io/kv';
import { jetstreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../core/logger';
import { LEASE_BUCKET } from './lease-record';

/**
 * The lease bucket's max_age: only a collector of keys nobody writes any more (a crashed core's
 * announcement, a dead leader's lease), never the lease's expiry. It must outlast a stream leader
 * election on a cluster (4–9 s on nats-server 2.9) with room to spare, or the key would vanish
 * under a leader that is only waiting for the election to end.
 */
export function leaseBucketMaxAgeMs(ttlMs: number): number {
  return Math.max(30_000, 6 * ttlMs);
}

/** A write or read of the lease that did not answer in this long is retried (the lease may be short). */
export function requestTimeoutMs(ttlMs: number): number {
  return Math.max(250, Math.floor(ttlMs / 3));
}

/**
 * Opens (creating when absent) the lease bucket; returns it with its max_age. The handle reads
 * from the stream leader (`allow_direct: false`), whatever the stream allows: a direct get may be
 * answered by a lagging replica. A running core (create) raises a max_age below
 * {@link leaseBucketMaxAgeMs} of its TTL (a bucket made by an older version had max_age = TTL).
 */
export async function openLeaseBucket(
  nc: NatsConnection,
  options: { ttlMs: number; replicas: number; create: boolean; logger?: Logger }
): Promise<{ kv: KV; maxAgeMs: number } | null> {
  const kvm = new Kvm(nc);
  let kv: KV;
  const maxAgeMs = leaseBucketMaxAgeMs(options.ttlMs);
  if (options.create) {
    kv = await kvm.create(LEASE_BUCKET, {
      ttl: maxAgeMs,
      history: 1,
      replicas: options.replicas,
      // File storage keeps the stream's sequence across a server restart, so epochs never go back.
      storage: 'file',
      allow_direct: false,
      description: 'Syn_OS control center: engine leader lease and instance announcements'
    });
  } else {
    try {
      kv = await kvm.open(LEASE_BUCKET, { allow_direct: false });
      await kv.status();
    } catch {
      return null;
    }
  }
  const status = await kv.status();
  if (options.create && status.ttl > 0 && status.ttl < maxAgeMs) {
    try {
      const jsm = await jetstreamManager(nc, { checkAPI: false });
      await jsm.streams.update(`KV_${LEASE_BUCKET}`, { max_age: nanos(maxAgeMs) });
      options.logger?.info(
        `raised the max_age of the lease bucket ${LEASE_BUCKET} so the lease outlives a stream leader election`,
        {
          fromMs: status.ttl,
          toMs: maxAgeMs
        }
      );
      return { kv, maxAgeMs };
    } catch (error) {
      options.logger?.warn(
        `the lease bucket ${LEASE_BUCKET} keeps keys only ${status.ttl} ms and this core cannot raise it; on a cluster a stream leader election longer than that starts a new term. Raise it with: nats stream edit KV_${LEASE_BUCKET} --max-age ${Math.ceil(maxAgeMs / 1000)}s`,
        { error }
      );
    }
  }
  return { kv, maxAgeMs: status.ttl };
}
