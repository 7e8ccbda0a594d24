/**
 * Remote web mode through the CLI (hardening finding 6): a non-loopback --host without TLS is
 * refused with what to do; --insecure-http allows it with a warning; --web-tls-cert/--web-tls-key
 * serve HTTPS and print an https:// URL; bad certificate files are refused before anything starts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliSync, startServe } from '../harness/cli';
import { makeTlsFiles } from '../harness/nats-auth';
import { tempDir } from '../harness/temp';
import { request } from '../harness/web-client';

const OFFLINE = ['--nats', 'nats://127.0.0.1:1', '--no-provision'];

describe('serve beyond loopback', () => {
  it('refuses a non-loopback --host without TLS, saying which flags to give', () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.10']) {
      const out = runCliSync(['--data', tempDir(), 'serve', '--host', host, ...OFFLINE], { timeoutMs: 20_000 });
      expect(out.code, host).toBe(2);
      expect(out.stderr).toContain(`--host ${host} would serve the web UI to the network over plain HTTP`);
      expect(out.stderr).toMatch(/--web-tls-cert FILE --web-tls-key FILE.*--insecure-http/s);
      expect(out.stdout).toBe('');
    }
  });

  it('refuses half a TLS pair, an unreadable file and a key that does not match the certificate', () => {
    const tls = makeTlsFiles(tempDir());
    const data = tempDir();
    const half = runCliSync(['--data', data, 'serve', '--web-tls-cert', tls.certFile, ...OFFLINE]);
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('--web-tls-cert and --web-tls-key go together');
    const missing = runCliSync([
      '--data',
      data,
      'serve',
      '--web-tls-cert',
      path.join(data, 'nope.pem'),
      '--web-tls-key',
      tls.keyFile,
      ...OFFLINE
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--web-tls-cert .*nope\.pem: cannot read it \(no such file\)/);
    const mismatched = runCliSync([
      '--data',
      data,
      'serve',
      '--web-tls-cert',
      tls.certFile,
      '--web-tls-key',
      tls.clientKeyFile,
      ...OFFLINE
    ]);
    expect(mismatched.code).toBe(2);
    expect(mismatched.stderr).toMatch(/not a usable certificate and key/);
  });

  it('serves plain HTTP on all addresses with --insecure-http, warning, and still checks Host', async () => {
    const serve = await startServe(['--data', tempDir(), '--host', '0.0.0.0', '--insecure-http', ...OFFLINE]);
    try {
      expect(serve.url.startsWith('http://127.0.0.1:')).toBe(true);
      expect(serve.stderr()).toMatch(/warning: listening on 0\.0\.0\.0 over plain HTTP/);
      expect((await request(`${serve.origin}/healthz`)).status).toBe(200);
      const rebound = await request(`${serve.origin}/healthz`, { headers: { Host: 'rebind.evil.example' } });
      expect(rebound.status).toBe(421);
      expect(rebound.body).toContain('--allow-host rebind.evil.example');
    } finally {
      await serve.stop();
    }
  });

  it('serves HTTPS with --web-tls-cert/--web-tls-key and prints an https:// URL; --allow-host adds a name', async () => {
    const tls = makeTlsFiles(tempDir());
    const ca = fs.readFileSync(tls.caFile);
    const serve = await startServe([
      '--data',
      tempDir(),
      '--web-tls-cert',
      tls.certFile,
      '--web-tls-key',
      tls.keyFile,
      '--allow-host',
      'synos.example.org',
      ...OFFLINE
    ]);
    try {
      expect(serve.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/\?token=/);
      const health = await request(`${serve.origin}/healthz`, { ca });
      expect(health.status).toBe(200);
      expect(health.headers['strict-transport-security']).toMatch(/max-age=/);
      const index = await request(`${serve.origin}/`, { ca });
      expect(index.status).toBe(200);
      expect(index.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect((await request(`${serve.origin}/healthz`, { ca, headers: { Host: 'synos.example.org' } })).status).toBe(
        200
      );
      expect((await request(`${serve.origin}/healthz`, { ca, headers: { Host: 'other.example.org' } })).status).toBe(
        421
      );
    } finally {
      await serve.stop();
    }
  });
});
