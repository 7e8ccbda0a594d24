/**
 * Finding 3 of the hardening issue, reproduced through the real API: a `synos-cc serve` and its
 * WebSocket, as a browser (or a page that got the token) would use them, plus the upload/download
 * routes and the CLI. The API takes no path; files come from the data directory's folders or
 * uploads; nothing but a regular file is read, nothing is overwritten, no file content is echoed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliSync, startServe, type ServeHandle } from '../harness/cli';
import { tempDir } from '../harness/temp';
import { connectWs, type WsClient } from '../harness/ws-client';

const MAX = 64 * 1024;
const SHADOW = [
  'root:$6$c2FsdHNhbHQ$Zm9vYmFyYmF6aGFzaGhhc2g:19700:0:99999:7:::',
  'daemon:*:19700:0:99999:7:::',
  'operator:$y$j9T$ZXhhbXBsZQ$c2VjcmV0c2VjcmV0:19700:0:99999:7:::'
].join('\n');
const SHADOW_FRAGMENTS = ['root', '$6$', 'c2FsdHNhbHQ', 'daemon', 'operator', '$y$', 'c2VjcmV0', '19700'];

let data: string;
let serve: ServeHandle;
let ws: WsClient;
let outside: string;

function line(payload: string): string {
  return JSON.stringify({ subject: 'files.test', payload, encoding: 'utf8', time: '2026-01-01T00:00:00Z', seq: null });
}

function upload(name: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${serve.origin}/files/recordings?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${serve.token}`, 'Content-Type': 'application/octet-stream', ...headers },
    body
  });
}

function expectNoShadow(value: unknown): void {
  const text = JSON.stringify(value);
  for (const fragment of SHADOW_FRAGMENTS) expect(text).not.toContain(fragment);
}

async function healthy(): Promise<boolean> {
  return (await fetch(`${serve.origin}/healthz`)).status === 200;
}

beforeAll(async () => {
  data = tempDir();
  outside = tempDir();
  fs.writeFileSync(
    path.join(data, 'config.json'),
    JSON.stringify({ embedded: { enabled: false }, recordings: { maxImportBytes: MAX } })
  );
  serve = await startServe(['--data', data, '--nats', 'nats://127.0.0.1:1', '--no-provision']);
  ws = await connectWs(serve.origin, serve.token);
});

afterAll(async () => {
  ws?.close();
  await serve?.stop();
});

describe('finding 3: the API reads and writes no file outside its folders', () => {
  it('takes no path: recordings.import {path: /etc/shadow} and export {path} are refused by the contract', async () => {
    const imported = await ws.call('recordings.import', { path: '/etc/shadow' });
    expect(imported).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    // Refused by the schema: nothing was opened.
    expect((imported as { error: { message: string } }).error.message).toMatch(/Unrecognized key: "path"/);
    const exported = await ws.call('recordings.export', { recordingId: 1, path: '/tmp/x' });
    expect(exported).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    for (const file of ['../../../etc/shadow', '/etc/shadow', '..', '.bashrc']) {
      expect(await ws.call('recordings.import', { file })).toMatchObject({
        ok: false,
        error: { code: 'INVALID_INPUT' }
      });
    }
  });

  it('a 0600 shadow-like file: refused with line numbers only, never its content (inside the folder or linked from outside)', async () => {
    const folder = path.join(data, 'recordings');
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'shadow'), SHADOW, { mode: 0o600 });
    const inside = await ws.call('recordings.import', { file: 'shadow' });
    expect(inside).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(
      (inside as { error: { details: { errors: Array<{ line: number }> } } }).error.details.errors.map((e) => e.line)
    ).toEqual([1, 2, 3]);
    expectNoShadow(inside);

    const secret = path.join(outside, 'shadow');
    fs.writeFileSync(secret, SHADOW, { mode: 0o600 });
    fs.symlinkSync(secret, path.join(folder, 'linked.ndjson'));
    const linked = await ws.call('recordings.import', { file: 'linked.ndjson' });
    expect(linked).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN', details: { reason: 'symlink_out_of_folder' } }
    });
    expectNoShadow(linked);
    expect((await ws.call('recordings.list', {})) as { value: { recordings: unknown[] } }).toMatchObject({
      value: { recordings: [] }
    });
  });

  it('a FIFO is refused at once (the process does not freeze) and /dev/zero is refused', async () => {
    const folder = path.join(data, 'recordings');
    fs.mkdirSync(folder, { recursive: true });
    execFileSync('mkfifo', [path.join(folder, 'pipe.ndjson')]);
    const fifo = await ws.call('recordings.import', { file: 'pipe.ndjson' });
    expect(fifo).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { reason: 'not_regular_file' } } });
    expect((fifo as { error: { message: string } }).error.message).toMatch(/FIFO/);
    expect(await healthy()).toBe(true);

    fs.symlinkSync('/dev/zero', path.join(folder, 'zero.ndjson'));
    const zero = await ws.call('recordings.import', { file: 'zero.ndjson' });
    expect(zero).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await healthy()).toBe(true);

    // The CLI takes an explicit path (its user is the one typing it), with the same checks.
    const cliFifo = runCliSync(['--data', tempDir(), 'recordings', 'import', path.join(folder, 'pipe.ndjson')], {
      timeoutMs: 30_000
    });
    expect(cliFifo.code).toBe(1);
    expect(cliFifo.stderr).toMatch(/FIFO/);
    const cliZero = runCliSync(['--data', tempDir(), 'recordings', 'import', '/dev/zero'], { timeoutMs: 30_000 });
    expect(cliZero.code).toBe(1);
    expect(cliZero.stderr).toMatch(/character device, not a regular file/);
  });

  it('an upload is token-authenticated and capped with FILE_TOO_LARGE; nothing of a refused upload stays', async () => {
    const folder = path.join(data, 'recordings');
    const before = fs.existsSync(folder) ? fs.readdirSync(folder).sort() : [];
    const noToken = await fetch(`${serve.origin}/files/recordings?name=a.ndjson`, { method: 'POST', body: 'x' });
    expect(noToken.status).toBe(401);
    const queryToken = await fetch(`${serve.origin}/files/recordings?name=a.ndjson&token=${serve.token}`, {
      method: 'POST',
      body: 'x'
    });
    expect(queryToken.status).toBe(401);
    const foreign = await upload('a.ndjson', 'x', { Origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    const big = await upload('big.ndjson', Buffer.alloc(MAX + 1, 0x61));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ code: 'FILE_TOO_LARGE', message: expect.stringMatching(/64\.0 KiB/) });
    expect(fs.readdirSync(folder).sort()).toEqual(before);
    expect(await healthy()).toBe(true);
  });

  it('export over an existing 0600 file, or a CSV through a link to a shell rc file, is refused; ;touch marker; never runs', async () => {
    const up = await upload('payloads.ndjson', [line(';touch marker;'), line("=cmd|' /C calc'!A0")].join('\n') + '\n');
    expect(up.status).toBe(201);
    const uploaded = (await up.json()) as { file: string };
    expect(fs.statSync(path.join(data, 'recordings', uploaded.file)).mode & 0o777).toBe(0o600);
    const listed = await ws.call('recordings.files', {});
    expect(listed).toMatchObject({
      ok: true,
      value: {
        maxImportBytes: MAX,
        files: expect.arrayContaining([
          { folder: 'recordings', name: uploaded.file, bytes: expect.any(Number), modifiedAt: expect.any(String) }
        ])
      }
    });
    // Special files are not offered: no FIFO, no link.
    const names = (listed as { value: { files: Array<{ name: string }> } }).value.files.map((f) => f.name);
    expect(names).not.toContain('pipe.ndjson');
    expect(names).not.toContain('zero.ndjson');
    const imported = await ws.call('recordings.import', { file: uploaded.file });
    expect(imported).toMatchObject({ ok: true, value: { messageCount: 2, source: 'import' } });
    const id = (imported as { value: { id: number } }).value.id;

    const exportsDir = path.join(data, 'exports');
    fs.mkdirSync(exportsDir, { recursive: true });
    const victim = path.join(exportsDir, 'victim.ndjson');
    fs.writeFileSync(victim, 'precious', { mode: 0o600 });
    const over = await ws.call('recordings.export', { recordingId: id, file: 'victim.ndjson' });
    expect(over).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious');

    const rc = path.join(outside, '.bashrc');
    fs.writeFileSync(rc, 'export PS1="$ "\n');
    fs.symlinkSync(rc, path.join(exportsDir, 'rc.csv'));
    const throughLink = await ws.call('recordings.export', { recordingId: id, format: 'csv', file: 'rc.csv' });
    expect(throughLink).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(await ws.call('recordings.export', { recordingId: id, format: 'csv', file: '../../.bashrc' })).toMatchObject(
      { ok: false, error: { code: 'INVALID_INPUT' } }
    );
    expect(fs.readFileSync(rc, 'utf8')).toBe('export PS1="$ "\n');
    spawnSync('sh', [rc], { cwd: outside, stdio: 'ignore' });
    expect(fs.existsSync(path.join(outside, 'marker'))).toBe(false);

    // The export lands in exports/ (0600) and downloads with the token; its CSV runs nothing either.
    const csv = await ws.call('recordings.export', { recordingId: id, format: 'csv' });
    expect(csv).toMatchObject({ ok: true, value: { count: 2, file: expect.stringMatching(/\.csv$/) } });
    const name = (csv as { value: { file: string } }).value.file;
    expect(fs.statSync(path.join(exportsDir, name)).mode & 0o777).toBe(0o600);
    expect((await fetch(`${serve.origin}/files/exports/${name}`)).status).toBe(401);
    const download = await fetch(`${serve.origin}/files/exports/${encodeURIComponent(name)}?token=${serve.token}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toContain('attachment');
    const text = await download.text();
    expect(text).toBe(fs.readFileSync(path.join(exportsDir, name), 'utf8'));
    expect(text).toContain(`";touch marker;"`);
    expect(text).toContain(`'=cmd|' /C calc'!A0`);
    const copy = path.join(outside, 'downloaded.csv');
    fs.writeFileSync(copy, text);
    spawnSync('sh', [copy], { cwd: outside, stdio: 'ignore' });
    expect(fs.existsSync(path.join(outside, 'marker'))).toBe(false);
    expect(await healthy()).toBe(true);
  });
});
