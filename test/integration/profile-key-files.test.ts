/**
 * Profile key files (creds, nkey seed, TLS) are read only when a connection is tried, never
 * block on a FIFO, and no answer quotes what a file holds — a path to a secret file given over
 * the API learns nothing of its content.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestCore } from '../harness/core';
import { tempDir } from '../harness/temp';

describe('profile key files', () => {
  it('a FIFO, a directory or a file of other content is refused by name and reason, never quoted', async () => {
    const dir = tempDir();
    const fifo = path.join(dir, 'fifo.creds');
    execFileSync('mkfifo', [fifo]);
    const secretLine = `root:$6$KEYFILE-CANARY-${process.pid}:19000:0:99999:7:::`;
    const shadow = path.join(dir, 'shadow');
    fs.writeFileSync(shadow, `${secretLine}\n`, { mode: 0o600 });
    const core = createTestCore();
    await core.start();
    try {
      const servers = ['nats://127.0.0.1:1'];
      // Saving a profile reads nothing: the files are only named.
      const saved = await core.api.invoke('profiles.save', {
        name: 'files',
        servers,
        auth: { kind: 'creds', credsFile: shadow }
      });
      expect(saved.auth).toEqual({ kind: 'creds', credsFile: shadow });
      const cases: Array<{ auth: Parameters<typeof core.api.invoke<'profiles.test'>>[1]['profile'] }> = [
        { auth: { name: 'a', servers, auth: { kind: 'creds', credsFile: fifo } } },
        { auth: { name: 'b', servers, auth: { kind: 'creds', credsFile: dir } } },
        { auth: { name: 'c', servers, auth: { kind: 'creds', credsFile: shadow } } },
        { auth: { name: 'd', servers, auth: { kind: 'nkey', seedFile: shadow } } },
        { auth: { name: 'e', servers, auth: { kind: 'none' }, tls: { caFile: shadow } } },
        { auth: { name: 'f', servers, auth: { kind: 'none' }, tls: { caFile: fifo } } }
      ];
      const messages: string[] = [];
      for (const c of cases) {
        const result = await core.api.invoke('profiles.test', { profile: c.auth!, timeoutMs: 1000 });
        expect(result.ok).toBe(false);
        messages.push(JSON.stringify(result));
      }
      expect(messages[0]).toMatch(/cannot use creds file .*fifo\.creds: not a regular file/);
      expect(messages[1]).toMatch(/not a regular file/);
      expect(messages[2]).toMatch(/holds no user JWT block/);
      expect(messages[3]).toMatch(/holds no nkey seed/);
      expect(messages[5]).toMatch(/cannot use TLS CA file .*: not a regular file/);
      for (const m of messages) {
        expect(m).not.toContain('KEYFILE-CANARY');
        expect(m).not.toContain('root:');
      }
    } finally {
      await core.stop();
    }
  });
});
