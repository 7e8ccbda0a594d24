import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServerCli } from '../harness/server-and-core';
import { tempDir } from '../harness/temp';

describe('synos-cc object', () => {
  const { cli, json } = useServerCli();
  const dir = tempDir();

  it('adds a store, puts and gets a file with --json, and lists objects', () => {
    expect(json('object', 'add', 'DOCS', '--description', 'docs').bucket).toMatchObject({
      bucket: 'DOCS',
      sealed: false
    });
    const file = path.join(dir, 'a.bin');
    const data = randomBytes(700_000);
    fs.writeFileSync(file, data);
    const put = json('object', 'put', 'DOCS', file, '--description', 'blob', '-H', 'X-Origin:test');
    expect(put).toMatchObject({ name: 'a.bin', size: 700_000, description: 'blob', headers: { 'X-Origin': ['test'] } });

    const out = path.join(dir, 'b.bin');
    const got = json('object', 'get', 'DOCS', 'a.bin', '-O', out);
    expect(got).toMatchObject({ bytes: 700_000, file: out, digest: put.digest });
    expect(fs.readFileSync(out).equals(data)).toBe(true);
    const exists = cli('object', 'get', 'DOCS', 'a.bin', '-O', out);
    expect(exists.code).toBe(1);
    expect(exists.stderr).toMatch(/CONFLICT: .* exists/);

    const list = json('object', 'ls', 'DOCS') as { objects: Array<{ name: string; chunks: number }> };
    expect(list.objects).toEqual([expect.objectContaining({ name: 'a.bin', chunks: 6 })]);
    const stores = json('object', 'ls') as { buckets: Array<{ bucket: string; size: number }> };
    expect(stores.buckets.map((b) => b.bucket)).toEqual(['DOCS']);
    expect(json('object', 'info', 'DOCS', 'a.bin')).toMatchObject({ name: 'a.bin', size: 700_000 });
  });

  it('rm and seal ask first; a sealed store refuses puts; a missing file is NOT_FOUND', () => {
    expect(cli('object', 'rm', 'DOCS', 'a.bin').code).toBe(2);
    expect(json('object', 'rm', 'DOCS', 'a.bin', '-f')).toEqual({ bucket: 'DOCS', name: 'a.bin', deleted: true });
    expect(json('object', 'seal', 'DOCS', '-f').bucket).toMatchObject({ sealed: true });
    const file = path.join(dir, 'c.txt');
    fs.writeFileSync(file, 'c');
    const sealed = cli('object', 'put', 'DOCS', file);
    expect(sealed.code).toBe(1);
    expect(sealed.stderr).toMatch(/sealed/);
    const missing = cli('object', 'put', 'DOCS', path.join(dir, 'nope'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/NOT_FOUND: no such file/);
    expect(json('object', 'rm', 'DOCS', '--force')).toEqual({ bucket: 'DOCS', deleted: true });
  });
});
