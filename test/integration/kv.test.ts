import { Kvm } from '@nats-io/kv';
import { describe, expect, it } from 'vitest';
import { ContractError, type KvWatchBatch } from '../../main/contract';
import { createTestCore } from '../harness/core';
import { rejection } from '../harness/rejection';
import { useServerAndCore } from '../harness/server-and-core';
import { tempDir, waitFor } from '../harness/temp';

const text = (v: string): string => Buffer.from(v, 'base64').toString('utf8');

describe('key-value buckets on a real server', () => {
  const env = useServerAndCore({ core: { overrides: { provision: false } } });

  it('creates a bucket with its config, shows its status, edits and refuses a second create', async () => {
    const added = await env.core.api.invoke('kv.add', {
      bucket: 'CFG',
      history: 5,
      ttlMs: 3_600_000,
      maxBytes: 1024 * 1024,
      description: 'settings'
    });
    expect(added.bucket).toMatchObject({
      bucket: 'CFG',
      stream: 'KV_CFG',
      history: 5,
      ttlMs: 3_600_000,
      maxBytes: 1024 * 1024,
      replicas: 1,
      storage: 'file',
      values: 0,
      description: 'settings'
    });
    const again = await rejection(env.core.api.invoke('kv.add', { bucket: 'CFG' }));
    expect(again.code).toBe('CONFLICT');

    const edited = await env.core.api.invoke('kv.edit', { bucket: 'CFG', history: 10, maxBytes: 2 * 1024 * 1024 });
    expect(edited.bucket).toMatchObject({ history: 10, maxBytes: 2 * 1024 * 1024, ttlMs: 3_600_000 });

    const list = await env.core.api.invoke('kv.list', {});
    expect(list.cached).toBe(false);
    expect(list.buckets.map((b) => b.bucket)).toContain('CFG');

    const missing = await rejection(env.core.api.invoke('kv.info', { bucket: 'NOPE' }));
    expect(missing.code).toBe('NOT_FOUND');
  });

  it('puts, creates and updates with revisions; a stale revision is a typed CONFLICT', async () => {
    const r1 = await env.core.api.invoke('kv.put', { bucket: 'CFG', key: 'app.mode', value: '{"mode":"fast"}' });
    expect(r1.revision).toBeGreaterThan(0);
    const got = await env.core.api.invoke('kv.get', { bucket: 'CFG', key: 'app.mode' });
    expect(got).toMatchObject({ key: 'app.mode', revision: r1.revision, operation: 'PUT', format: 'json', size: 15 });
    expect(text(got.valueBase64)).toBe('{"mode":"fast"}');

    const r2 = await env.core.api.invoke('kv.put', {
      bucket: 'CFG',
      key: 'app.mode',
      value: '{"mode":"slow"}',
      mode: 'update',
      revision: r1.revision
    });
    expect(r2.revision).toBeGreaterThan(r1.revision);

    // Another writer was first: updating from the old revision must fail and say so.
    const stale = await rejection(
      env.core.api.invoke('kv.put', {
        bucket: 'CFG',
        key: 'app.mode',
        value: 'x',
        mode: 'update',
        revision: r1.revision
      })
    );
    expect(stale.code).toBe('CONFLICT');
    expect(stale.details).toMatchObject({ reason: 'REVISION_MISMATCH', key: 'app.mode', currentRevision: r2.revision });

    const exists = await rejection(
      env.core.api.invoke('kv.put', { bucket: 'CFG', key: 'app.mode', value: 'y', mode: 'create' })
    );
    expect(exists.code).toBe('CONFLICT');
    expect(exists.details).toMatchObject({ reason: 'KEY_EXISTS' });

    const created = await env.core.api.invoke('kv.put', {
      bucket: 'CFG',
      key: 'bin',
      value: Buffer.from([0, 1, 2, 255]).toString('base64'),
      encoding: 'base64',
      mode: 'create'
    });
    const bin = await env.core.api.invoke('kv.get', { bucket: 'CFG', key: 'bin' });
    expect(bin).toMatchObject({ revision: created.revision, format: 'binary', size: 4 });

    const old = await env.core.api.invoke('kv.get', { bucket: 'CFG', key: 'app.mode', revision: r1.revision });
    expect(text(old.valueBase64)).toBe('{"mode":"fast"}');

    // What the contract refuses never reaches the server.
    const badKey = await rejection(env.core.api.invoke('kv.put', { bucket: 'CFG', key: 'a..b', value: '1' }));
    expect(badKey.code).toBe('INVALID_INPUT');
    const noRev = await rejection(
      env.core.api.invoke('kv.put', { bucket: 'CFG', key: 'a', value: '1', mode: 'update' })
    );
    expect(noRev.code).toBe('INVALID_INPUT');
  });

  it('keeps the history with operations; delete and purge need confirm', async () => {
    await env.core.api.invoke('kv.put', { bucket: 'CFG', key: 'h', value: 'one' });
    await env.core.api.invoke('kv.put', { bucket: 'CFG', key: 'h', value: 'two' });
    const noConfirm = await rejection(env.core.api.call('kv.delete', { bucket: 'CFG', key: 'h' }).then(unwrap));
    expect(noConfirm.code).toBe('INVALID_INPUT');
    await env.core.api.invoke('kv.delete', { bucket: 'CFG', key: 'h', confirm: true });
    const history = await env.core.api.invoke('kv.history', { bucket: 'CFG', key: 'h' });
    expect(history.entries.map((e) => [e.operation, text(e.valueBase64)])).toEqual([
      ['PUT', 'one'],
      ['PUT', 'two'],
      ['DEL', '']
    ]);
    await env.core.api.invoke('kv.delete', { bucket: 'CFG', key: 'h', purge: true, confirm: true });
    const purged = await env.core.api.invoke('kv.history', { bucket: 'CFG', key: 'h' });
    expect(purged.entries.map((e) => e.operation)).toEqual(['PURGE']);
  });

  it('pages through keys with a filter, skipping deleted ones, and continues from an expired cursor', async () => {
    await env.core.api.invoke('kv.add', { bucket: 'MANY' });
    const kv = await new Kvm(env.nc).open('MANY');
    for (let i = 0; i < 250; i++) await kv.put(`k.${i % 2 === 0 ? 'even' : 'odd'}.${i}`, `${i}`);
    await kv.delete('k.even.0');

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await env.core.api.invoke('kv.keys', { bucket: 'MANY', limit: 100, ...(cursor ? { cursor } : {}) });
      expect(page.offset).toBe(seen.length);
      seen.push(...page.keys.map((k) => k.key));
      cursor = page.next ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(249);
    expect(seen).not.toContain('k.even.0');

    const odd = await env.core.api.invoke('kv.keys', { bucket: 'MANY', filter: 'k.odd.*', limit: 1000 });
    expect(odd.keys).toHaveLength(125);
    expect(odd.next).toBeNull();
    expect(odd.keys.every((k) => k.key.startsWith('k.odd.') && k.size > 0)).toBe(true);

    // A cursor whose consumer is gone (another core, a restart) is continued from its position.
    const first = await env.core.api.invoke('kv.keys', { bucket: 'MANY', limit: 50 });
    const other = createTestCore({ servers: [env.server.url], dataDir: tempDir(), overrides: { provision: false } });
    await other.start();
    await other.api.invoke('connection.connect', {});
    try {
      const second = await other.api.invoke('kv.keys', { bucket: 'MANY', limit: 50, cursor: first.next! });
      expect(second.offset).toBe(50);
      const again = await env.core.api.invoke('kv.keys', { bucket: 'MANY', limit: 50, cursor: first.next! });
      expect(second.keys.map((k) => k.key)).toEqual(again.keys.map((k) => k.key));
      expect(second.keys.map((k) => k.key).some((k) => first.keys.some((f) => f.key === k))).toBe(false);
    } finally {
      await other.stop();
    }

    // A bucket keeping several revisions lists each key once, at its newest revision.
    const revised = await env.core.api.invoke('kv.keys', { bucket: 'CFG', filter: 'app.*' });
    const newest = await env.core.api.invoke('kv.get', { bucket: 'CFG', key: 'app.mode' });
    expect(revised.keys.map((k) => [k.key, k.revision])).toEqual([['app.mode', newest.revision]]);

    const empty = await env.core.api.invoke('kv.keys', { bucket: 'MANY', filter: 'nothing.>' });
    expect(empty).toMatchObject({ keys: [], next: null, remaining: 0 });
  });

  it('pushes watched changes of a key pattern in batches', async () => {
    const batches: KvWatchBatch[] = [];
    const off = env.core.api.subscribe('kv.watch', (b) => batches.push(b));
    const w = await env.core.api.invoke('kv.watch.start', { bucket: 'CFG', key: 'w.*' });
    const kv = await new Kvm(env.nc).open('CFG');
    await kv.put('w.a', 'A');
    await kv.put('other', 'not watched');
    await kv.put('w.b', 'B');
    await kv.delete('w.a');
    const entries = await waitFor(() => {
      const all = batches.filter((b) => b.watchId === w.id).flatMap((b) => b.entries);
      return all.length >= 3 ? all : null;
    });
    expect(entries.map((e) => [e.key, e.operation])).toEqual([
      ['w.a', 'PUT'],
      ['w.b', 'PUT'],
      ['w.a', 'DEL']
    ]);
    expect(await env.core.api.invoke('kv.watch.stop', { id: w.id })).toEqual({ stopped: true });
    off();
  });

  it('tells the watcher when its watch ends by itself (the connection closed), and the last batch says why', async () => {
    const batches: KvWatchBatch[] = [];
    const off = env.core.api.subscribe('kv.watch', (b) => batches.push(b));
    try {
      const w = await env.core.api.invoke('kv.watch.start', { bucket: 'CFG', key: 'gone.*' });
      await env.core.api.invoke('connection.disconnect', {});
      const last = await waitFor(() => batches.find((b) => b.watchId === w.id && b.ended), {
        message: 'the ended batch'
      });
      expect(last.ended!.reason).toMatch(/connection to NATS closed or changed|server ended it/);
      // It is gone: stopping it now finds nothing.
      expect(await env.core.api.invoke('kv.watch.stop', { id: w.id })).toEqual({ stopped: false });
    } finally {
      off();
      await env.core.api.invoke('connection.connect', {});
    }
  });

  it('answers the bucket list from the cache while the server is down, marked cached', async () => {
    await env.core.api.invoke('kv.list', {});
    await env.server.stop();
    await waitFor(async () => (await env.core.api.invoke('connection.status', {})).state !== 'connected');
    const list = await env.core.api.invoke('kv.list', {});
    expect(list.cached).toBe(true);
    expect(list.buckets.map((b) => b.bucket)).toEqual(['CFG', 'MANY']);
    const info = await env.core.api.invoke('kv.info', { bucket: 'CFG' });
    expect(info).toMatchObject({ cached: true, bucket: { bucket: 'CFG', history: 10 } });
    await env.server.restart();
  });

  it('deletes a bucket only with confirm', async () => {
    await waitFor(async () => (await env.core.api.invoke('connection.status', {})).state === 'connected', {
      timeoutMs: 20_000
    });
    const res = await env.core.api.invoke('kv.rm', { bucket: 'MANY', confirm: true });
    expect(res.deleted).toBe(true);
    expect((await rejection(env.core.api.invoke('kv.info', { bucket: 'MANY' }))).code).toBe('NOT_FOUND');
  });
});

function unwrap(outcome: { ok: boolean; value?: unknown; error?: unknown }): unknown {
  if (!outcome.ok) throw ContractError.fromShape(outcome.error as never);
  return outcome.value;
}
