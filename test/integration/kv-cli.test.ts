import { describe, expect, it } from 'vitest';
import { useServerCli } from '../harness/server-and-core';

describe('synos-cc kv', () => {
  const { cli, json } = useServerCli();

  it('creates, writes, reads and lists with --json; CAS conflicts exit 1 with the code and both revisions', () => {
    const added = json('kv', 'add', 'APP', '--history', '3', '--ttl', '1h', '--max-bucket-size', '1MiB');
    expect(added.bucket).toMatchObject({ bucket: 'APP', history: 3, ttlMs: 3_600_000, maxBytes: 1024 * 1024 });

    const put = json('kv', 'put', 'APP', 'svc.a', '{"on":true}');
    expect(put).toEqual({ bucket: 'APP', key: 'svc.a', revision: 1 });
    expect(json('kv', 'update', 'APP', 'svc.a', 'second', '1')).toMatchObject({ revision: 2 });

    const stale = cli('kv', 'update', 'APP', 'svc.a', 'third', '1');
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/CONFLICT: svc\.a in APP is at revision 2, but the write expected revision 1/);

    const created = cli('kv', 'create', 'APP', 'svc.a', 'x');
    expect(created.code).toBe(1);
    expect(created.stderr).toMatch(/CONFLICT: .*create only writes new keys/);

    const got = json('kv', 'get', 'APP', 'svc.a');
    expect(got).toMatchObject({ key: 'svc.a', revision: 2, operation: 'PUT', format: 'text' });
    expect(Buffer.from(String(got.valueBase64), 'base64').toString()).toBe('second');
    const raw = cli('kv', 'get', 'APP', 'svc.a', '--revision', '1', '--raw');
    expect(raw.stdout).toBe('{"on":true}');

    const history = json('kv', 'history', 'APP', 'svc.a') as { entries: Array<{ revision: number }> };
    expect(history.entries.map((e) => e.revision)).toEqual([1, 2]);

    json('kv', 'put', 'APP', 'svc.b', 'b');
    const keys = json('kv', 'keys', 'APP', 'svc.*', '--limit', '1') as { keys: Array<{ key: string }>; next: unknown };
    expect(keys.keys.map((k) => k.key)).toEqual(['svc.a']);
    expect(keys.next).toEqual(expect.any(String));
    const all = json('kv', 'keys', 'APP', '--all') as { keys: Array<{ key: string }> };
    expect(all.keys.map((k) => k.key).sort()).toEqual(['svc.a', 'svc.b']);

    const list = json('kv', 'ls') as { cached: boolean; buckets: Array<{ bucket: string; values: number }> };
    expect(list.cached).toBe(false);
    expect(list.buckets).toEqual([expect.objectContaining({ bucket: 'APP', values: 3 })]);
  });

  it('destructive commands refuse without a terminal or --force, and work with --force', () => {
    const refused = cli('kv', 'del', 'APP', 'svc.b');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/needs confirmation: add --force/);
    expect(json('kv', 'del', 'APP', 'svc.b', '--force')).toEqual({ bucket: 'APP', key: 'svc.b', operation: 'DEL' });
    expect(json('kv', 'purge', 'APP', 'svc.b', '-f')).toMatchObject({ operation: 'PURGE' });
    const edited = json('kv', 'edit', 'APP', '--history', '10');
    expect(edited.bucket).toMatchObject({ history: 10 });
    expect(json('kv', 'rm', 'APP', '--force')).toEqual({ bucket: 'APP', deleted: true });
    const gone = cli('kv', 'info', 'APP');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/NOT_FOUND: there is no key-value bucket APP/);
  });

  it('bad flag values are usage errors', () => {
    const bad = cli('kv', 'add', 'B', '--ttl', 'soon');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--ttl must be a duration/);
    const size = cli('kv', 'add', 'B', '--max-bucket-size', '10 parsecs');
    expect(size.code).toBe(2);
  });
});
