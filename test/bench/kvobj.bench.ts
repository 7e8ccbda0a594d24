/**
 * Key-value and object store benchmarks on a fresh nats-server, each against its raw client in the
 * same run:
 * - the first page (100 keys) of a bucket with 100,000 keys through KvInspector.keys (a headers-only,
 *   last-per-subject consumer that stops after the page), next to the raw `kv.keys()` of
 *   @nats-io/kv (which walks every key before its iterator ends), p50/p95 in ms;
 * - putting and getting a 256 MiB file through putFile/getToFile (streamed, digest checked) as a
 *   ratio of the raw @nats-io/obj put/get of the same file in the same run (target ≥ 0.9×), with
 *   the peak RSS growth of each.
 *
 * Run: npm run bench:kvobj   (env: BENCH_KEYS, BENCH_ROUNDS, BENCH_OBJECT_MB)
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { connect } from '@nats-io/transport-node';
import { KvInspector } from '../../main/nats/buckets/kv';
import { getToFile, putFile } from '../../main/nats/buckets/object-files';
import { ObjectInspector } from '../../main/nats/buckets/objects';
import { startNatsServer } from '../harness/nats-server';
import { tempDir } from '../harness/temp';

const KEYS = Number(process.env.BENCH_KEYS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const OBJECT_MB = Number(process.env.BENCH_OBJECT_MB ?? 256);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function line(name: string, samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  process.stdout.write(
    `${name.padEnd(62)} p50 ${p50.toFixed(1).padStart(8)} ms  p95 ${percentile(sorted, 95).toFixed(1).padStart(8)} ms\n`
  );
  return p50;
}

/** Runs fn while sampling RSS; returns its duration and the peak RSS growth over the start. */
async function measured(fn: () => Promise<void>): Promise<{ ms: number; peakMb: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const start = performance.now();
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  return { ms: performance.now() - start, peakMb: (peak - base) / (1024 * 1024) };
}

function settle(): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  return new Promise((r) => setTimeout(r, 500));
}

async function main(): Promise<void> {
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  const dir = tempDir('synos-bench-kvobj-');
  try {
    // ---- keys
    const kv = await new Kvm(nc).create('BENCH_KEYS');
    const started = Date.now();
    const enc = new TextEncoder();
    for (let i = 0; i < KEYS; i++) {
      nc.publish(`$KV.BENCH_KEYS.k.${i % 100}.${i}`, enc.encode(`{"n":${i}}`));
      if (i % 2000 === 1999) await nc.flush();
    }
    await nc.flush();
    for (;;) {
      const status = await kv.status();
      if (status.values >= KEYS) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    process.stdout.write(
      `bucket BENCH_KEYS: ${KEYS.toLocaleString('en')} keys, filled in ${((Date.now() - started) / 1000).toFixed(1)} s; load ${os.loadavg()[0]!.toFixed(2)}\n\n`
    );

    const ours: number[] = [];
    const oursFiltered: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const inspector = new KvInspector(nc);
      let s = performance.now();
      const page = await inspector.keys('BENCH_KEYS', undefined, 100, undefined);
      ours.push(performance.now() - s);
      if (page.keys.length !== 100) throw new Error(`a page of ${page.keys.length} keys`);
      s = performance.now();
      const filtered = await inspector.keys('BENCH_KEYS', 'k.7.*', 100, undefined);
      oursFiltered.push(performance.now() - s);
      if (filtered.keys.length !== Math.min(100, KEYS / 100))
        throw new Error(`a filtered page of ${filtered.keys.length} keys`);
      inspector.close();
    }
    const rawFirst: number[] = [];
    const rawAll: number[] = [];
    for (let r = 0; r < Math.max(3, Math.floor(ROUNDS / 4)); r++) {
      const s = performance.now();
      const iter = await kv.keys();
      let n = 0;
      for await (const _ of iter) {
        if (++n === 100) rawFirst.push(performance.now() - s);
      }
      rawAll.push(performance.now() - s);
      if (n !== KEYS) throw new Error(`kv.keys() gave ${n} keys`);
    }
    const p50 = line('first page of 100 keys (synos kv.keys)', ours);
    line('first page of 100 keys matching k.7.* (synos kv.keys)', oursFiltered);
    const rawP50 = line('raw @nats-io/kv keys(): the 100th key arrives', rawFirst);
    line('raw @nats-io/kv keys(): every key', rawAll);
    process.stdout.write(
      `first page: ${p50.toFixed(1)} ms p50, ${(rawP50 / p50).toFixed(1)}× sooner than the raw client's 100th key\n\n`
    );
    await kv.destroy();

    // A bucket keeping 5 revisions per key lists by last value per subject (the server scans the subjects).
    const kv5 = await new Kvm(nc).create('BENCH_KEYS_H5', { history: 5 });
    for (let i = 0; i < KEYS; i++) {
      nc.publish(`$KV.BENCH_KEYS_H5.k.${i % 100}.${i}`, enc.encode(`{"n":${i}}`));
      if (i % 2000 === 1999) await nc.flush();
    }
    await nc.flush();
    while ((await kv5.status()).values < KEYS) await new Promise((r) => setTimeout(r, 100));
    const h5: number[] = [];
    for (let r = 0; r < Math.max(3, Math.floor(ROUNDS / 4)); r++) {
      const inspector = new KvInspector(nc);
      const s = performance.now();
      const page = await inspector.keys('BENCH_KEYS_H5', undefined, 100, undefined);
      h5.push(performance.now() - s);
      if (page.keys.length !== 100) throw new Error(`a page of ${page.keys.length} keys`);
      inspector.close();
    }
    line('first page of 100 keys, bucket with history 5 (synos kv.keys)', h5);
    process.stdout.write('\n');
    await kv5.destroy();

    // ---- objects
    const bytes = OBJECT_MB * 1024 * 1024;
    const file = path.join(dir, 'object.bin');
    const fd = fs.openSync(file, 'w');
    let seed = createHash('sha256').update('bench').digest();
    const piece = Buffer.alloc(1024 * 1024);
    for (let written = 0; written < bytes; written += piece.length) {
      for (let off = 0; off < piece.length; off += 32) {
        seed = createHash('sha256').update(seed).digest();
        seed.copy(piece, off);
      }
      fs.writeSync(fd, piece);
    }
    fs.closeSync(fd);
    const objm = new Objm(nc);
    const store = await objm.create('BENCH_OBJ');
    const inspector = new ObjectInspector(nc);
    const out = path.join(dir, 'out.bin');
    const results: Record<string, { ms: number; peakMb: number }[]> = {
      rawPut: [],
      put: [],
      rawGet: [],
      get: []
    };
    // Two rounds, the raw client and ours alternating, so the machine's load hits both alike.
    for (let round = 0; round < 2; round++) {
      await settle();
      results.rawPut!.push(
        await measured(async () => {
          await store.put(
            { name: 'raw.bin' },
            Readable.toWeb(fs.createReadStream(file, { highWaterMark: 128 * 1024 })) as ReadableStream<Uint8Array>
          );
        })
      );
      await settle();
      results.put!.push(
        await measured(async () => {
          await putFile(inspector, 'BENCH_OBJ', file, { name: 'ours.bin' });
        })
      );
      await settle();
      results.rawGet!.push(
        await measured(async () => {
          const r = await store.get('raw.bin');
          if (!r) throw new Error('raw.bin is missing');
          const sink = fs.createWriteStream(out);
          for await (const chunk of r.data) if (!sink.write(chunk)) await once(sink, 'drain');
          await new Promise<void>((resolve) => sink.end(() => resolve()));
          const error = await r.error;
          if (error) throw error;
        })
      );
      fs.rmSync(out, { force: true });
      await settle();
      results.get!.push(
        await measured(async () => {
          await getToFile(inspector, 'BENCH_OBJ', 'ours.bin', out);
        })
      );
      fs.rmSync(out, { force: true });
    }
    const best = (k: string): { ms: number; peakMb: number } => results[k]!.reduce((a, b) => (b.ms < a.ms ? b : a));
    const mbps = (ms: number): string => `${((OBJECT_MB / ms) * 1000).toFixed(1)} MiB/s`;
    for (const [label, raw, mine] of [
      ['put', 'rawPut', 'put'],
      ['get', 'rawGet', 'get']
    ] as const) {
      const r = best(raw);
      const m = best(mine);
      const peakRaw = Math.max(...results[raw]!.map((x) => x.peakMb));
      const peakMine = Math.max(...results[mine]!.map((x) => x.peakMb));
      process.stdout.write(
        `object ${label} ${OBJECT_MB} MiB: synos ${mbps(m.ms)} (peak RSS +${peakMine.toFixed(0)} MB), raw @nats-io/obj ${mbps(r.ms)} (peak RSS +${peakRaw.toFixed(0)} MB): ratio ${(r.ms / m.ms).toFixed(2)}× (target ≥ 0.9×)\n`
      );
    }
    process.stdout.write(
      `load average at the end: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`
    );
  } finally {
    await nc.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
