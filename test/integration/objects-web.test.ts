import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectProgress } from '../../main/contract';
import { silentLogger } from '../../main/core/logger';
import { startWebServer, type WebServer } from '../../main/transport/web-server';
import { useServerAndCore } from '../harness/server-and-core';
import { tempDir, waitFor } from '../harness/temp';

/** PUTs a file as a streamed request body; resolves with the status and the JSON answer. */
function putFile(url: string, file: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'PUT',
      headers: { 'Content-Length': String(fs.statSync(file).size), 'Content-Type': 'application/octet-stream' }
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    fs.createReadStream(file).pipe(req);
  });
}

describe('web mode object transfers', () => {
  const env = useServerAndCore({ core: { overrides: { provision: false } } });
  let web: WebServer;
  const dir = tempDir();

  beforeAll(async () => {
    web = await startWebServer({ api: env.core.api, logger: silentLogger, staticDir: dir });
    await env.core.api.invoke('objects.add', { bucket: 'WEB' });
  });
  afterAll(async () => {
    await web?.close();
  });

  it('uploads with a one-time ticket, reports progress, and downloads the same bytes with their size', async () => {
    const file = path.join(dir, 'upload.bin');
    const data = randomBytes(3 * 1024 * 1024 + 17);
    fs.writeFileSync(file, data);
    const progress: ObjectProgress[] = [];
    const off = env.core.api.subscribe('objects.progress', (p) => progress.push(p));

    const up = await env.core.api.invoke('objects.transfer', {
      bucket: 'WEB',
      name: 'dir/upload.bin',
      direction: 'upload'
    });
    expect(up.path).toMatch(/^\/objects\/transfer\/[\w-]{20,}$/);
    const put = await putFile(`${web.url}${up.path}`, file);
    expect(put.status).toBe(200);
    expect(put.body.object).toMatchObject({ name: 'dir/upload.bin', size: data.length });
    await waitFor(() => progress.find((p) => p.transferId === up.transferId && p.state === 'done'));
    expect(progress.filter((p) => p.transferId === up.transferId).at(-1)).toMatchObject({
      direction: 'upload',
      bytes: data.length,
      total: data.length
    });

    // The ticket worked once.
    const again = await putFile(`${web.url}${up.path}`, file);
    expect(again.status).toBe(404);

    const down = await env.core.api.invoke('objects.transfer', {
      bucket: 'WEB',
      name: 'dir/upload.bin',
      direction: 'download'
    });
    const res = await fetch(`${web.url}${down.path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(data.length));
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="upload\.bin"/);
    const body = Buffer.from(await res.arrayBuffer());
    expect(createHash('sha256').update(body).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    off();
  });

  it('refuses a wrong method, an unknown ticket and a missing object with typed answers', async () => {
    const down = await env.core.api.invoke('objects.transfer', {
      bucket: 'WEB',
      name: 'dir/upload.bin',
      direction: 'download'
    });
    const wrong = await fetch(`${web.url}${down.path}`, { method: 'PUT', body: 'x' });
    expect(wrong.status).toBe(405);
    const unknown = await fetch(`${web.url}/objects/transfer/not-a-ticket`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: string }).code).toBe('NOT_FOUND');
    await expect(
      env.core.api.invoke('objects.transfer', { bucket: 'WEB', name: 'missing', direction: 'download' })
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
