import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Objm } from '@nats-io/obj';
import { describe, expect, it } from 'vitest';
import { type ObjectProgress, type ObjectWatchBatch } from '../../main/contract';
import { getToFile, putFile } from '../../main/nats/buckets/object-files';
import { ObjectInspector } from '../../main/nats/buckets/objects';
import { rejection } from '../harness/rejection';
import { useServerAndCore } from '../harness/server-and-core';
import { tempDir, waitFor } from '../harness/temp';

/** Size of the large-object test (SYNOS_BIG_OBJECT_MB=1024 for the 1 GiB check). */
const BIG_MB = Number(process.env.SYNOS_BIG_OBJECT_MB ?? 256);

/** A file of random bytes, written in 1 MiB pieces; returns its SHA-256 (hex). */
function writeRandomFile(file: string, bytes: number): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'w');
  for (let written = 0; written < bytes;) {
    const piece = randomBytes(Math.min(1024 * 1024, bytes - written));
    hash.update(piece);
    fs.writeSync(fd, piece);
    written += piece.length;
  }
  fs.closeSync(fd);
  return hash.digest('hex');
}

function sha256File(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1024 * 1024);
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
  }
  fs.closeSync(fd);
  return hash.digest('hex');
}

describe('object stores on a real server', () => {
  const env = useServerAndCore({ core: { overrides: { provision: false } } });
  const dir = tempDir();

  it('creates a store, puts a file with description and headers, lists it with its meta and gets it back', async () => {
    const added = await env.core.api.invoke('objects.add', {
      bucket: 'FILES',
      description: 'docs',
      maxBytes: 64 << 20
    });
    expect(added.bucket).toMatchObject({ bucket: 'FILES', sealed: false, maxBytes: 64 << 20, description: 'docs' });
    expect((await rejection(env.core.api.invoke('objects.add', { bucket: 'FILES' }))).code).toBe('CONFLICT');

    const file = path.join(dir, 'report.json');
    fs.writeFileSync(file, JSON.stringify({ rows: Array.from({ length: 5000 }, (_, i) => i) }));
    const inspector = new ObjectInspector(env.nc);
    const progress: number[] = [];
    const entry = await putFile(inspector, 'FILES', file, {
      description: 'the report',
      headers: { 'X-Kind': ['report'] },
      onProgress: (bytes) => progress.push(bytes)
    });
    const size = fs.statSync(file).size;
    expect(entry).toMatchObject({ name: 'report.json', size, description: 'the report', deleted: false });
    expect(entry.chunks).toBeGreaterThan(0);
    expect(entry.digest).toMatch(/^SHA-256=/);
    expect(progress.at(-1)).toBe(size);

    // A link made by another client shows as one.
    const os = await new Objm(env.nc).open('FILES');
    await os.link('latest', (await os.info('report.json'))!);

    const list = await env.core.api.invoke('objects.objects', { bucket: 'FILES' });
    expect(list.cached).toBe(false);
    expect(list.objects.map((o) => o.name)).toEqual(['latest', 'report.json']);
    const report = list.objects.find((o) => o.name === 'report.json')!;
    expect(report.headers).toMatchObject({ 'X-Kind': ['report'] });
    expect(list.objects.find((o) => o.name === 'latest')!.link).toEqual({ bucket: 'FILES', name: 'report.json' });

    // Getting the link gets the object it points to.
    const out = path.join(dir, 'copy.json');
    const got = await getToFile(inspector, 'FILES', 'latest', out);
    expect(got.bytes).toBe(size);
    expect(fs.readFileSync(out).equals(fs.readFileSync(file))).toBe(true);
    expect(fs.existsSync(`${out}.partial`)).toBe(false);

    // An existing file is not replaced without force; a missing object creates no file.
    expect((await rejection(getToFile(inspector, 'FILES', 'report.json', out))).code).toBe('CONFLICT');
    const none = path.join(dir, 'none');
    expect((await rejection(getToFile(inspector, 'FILES', 'nope', none))).code).toBe('NOT_FOUND');
    expect(fs.existsSync(none) || fs.existsSync(`${none}.partial`)).toBe(false);
  });

  it(
    'streams a large object (256 MiB, SYNOS_BIG_OBJECT_MB) both ways with its digest checked and RSS bounded',
    async () => {
      const big = path.join(dir, 'big.bin');
      const bytes = BIG_MB * 1024 * 1024;
      const sum = writeRandomFile(big, bytes);
      await env.core.api.invoke('objects.add', { bucket: 'BIG' });
      const inspector = new ObjectInspector(env.nc);
      global.gc?.();
      const base = process.memoryUsage().rss;
      let peak = base;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      try {
        const put = await putFile(inspector, 'BIG', big);
        expect(put.size).toBe(bytes);
        const out = path.join(dir, 'big.out');
        const got = await getToFile(inspector, 'BIG', 'big.bin', out);
        expect(got.bytes).toBe(bytes);
        expect(sha256File(out)).toBe(sum);
        fs.rmSync(out);
      } finally {
        clearInterval(sampler);
        fs.rmSync(big);
      }
      // Holding the object would take 256 MiB; streaming keeps a few chunks.
      process.stderr.write(
        `large object: ${bytes / 1048576} MiB, peak RSS growth ${((peak - base) / 1048576).toFixed(1)} MB\n`
      );
      expect(peak - base).toBeLessThan(100 * 1024 * 1024);
    },
    Math.max(300_000, BIG_MB * 2000)
  );

  it('reports upload progress to the session and refuses changes to a sealed store', async () => {
    const events: ObjectProgress[] = [];
    const off = env.core.api.subscribe('objects.progress', (p) => events.push(p));
    const watchBatches: ObjectWatchBatch[] = [];
    const offWatch = env.core.api.subscribe('objects.watch', (b) => watchBatches.push(b));
    await env.core.api.invoke('objects.add', { bucket: 'SEALME' });
    const w = await env.core.api.invoke('objects.watch.start', { bucket: 'SEALME' });
    const os = await new Objm(env.nc).open('SEALME');
    await os.putBlob({ name: 'a.txt' }, new TextEncoder().encode('hello'));
    const seen = await waitFor(() => watchBatches.flatMap((b) => b.entries).find((e) => e.name === 'a.txt'));
    expect(seen).toMatchObject({ bucket: 'SEALME', size: 5 });
    await env.core.api.invoke('objects.watch.stop', { id: w.id });
    offWatch();

    const noConfirm = await env.core.api.call('objects.seal', { bucket: 'SEALME' });
    expect(noConfirm.ok).toBe(false);
    const sealed = await env.core.api.invoke('objects.seal', { bucket: 'SEALME', confirm: true });
    expect(sealed.bucket.sealed).toBe(true);
    const refused = await rejection(
      env.core.api.invoke('objects.transfer', { bucket: 'SEALME', name: 'b.txt', direction: 'upload' })
    );
    expect(refused.code).toBe('CONFLICT');
    expect(refused.details).toMatchObject({ reason: 'SEALED' });
    expect(
      (await rejection(env.core.api.invoke('objects.delete', { bucket: 'SEALME', name: 'a.txt', confirm: true }))).code
    ).toBe('CONFLICT');
    off();
    // No transfer ran, so no progress was reported.
    expect(events).toEqual([]);
  });

  it('deletes an object with confirm; the desktop-only procedures say what to use instead', async () => {
    const del = await env.core.api.invoke('objects.delete', { bucket: 'FILES', name: 'report.json', confirm: true });
    expect(del.deleted).toBe(true);
    expect(
      (await rejection(env.core.api.invoke('objects.object', { bucket: 'FILES', name: 'report.json' }))).code
    ).toBe('NOT_FOUND');
    const upload = await rejection(env.core.api.invoke('objects.upload', { bucket: 'FILES' }));
    expect(upload.code).toBe('UNAVAILABLE');
    expect(String((upload.details as { hint: string }).hint)).toMatch(/synos-cc object put/);
  });

  it('answers the store list and object list from the cache while the server is down', async () => {
    await env.core.api.invoke('objects.list', {});
    await env.core.api.invoke('objects.objects', { bucket: 'FILES' });
    await env.server.stop();
    await waitFor(async () => (await env.core.api.invoke('connection.status', {})).state !== 'connected');
    const list = await env.core.api.invoke('objects.list', {});
    expect(list.cached).toBe(true);
    expect(list.buckets.map((b) => b.bucket)).toEqual(['BIG', 'FILES', 'SEALME']);
    const objects = await env.core.api.invoke('objects.objects', { bucket: 'FILES' });
    expect(objects.cached).toBe(true);
    expect(objects.objects.map((o) => o.name)).toEqual(['latest']);
    await env.server.restart();
  });
});
