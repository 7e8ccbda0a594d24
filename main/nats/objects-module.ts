/**
 * Object stores as a core module: the objects.* procedures, watches on `objects.watch`, transfer
 * progress on `objects.progress`, the web transfer tickets, the desktop's dialog-driven upload and
 * download, and the bucket/object lists answered from the snapshot cache while offline.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  ContractError,
  type ObjectBucket,
  type ObjectBucketList,
  type ObjectEntry,
  type ObjectList
} from '../contract';
import type { CoreContext, CoreModule } from '../core/module';
import { issueTicket } from '../core/transfer-tickets';
import { BucketSnapshotStore } from './buckets';
import { WatchService } from './buckets';
import { liveOrCached } from './kv-module';
import { getToFile, putFile, suggestedFileName, TransferProgress } from './buckets';
import { ObjectInspector, objError, toObjectEntry } from './buckets';

export function createObjectsModule(ctx: CoreContext): CoreModule {
  const logger = ctx.logger.child({ part: 'objects' });
  const snapshots = new BucketSnapshotStore(ctx.db);
  const inspectors = new WeakMap<NatsConnection, ObjectInspector>();
  const watches = new WatchService<ObjectEntry>(
    (batch, sessionId) => ctx.events.emit('objects.watch', batch, sessionId),
    logger
  );

  function inspector(): ObjectInspector {
    const nc = ctx.nats.requireConnection();
    let i = inspectors.get(nc);
    if (!i) {
      i = new ObjectInspector(nc);
      inspectors.set(nc, i);
    }
    return i;
  }

  function cachedList(): ObjectBucketList | null {
    const snap = snapshots.read<ObjectBucket[]>('objects', '');
    return snap ? { cached: true, snapshotTime: snap.time, buckets: snap.value } : null;
  }

  async function refreshList(): Promise<ObjectBucketList> {
    const buckets = await inspector().list();
    const now = new Date();
    snapshots.save('objects', '', buckets, now);
    return { cached: false, snapshotTime: now.toISOString(), buckets };
  }

  async function refreshObjects(bucket: string): Promise<ObjectList> {
    const objects = await inspector().objects(bucket);
    const now = new Date();
    snapshots.save('object-list', bucket, objects, now);
    return { cached: false, snapshotTime: now.toISOString(), bucket, objects };
  }

  function afterChange(bucket?: string): void {
    refreshList().catch((error: unknown) => logger.debug('object store list refresh failed', { error }));
    if (bucket) refreshObjects(bucket).catch(() => undefined);
  }

  function progressFor(
    bucket: string,
    name: string,
    direction: 'upload' | 'download',
    sessionId: string | undefined
  ): TransferProgress {
    return new TransferProgress(bucket, name, direction, (p) => ctx.events.emit('objects.progress', p, sessionId));
  }

  function dialogs(): NonNullable<CoreContext['fileDialogs']> {
    const d = ctx.fileDialogs;
    if (!d) {
      throw new ContractError('UNAVAILABLE', 'there is no file dialog here', {
        hint: 'In a browser the Upload and Download buttons send the file over the web server; on the command line use synos-cc object put/get with a path.'
      });
    }
    return d;
  }

  const cancelledText = (error: unknown): 'cancelled' | 'failed' =>
    error instanceof ContractError && error.code === 'CANCELLED' ? 'cancelled' : 'failed';

  return {
    name: 'objects',
    stop() {
      watches.close();
    },
    handlers: {
      'objects.list': () => liveOrCached(ctx, refreshList, cachedList, 'the object stores'),
      'objects.info': ({ bucket }) =>
        liveOrCached<{ cached: boolean; snapshotTime: string; bucket: ObjectBucket }>(
          ctx,
          async () => ({
            cached: false,
            snapshotTime: new Date().toISOString(),
            bucket: await inspector().info(bucket)
          }),
          () => {
            const list = cachedList();
            const b = list?.buckets.find((x) => x.bucket === bucket);
            return list && b ? { cached: true, snapshotTime: list.snapshotTime, bucket: b } : null;
          },
          `object store ${bucket}`
        ),
      'objects.add': async (input) => {
        const b = await inspector().add(input);
        logger.info('object store created', { bucket: b.bucket });
        afterChange();
        return { cached: false, snapshotTime: new Date().toISOString(), bucket: b };
      },
      'objects.rm': async ({ bucket }) => {
        const deleted = await inspector().rm(bucket);
        snapshots.forget('object-list', bucket);
        logger.info('object store deleted', { bucket });
        afterChange();
        return { bucket, deleted };
      },
      'objects.seal': async ({ bucket }) => {
        const b = await inspector().seal(bucket);
        logger.info('object store sealed', { bucket });
        afterChange();
        return { cached: false, snapshotTime: new Date().toISOString(), bucket: b };
      },
      'objects.objects': ({ bucket }) =>
        liveOrCached<ObjectList>(
          ctx,
          () => refreshObjects(bucket),
          () => {
            const snap = snapshots.read<ObjectEntry[]>('object-list', bucket);
            return snap ? { cached: true, snapshotTime: snap.time, bucket, objects: snap.value } : null;
          },
          `the objects of ${bucket}`
        ),
      'objects.object': ({ bucket, name }) => inspector().object(bucket, name),
      'objects.delete': async ({ bucket, name }) => {
        await inspector().delete(bucket, name);
        logger.info('object deleted', { bucket, name });
        afterChange(bucket);
        return { bucket, name, deleted: true };
      },
      'objects.transfer': async ({ bucket, name, direction, description }, call) => {
        const i = inspector();
        // Fail now (no bucket, no object, sealed) rather than when the browser sends the bytes.
        const b = await i.info(bucket);
        if (direction === 'upload' && b.sealed) {
          throw new ContractError('CONFLICT', `object store ${bucket} is sealed: it can no longer change`, {
            reason: 'SEALED'
          });
        }
        const target = direction === 'download' ? await i.target(bucket, name) : null;
        const progress = progressFor(bucket, name, direction, call.sessionId);
        const issued = issueTicket(
          direction === 'upload'
            ? {
                direction,
                upload: async (body, size, signal) => {
                  try {
                    const entry = await i.put(body, {
                      bucket,
                      name,
                      description,
                      size: size ?? undefined,
                      onProgress: progress.onProgress,
                      signal
                    });
                    progress.finish('done', null, entry.size);
                    logger.info('object uploaded', { bucket, name, size: entry.size });
                    afterChange(bucket);
                    return entry;
                  } catch (error) {
                    progress.finish(cancelledText(error), error instanceof Error ? error.message : String(error));
                    throw error;
                  }
                }
              }
            : {
                direction,
                download: async (res, signal) => {
                  const fileName = suggestedFileName(name);
                  res.writeHead(200, {
                    'Content-Type': 'application/octet-stream',
                    'Content-Length': String(target?.size ?? 0),
                    'Content-Disposition': `attachment; filename="${fileName.replace(/[^\x20-\x7e]|"/g, '_')}"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
                    'X-Content-Type-Options': 'nosniff',
                    'Cache-Control': 'no-store'
                  });
                  try {
                    const r = await i.get(bucket, name, res, { onProgress: progress.onProgress, signal });
                    progress.finish('done', null, r.bytes);
                  } catch (error) {
                    progress.finish(cancelledText(error), error instanceof Error ? error.message : String(error));
                    throw error;
                  }
                }
              }
        );
        return { transferId: progress.transferId, path: issued.path, expiresAt: issued.expiresAt };
      },
      'objects.upload': async ({ bucket, description }, call) => {
        const i = inspector();
        await i.info(bucket);
        const file = await dialogs().chooseFileToUpload(`Put a file into ${bucket}`);
        if (!file) return { cancelled: true, object: null };
        const name = path.basename(file);
        const progress = progressFor(bucket, name, 'upload', call.sessionId);
        try {
          const object = await putFile(i, bucket, file, {
            name,
            description,
            onProgress: progress.onProgress,
            signal: call.signal
          });
          progress.finish('done', null, object.size);
          afterChange(bucket);
          return { cancelled: false, object };
        } catch (error) {
          progress.finish(cancelledText(error), error instanceof Error ? error.message : String(error));
          throw error;
        }
      },
      'objects.download': async ({ bucket, name }, call) => {
        const i = inspector();
        await i.target(bucket, name);
        const file = await dialogs().chooseFileToSave(`Save ${name}`, suggestedFileName(name));
        if (!file) return { cancelled: true, bytes: 0, fileName: null };
        const progress = progressFor(bucket, name, 'download', call.sessionId);
        try {
          // The operator confirmed replacing an existing file in the native dialog.
          const r = await getToFile(i, bucket, name, file, {
            onProgress: progress.onProgress,
            signal: call.signal,
            force: fs.existsSync(file)
          });
          progress.finish('done', null, r.bytes);
          return { cancelled: false, bytes: r.bytes, fileName: path.basename(file) };
        } catch (error) {
          progress.finish(cancelledText(error), error instanceof Error ? error.message : String(error));
          throw error;
        }
      },
      'objects.watch.start': async ({ bucket, capacity }, call) => {
        const os = await inspector().open(bucket);
        let iter;
        try {
          iter = await os.watch({ includeHistory: false });
        } catch (error) {
          throw objError(error, bucket);
        }
        const source = iter;
        const mapped = (async function* () {
          for await (const e of source) yield toObjectEntry(e);
        })();
        return watches.start({
          bucket,
          key: '>',
          capacity,
          sessionId: call.sessionId,
          signal: call.signal,
          source: { iterator: mapped, stop: () => source.stop() }
        });
      },
      'objects.watch.stop': ({ id }, call) => ({ stopped: watches.stop(id, call.sessionId) })
    }
  };
}
