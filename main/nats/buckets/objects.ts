/**
 * Object stores on one connection: buckets from their backing streams, objects with their meta,
 * and streamed transfers whose memory stays bounded whatever the object's size.
 *
 * Put hands the @nats-io/obj client a pull-based web stream over the source, so it reads the next
 * piece only when the previous chunk was published (at most one chunk in memory); the SHA-256 we
 * compute while reading is checked against the digest the client stored.
 *
 * Get does not use the client's get(): that one enqueues every received chunk into its stream
 * without waiting for the reader, so a slow disk or a slow browser lets a 1 GiB object pile up in
 * memory. Here an ordered consumer is fetched in batches of {@link GET_BATCH} chunks, each written
 * (waiting for the sink's drain) before the next batch is asked for; the digest is checked at the
 * end and a mismatch fails the transfer.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import {
  jetstream,
  jetstreamManager,
  JetStreamApiError,
  StorageType,
  type JetStreamManager,
  type StreamInfo
} from '@nats-io/jetstream';
import { Objm, type ObjectInfo, type ObjectStore } from '@nats-io/obj';
import { headers as natsHeaders, nanos, type NatsConnection } from '@nats-io/transport-node';
import { ContractError, type ObjectBucket, type ObjectEntry } from '../../contract';
import { toNatsContractError } from '../connection';
import { headersOf } from '../messages';

export const OBJ_STREAM_PREFIX = 'OBJ_';
/** Chunks asked for per fetch when reading an object (128 KiB chunks: ~8 MiB in flight at most). */
export const GET_BATCH = 64;

export function objStreamName(bucket: string): string {
  return `${OBJ_STREAM_PREFIX}${bucket}`;
}

function isObjStream(si: StreamInfo): boolean {
  return si.config.name.startsWith(OBJ_STREAM_PREFIX) && (si.config.subjects ?? []).some((s) => s.startsWith('$O.'));
}

export function objectBucketFromStream(si: StreamInfo): ObjectBucket {
  const c = si.config;
  const maxBytes = c.max_bytes ?? -1;
  return {
    bucket: c.name.slice(OBJ_STREAM_PREFIX.length),
    stream: c.name,
    description: c.description && c.description.length > 0 ? c.description : null,
    storage: c.storage === StorageType.Memory ? 'memory' : 'file',
    replicas: c.num_replicas ?? 1,
    sealed: Boolean(c.sealed),
    ttlMs: typeof c.max_age === 'number' ? Math.round(c.max_age / 1e6) : 0,
    maxBytes,
    compression: Boolean(c.compression && String(c.compression) !== 'none'),
    size: si.state.bytes,
    usageBytes: maxBytes > 0 ? si.state.bytes / maxBytes : null,
    created: si.created
  };
}

/** Object headers: the obj client hands over MsgHdrs for new puts, but the JSON record when it read the meta. */
function plainHeaders(h: unknown): Record<string, string[]> | null {
  if (!h) return null;
  if (typeof (h as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function') {
    return headersOf(h as Parameters<typeof headersOf>[0]);
  }
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
    out[k] = Array.isArray(v) ? v.map(String) : [String(v)];
  }
  return Object.keys(out).length > 0 ? out : null;
}

export function toObjectEntry(info: ObjectInfo): ObjectEntry {
  const link = info.options?.link;
  return {
    bucket: info.bucket,
    name: info.name,
    description: info.description && info.description.length > 0 ? info.description : null,
    // A link's meta (as other clients write it) may lack the data fields.
    size: info.size ?? 0,
    chunks: info.chunks ?? 0,
    digest: info.digest ?? '',
    modified: info.mtime ?? new Date(0).toISOString(),
    deleted: info.deleted ?? false,
    headers: plainHeaders(info.headers),
    link: link ? { bucket: link.bucket, name: link.name ?? null } : null,
    revision: info.revision ?? 0,
    metadata: info.metadata ?? null
  };
}

/** Turns what the obj client throws into a typed error naming the bucket or object. */
export function objError(error: unknown, bucket: string, name?: string): ContractError {
  if (error instanceof ContractError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof JetStreamApiError ? error.code : 0;
  if (code === 10059 || /stream not found|object store not found/i.test(message)) {
    return new ContractError('NOT_FOUND', `there is no object store ${bucket}`, {
      hint: 'List the object stores with synos-cc object ls, or create one with synos-cc object add.'
    });
  }
  if (/sealed/i.test(message) || code === 10109) {
    return new ContractError('CONFLICT', `object store ${bucket} is sealed: it can no longer change`, {
      reason: 'SEALED'
    });
  }
  if (/maximum bytes exceeded|insufficient resources|no space/i.test(message)) {
    return new ContractError('JETSTREAM_ERROR', `${bucket} cannot hold ${name ?? 'this object'}: ${message}`, {
      hint: 'Raise the bucket max bytes or the account/server JetStream limits, or delete objects first.'
    });
  }
  if (error instanceof JetStreamApiError) {
    return new ContractError('JETSTREAM_ERROR', `${bucket}: ${message}`, { apiCode: code }, { cause: error });
  }
  return toNatsContractError(error);
}

/** `SHA-256=<base64url>` as stored by the obj client, as bytes; null when not that form. */
export function digestBytes(digest: string): Buffer | null {
  const m = /^SHA-256=(.+)$/i.exec(digest);
  return m ? Buffer.from((m[1] as string).replace(/=+$/, ''), 'base64url') : null;
}

export type Progress = (bytes: number, total: number | null) => void;

export interface PutOptions {
  bucket: string;
  name: string;
  description?: string | undefined;
  headers?: Record<string, string[]> | undefined;
  /** Expected size (Content-Length, file size); a different count fails the put. */
  size?: number | undefined;
  onProgress?: Progress | undefined;
  signal?: AbortSignal | undefined;
}

export interface GetResult {
  entry: ObjectEntry;
  bytes: number;
}

export class ObjectInspector {
  private jsmP: Promise<JetStreamManager> | null = null;
  private readonly objm: Objm;

  constructor(private readonly nc: NatsConnection) {
    this.objm = new Objm(nc);
  }

  private jsm(): Promise<JetStreamManager> {
    this.jsmP ??= jetstreamManager(this.nc);
    return this.jsmP;
  }

  private async streamInfo(bucket: string): Promise<StreamInfo> {
    const jsm = await this.jsm();
    try {
      const si = await jsm.streams.info(objStreamName(bucket));
      if (!isObjStream(si)) throw new ContractError('NOT_FOUND', `stream ${si.config.name} is not an object store`);
      return si;
    } catch (error) {
      throw objError(error, bucket);
    }
  }

  async open(bucket: string): Promise<ObjectStore> {
    await this.streamInfo(bucket);
    try {
      return await this.objm.open(bucket);
    } catch (error) {
      throw objError(error, bucket);
    }
  }

  async list(): Promise<ObjectBucket[]> {
    const jsm = await this.jsm();
    const out: ObjectBucket[] = [];
    try {
      for await (const si of jsm.streams.list()) if (isObjStream(si)) out.push(objectBucketFromStream(si));
    } catch (error) {
      throw toNatsContractError(error);
    }
    return out.sort((a, b) => a.bucket.localeCompare(b.bucket));
  }

  async info(bucket: string): Promise<ObjectBucket> {
    return objectBucketFromStream(await this.streamInfo(bucket));
  }

  async add(input: {
    bucket: string;
    description?: string | undefined;
    ttlMs?: number | undefined;
    maxBytes?: number | undefined;
    replicas?: number | undefined;
    storage?: 'file' | 'memory' | undefined;
    compression?: boolean | undefined;
  }): Promise<ObjectBucket> {
    const jsm = await this.jsm();
    const exists = await jsm.streams.info(objStreamName(input.bucket)).then(
      () => true,
      () => false
    );
    if (exists) throw new ContractError('CONFLICT', `object store ${input.bucket} already exists`);
    try {
      await this.objm.create(input.bucket, {
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.ttlMs !== undefined && input.ttlMs > 0 ? { ttl: nanos(input.ttlMs) } : {}),
        ...(input.maxBytes !== undefined ? { max_bytes: input.maxBytes } : {}),
        ...(input.replicas !== undefined ? { replicas: input.replicas } : {}),
        ...(input.storage === 'memory' ? { storage: StorageType.Memory } : {}),
        ...(input.compression !== undefined ? { compression: input.compression } : {})
      });
    } catch (error) {
      throw objError(error, input.bucket);
    }
    return this.info(input.bucket);
  }

  async rm(bucket: string): Promise<boolean> {
    await this.streamInfo(bucket);
    const jsm = await this.jsm();
    try {
      return await jsm.streams.delete(objStreamName(bucket));
    } catch (error) {
      throw objError(error, bucket);
    }
  }

  async seal(bucket: string): Promise<ObjectBucket> {
    const os = await this.open(bucket);
    try {
      await os.seal();
    } catch (error) {
      throw objError(error, bucket);
    }
    return this.info(bucket);
  }

  async objects(bucket: string): Promise<ObjectEntry[]> {
    const os = await this.open(bucket);
    try {
      const list = await os.list();
      return list.map(toObjectEntry).sort((a, b) => a.name.localeCompare(b.name));
    } catch (error) {
      throw objError(error, bucket);
    }
  }

  async object(bucket: string, name: string): Promise<ObjectEntry> {
    const os = await this.open(bucket);
    let info: ObjectInfo | null;
    try {
      info = await os.info(name);
    } catch (error) {
      throw objError(error, bucket, name);
    }
    if (!info || info.deleted) {
      throw new ContractError('NOT_FOUND', `object store ${bucket} has no object ${name}`, {
        hint: `List its objects with synos-cc object ls ${bucket}.`
      });
    }
    return toObjectEntry(info);
  }

  async delete(bucket: string, name: string): Promise<void> {
    await this.object(bucket, name);
    const os = await this.open(bucket);
    try {
      await os.delete(name);
    } catch (error) {
      throw objError(error, bucket, name);
    }
  }

  /** Streams `source` into an object; see the file comment. Resolves with the stored object. */
  async put(source: Readable, options: PutOptions): Promise<ObjectEntry> {
    const os = await this.open(options.bucket);
    const hash = createHash('sha256');
    let bytes = 0;
    const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
    let aborted = false;
    const abort = (): void => {
      aborted = true;
      source.destroy();
    };
    options.signal?.addEventListener('abort', abort, { once: true });
    const stream = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (aborted) {
            controller.error(new ContractError('CANCELLED', 'the upload was cancelled'));
            return;
          }
          const { done, value } = await iterator.next();
          if (done) {
            controller.close();
            return;
          }
          const chunk = typeof value === 'string' ? Buffer.from(value) : value;
          hash.update(chunk);
          bytes += chunk.length;
          options.onProgress?.(bytes, options.size ?? null);
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        },
        async cancel() {
          await iterator.return?.();
        }
      },
      { highWaterMark: 0 }
    );
    let info: ObjectInfo;
    try {
      const meta: Parameters<ObjectStore['put']>[0] = { name: options.name };
      if (options.description) meta.description = options.description;
      if (options.headers && Object.keys(options.headers).length > 0) {
        const h = natsHeaders();
        for (const [k, vs] of Object.entries(options.headers)) for (const v of vs) h.append(k, v);
        meta.headers = h;
      }
      info = await os.put(meta, stream);
    } catch (error) {
      if (aborted) throw new ContractError('CANCELLED', `the upload of ${options.name} was cancelled`);
      throw objError(error, options.bucket, options.name);
    } finally {
      options.signal?.removeEventListener('abort', abort);
    }
    if (aborted) {
      await os.delete(options.name).catch(() => undefined);
      throw new ContractError('CANCELLED', `the upload of ${options.name} was cancelled`);
    }
    const expected = digestBytes(info.digest);
    const mismatch =
      (options.size !== undefined && bytes !== options.size) ||
      info.size !== bytes ||
      !expected ||
      !expected.equals(hash.digest());
    if (mismatch) {
      await os.delete(options.name).catch(() => undefined);
      throw new ContractError(
        'INTERNAL',
        `the upload of ${options.name} did not arrive whole (read ${bytes} bytes${options.size !== undefined ? ` of ${options.size}` : ''}, stored ${info.size}); it was deleted`,
        { hint: 'Try the upload again.' }
      );
    }
    return toObjectEntry(info);
  }

  /** Resolves links to the object that holds the data. */
  private async resolve(bucket: string, name: string, depth = 0): Promise<ObjectInfo> {
    const os = await this.open(bucket);
    const info = await os.info(name).catch((error: unknown) => {
      throw objError(error, bucket, name);
    });
    if (!info || info.deleted) throw new ContractError('NOT_FOUND', `object store ${bucket} has no object ${name}`);
    const link = info.options?.link;
    if (!link) return info;
    if (!link.name)
      throw new ContractError('INVALID_INPUT', `${name} links to a whole bucket (${link.bucket}), not an object`);
    if (depth > 4) throw new ContractError('INVALID_INPUT', `${name}: too many links in a row`);
    return this.resolve(link.bucket, link.name, depth + 1);
  }

  /** Reads an object's meta (following links), for a transfer that needs it before the data. */
  async target(bucket: string, name: string): Promise<ObjectEntry> {
    return toObjectEntry(await this.resolve(bucket, name));
  }

  /**
   * Writes an object into `sink`, memory bounded (see the file comment); rejects on a digest or
   * size mismatch after the last byte (the sink then holds bad data: the caller discards it).
   */
  async get(
    bucket: string,
    name: string,
    sink: Writable,
    options: { onProgress?: Progress | undefined; signal?: AbortSignal | undefined } = {}
  ): Promise<GetResult> {
    const info = await this.resolve(bucket, name);
    const entry = toObjectEntry(info);
    const expected = digestBytes(info.digest);
    if (!expected) throw new ContractError('INTERNAL', `${name} has a digest this app cannot check: ${info.digest}`);
    const hash = createHash('sha256');
    let bytes = 0;
    let received = 0;
    if (info.chunks > 0) {
      const js = jetstream(this.nc);
      const consumer = await js.consumers.get(objStreamName(info.bucket), {
        // One subject as a string: a list needs server 2.10.
        filter_subjects: `$O.${info.bucket}.C.${info.nuid}`
      });
      try {
        while (received < info.chunks) {
          if (options.signal?.aborted) throw new ContractError('CANCELLED', `the download of ${name} was cancelled`);
          const want = Math.min(GET_BATCH, info.chunks - received);
          const batch = await consumer.fetch({ max_messages: want, expires: 10_000 });
          let got = 0;
          for await (const m of batch) {
            got++;
            received++;
            hash.update(m.data);
            bytes += m.data.length;
            if (!sink.write(m.data)) await once(sink, 'drain', options.signal ? { signal: options.signal } : {});
            options.onProgress?.(bytes, info.size);
            if (got >= want) break;
          }
          if (got === 0) {
            throw new ContractError(
              'TIMEOUT',
              `${name}: the server sent no data for 10 s after ${received} of ${info.chunks} chunks`
            );
          }
        }
      } catch (error) {
        if (error instanceof ContractError) throw error;
        if (options.signal?.aborted) throw new ContractError('CANCELLED', `the download of ${name} was cancelled`);
        throw objError(error, bucket, name);
      } finally {
        await consumer.delete().catch(() => undefined);
      }
    }
    if (bytes !== info.size || !expected.equals(hash.digest())) {
      throw new ContractError(
        'INTERNAL',
        `${name} arrived corrupt: ${bytes} of ${info.size} bytes, digest ${bytes === info.size ? 'differs' : 'not checked'}`,
        { hint: 'The stored object may be damaged; put it again.' }
      );
    }
    return { entry, bytes };
  }
}
