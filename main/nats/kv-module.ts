/**
 * Key-value buckets as a core module: the kv.* procedures, live watches pushed on `kv.watch`, and
 * the bucket list/info answered from the snapshot cache (marked cached) while NATS is unreachable.
 */
import { Kvm, KvWatchInclude, type KvWatchEntry, type KvWatchOptions } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { ContractError, type KvBucket, type KvBucketInfo, type KvBucketList, type KvEntry } from '../contract';
import type { CoreContext, CoreModule } from '../core/module';
import { BucketSnapshotStore, WatchService, KvInspector, kvError, toEntry } from './buckets';

/** Errors after which the cache answers instead (the connection is gone or going). */
const OFFLINE_CODES = new Set(['NOT_CONNECTED', 'NATS_UNREACHABLE', 'TIMEOUT', 'TRANSPORT_CLOSED']);

/**
 * Runs a live read; while offline (or when the read dies with the connection) answers from the
 * cache; without a snapshot says what to do.
 */
export async function liveOrCached<T>(
  ctx: CoreContext,
  live: () => Promise<T>,
  cached: () => T | null,
  what: string
): Promise<T> {
  if (ctx.nats.connection()) {
    try {
      return await live();
    } catch (error) {
      const code = error instanceof ContractError ? error.code : null;
      const fallback =
        code !== null && OFFLINE_CODES.has(code) && ctx.nats.status().state !== 'connected' ? cached() : null;
      if (fallback) return fallback;
      throw error;
    }
  }
  const fallback = cached();
  if (fallback) return fallback;
  const status = ctx.nats.status();
  throw new ContractError(
    'NOT_CONNECTED',
    `not connected to NATS (state: ${status.state}) and no snapshot of ${what} has been taken yet`,
    {
      state: status.state,
      lastError: status.lastError,
      hint: status.hint ?? 'Connect once; the bucket list is remembered for offline use.'
    }
  );
}

export function createKvModule(ctx: CoreContext): CoreModule {
  const logger = ctx.logger.child({ part: 'kv' });
  const snapshots = new BucketSnapshotStore(ctx.db);
  const inspectors = new WeakMap<NatsConnection, KvInspector>();
  const all = new Set<KvInspector>();
  const watches = new WatchService<KvEntry>(
    (batch, sessionId) => ctx.events.emit('kv.watch', batch, sessionId),
    logger
  );

  function inspector(): KvInspector {
    const nc = ctx.nats.requireConnection();
    let i = inspectors.get(nc);
    if (!i) {
      i = new KvInspector(nc);
      inspectors.set(nc, i);
      all.add(i);
    }
    return i;
  }

  function cachedList(): KvBucketList | null {
    const snap = snapshots.read<KvBucket[]>('kv', '');
    return snap ? { cached: true, snapshotTime: snap.time, buckets: snap.value } : null;
  }

  async function refreshList(): Promise<KvBucketList> {
    const buckets = await inspector().list();
    const now = new Date();
    snapshots.save('kv', '', buckets, now);
    const list = { cached: false, snapshotTime: now.toISOString(), buckets };
    ctx.events.emit('kv.snapshot', list);
    return list;
  }

  /** After a change, the cached list follows (a failed refresh only leaves it older). */
  function afterChange(): void {
    refreshList().catch((error: unknown) => logger.debug('bucket list refresh failed', { error }));
  }

  return {
    name: 'kv',
    stop() {
      watches.close();
      for (const i of all) i.close();
      all.clear();
    },
    handlers: {
      'kv.list': () => liveOrCached(ctx, refreshList, cachedList, 'the key-value buckets'),
      'kv.info': ({ bucket }) =>
        liveOrCached<KvBucketInfo>(
          ctx,
          async () => {
            const b = await inspector().info(bucket);
            return { cached: false, snapshotTime: new Date().toISOString(), bucket: b };
          },
          () => {
            const list = cachedList();
            const b = list?.buckets.find((x) => x.bucket === bucket);
            return list && b ? { cached: true, snapshotTime: list.snapshotTime, bucket: b } : null;
          },
          `bucket ${bucket}`
        ),
      'kv.add': async (input) => {
        const b = await inspector().add(input);
        logger.info('key-value bucket created', { bucket: b.bucket });
        afterChange();
        return { cached: false, snapshotTime: new Date().toISOString(), bucket: b };
      },
      'kv.edit': async (input) => {
        const b = await inspector().edit(input);
        logger.info('key-value bucket changed', { bucket: b.bucket });
        afterChange();
        return { cached: false, snapshotTime: new Date().toISOString(), bucket: b };
      },
      'kv.rm': async ({ bucket }) => {
        const deleted = await inspector().rm(bucket);
        logger.info('key-value bucket deleted', { bucket });
        afterChange();
        return { bucket, deleted };
      },
      'kv.keys': ({ bucket, filter, limit, cursor }) => inspector().keys(bucket, filter, limit, cursor),
      'kv.get': ({ bucket, key, revision, maxValueBytes }) => inspector().get(bucket, key, revision, maxValueBytes),
      'kv.put': async ({ bucket, key, value, encoding, mode, revision }) => {
        const bytes = encoding === 'base64' ? Buffer.from(value, 'base64') : Buffer.from(value, 'utf8');
        const rev = await inspector().put(bucket, key, bytes, mode, revision);
        return { bucket, key, revision: rev };
      },
      'kv.delete': async ({ bucket, key, purge, revision }) => {
        await inspector().delete(bucket, key, purge, revision);
        logger.info(purge ? 'key purged' : 'key deleted', { bucket, key });
        return { bucket, key, operation: purge ? ('PURGE' as const) : ('DEL' as const) };
      },
      'kv.history': async ({ bucket, key, maxValueBytes }) => ({
        bucket,
        key,
        entries: await inspector().history(bucket, key, maxValueBytes)
      }),
      'kv.watch.start': async ({ bucket, key, initial, capacity, maxValueBytes }, call) => {
        const i = inspector();
        await i.info(bucket);
        const nc = ctx.nats.requireConnection();
        let iter: AsyncIterable<KvWatchEntry> & { stop(): void };
        try {
          const kv = await new Kvm(nc).open(bucket);
          const opts: KvWatchOptions = {
            include: initial ? KvWatchInclude.LastValue : KvWatchInclude.UpdatesOnly
          };
          if (key) opts.key = key;
          iter = await kv.watch(opts);
        } catch (error) {
          throw kvError(error, bucket, key);
        }
        const mapped = (async function* () {
          for await (const e of iter) yield toEntry(e, maxValueBytes);
        })();
        return watches.start({
          bucket,
          key: key ?? '>',
          capacity,
          sessionId: call.sessionId,
          signal: call.signal,
          source: { iterator: mapped, stop: () => iter.stop() }
        });
      },
      'kv.watch.stop': ({ id }, call) => ({ stopped: watches.stop(id, call.sessionId) })
    }
  };
}
