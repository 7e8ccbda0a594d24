/**
 * Key-value and object stores: the inspectors, watches, file transfer and the offline bucket
 * snapshots. This index is the area's public face: code outside main/nats/buckets/ imports from here
 * only (enforced by eslint.config.js).
 */
export { getToFile, putFile, suggestedFileName, TransferProgress } from './object-files';
export { ObjectInspector, objError, toObjectEntry } from './objects';
export { BUCKET_SNAPSHOT_MIGRATIONS, BucketSnapshotStore } from './bucket-snapshots';
export { WatchService } from './bucket-watch';
export { kvError, KvInspector, toEntry } from './kv';
