/**
 * Connection profiles and authentication against real nats-servers: token, user/password, nkey,
 * creds (operator mode), TLS with a CA made here; typed failures (NATS_AUTH, NATS_TLS,
 * NATS_UNREACHABLE); secrets sealed in the SQLite file; natscli context import; the active profile.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyKind } from '../../main/contract';
import type { Core } from '../../main/app/create-core';
import { runCliSync } from '../harness/cli';
import { createTestCore } from '../harness/core';
import { makeNkeyUser, makeOperatorSetup, makeTlsFiles, type TlsFiles } from '../harness/nats-auth';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir } from '../harness/temp';

const TOKEN = 'tok-SENTINEL-7f3a9c';
const PASSWORD = 'pw-SENTINEL-91b2e4';

/** A key file picked as the CLI does for --creds/--nkey/--tls-* (read now, once): its pick id. */
function pick(core: Core, kind: KeyKind, file: string): string {
  return core.app.connection.profiles.pickKeyFile(kind, file);
}

async function withCore<T>(fn: (core: Core, dataDir: string) => Promise<T>, dataDir = tempDir()): Promise<T> {
  // No servers given: profiles decide where to connect.
  const core = createTestCore({ dataDir });
  await core.start();
  try {
    return await fn(core, dataDir);
  } finally {
    await core.stop();
  }
}

describe('connection profiles and auth against real nats-servers', () => {
  const dir = tempDir('synos-auth-');
  let tokenServer: NatsServerHandle;
  let userServer: NatsServerHandle;
  let nkeyServer: NatsServerHandle;
  let tlsServer: NatsServerHandle;
  let tls: TlsFiles;
  let nkey: ReturnType<typeof makeNkeyUser>;

  beforeAll(async () => {
    tls = makeTlsFiles(dir);
    nkey = makeNkeyUser(dir);
    [tokenServer, userServer, nkeyServer, tlsServer] = await Promise.all([
      startNatsServer({ config: `authorization { token: "${TOKEN}" }\n` }),
      startNatsServer({ config: `authorization { users = [ { user: "ops", password: "${PASSWORD}" } ] }\n` }),
      startNatsServer({ config: `authorization { users = [ { nkey: "${nkey.publicKey}" } ] }\n` }),
      startNatsServer({ config: `tls { cert_file: "${tls.certFile}", key_file: "${tls.keyFile}" }\n` })
    ]);
  });
  afterAll(async () => {
    await Promise.all([tokenServer, userServer, nkeyServer, tlsServer].map((s) => s?.stop()));
  });

  it('connects with token, user/password, nkey seed file, inline seed and TLS profiles; wrong ones fail typed', async () => {
    await withCore(async (core) => {
      const save = (input: Parameters<typeof core.api.invoke<'profiles.save'>>[1]) =>
        core.api.invoke('profiles.save', input);
      const test = (id: string) => core.api.invoke('profiles.test', { id, timeoutMs: 3000 });

      const token = await save({ name: 'token', servers: [tokenServer.url], auth: { kind: 'token', token: TOKEN } });
      const user = await save({
        name: 'user',
        servers: [userServer.url],
        auth: { kind: 'user', user: 'ops', password: PASSWORD }
      });
      const nkeyFile = await save({
        name: 'nkey-file',
        servers: [nkeyServer.url],
        auth: { kind: 'nkey', seedKey: pick(core, 'seed', nkey.seedFile) }
      });
      const nkeyInline = await save({
        name: 'nkey-inline',
        servers: [nkeyServer.url],
        auth: { kind: 'nkey', seed: nkey.seed }
      });
      const tlsOk = await save({
        name: 'tls',
        servers: [tlsServer.url],
        auth: { kind: 'none' },
        tls: { ca: pick(core, 'ca', tls.caFile) }
      });

      for (const p of [token, user, nkeyFile, nkeyInline, tlsOk]) {
        const result = await test(p.id);
        expect(result, p.name).toMatchObject({ ok: true, error: null });
        expect(result.serverInfo?.version).toMatch(/^\d+\.\d+/);
      }
      // Views carry presence flags, never the secret.
      expect(token.auth).toEqual({ kind: 'token', hasToken: true });
      expect(user.auth).toEqual({ kind: 'user', user: 'ops', hasPassword: true });
      expect(nkeyInline.auth).toEqual({ kind: 'nkey', seedKey: null, hasSeed: true });
      expect(nkeyFile.auth).toMatchObject({ kind: 'nkey', seedKey: { state: 'stored', fileName: 'user.nk' } });
      expect(JSON.stringify(await core.api.invoke('profiles.list', {}))).not.toContain(PASSWORD);

      // Wrong credentials: NATS_AUTH with a hint, for each kind.
      const wrongPw = await save({
        name: 'wrong-pw',
        servers: [userServer.url],
        auth: { kind: 'user', user: 'ops', password: 'nope' }
      });
      const wrongToken = await save({
        name: 'wrong-token',
        servers: [tokenServer.url],
        auth: { kind: 'token', token: 'nope' }
      });
      const otherKey = makeNkeyUser(dir, 'other.nk');
      const wrongNkey = await save({
        name: 'wrong-nkey',
        servers: [nkeyServer.url],
        auth: { kind: 'nkey', seedKey: pick(core, 'seed', otherKey.seedFile) }
      });
      const noAuth = await save({ name: 'no-auth', servers: [userServer.url], auth: { kind: 'none' } });
      for (const p of [wrongPw, wrongToken, wrongNkey, noAuth]) {
        const result = await test(p.id);
        expect(result.ok, p.name).toBe(false);
        expect(result.error?.code, `${p.name}: ${result.error?.message}`).toBe('NATS_AUTH');
        expect(result.hint).toMatch(/credentials/);
      }

      // TLS: a CA that did not sign the server certificate, and no TLS settings at all.
      const wrongCa = await save({
        name: 'wrong-ca',
        servers: [tlsServer.url],
        auth: { kind: 'none' },
        tls: { ca: pick(core, 'ca', tls.otherCaFile) }
      });
      const tlsResult = await test(wrongCa.id);
      expect(tlsResult.error?.code, tlsResult.error?.message).toBe('NATS_TLS');
      expect(tlsResult.hint).toMatch(/CA file/);
      const noCa = await save({ name: 'no-ca', servers: [tlsServer.url], auth: { kind: 'none' } });
      const noCaResult = await test(noCa.id);
      expect(noCaResult.error?.code, noCaResult.error?.message).toBe('NATS_TLS');

      // Nothing listening.
      const down = await save({ name: 'down', servers: ['nats://127.0.0.1:1'], auth: { kind: 'none' } });
      const downResult = await test(down.id);
      expect(downResult.error?.code).toBe('NATS_UNREACHABLE');

      // A draft can be tested before saving; an edited profile's draft reuses the stored secret.
      const draft = await core.api.invoke('profiles.test', {
        profile: { name: 'draft', servers: [userServer.url], auth: { kind: 'user', user: 'ops' } },
        id: user.id
      });
      expect(draft.ok).toBe(true);
    });
  });

  it('connection.connect with a profile: connects, reports the profile, persists it as active across restarts', async () => {
    const dataDir = tempDir();
    let profileId = '';
    await withCore(async (core) => {
      const p = await core.api.invoke('profiles.save', {
        name: 'ops',
        servers: [userServer.url],
        auth: { kind: 'user', user: 'ops', password: PASSWORD }
      });
      profileId = p.id;
      const status = await core.api.invoke('connection.connect', { profileId: p.id });
      expect(status.state).toBe('connected');
      expect(status.profile).toEqual({ id: p.id, name: 'ops' });
      expect(status.server).toContain(String(userServer.port));
      expect((await core.api.invoke('profiles.list', {})).activeProfileId).toBe(p.id);

      // A wrong profile: the status carries NATS_AUTH (and the manager keeps retrying in the background).
      const bad = await core.api.invoke('profiles.save', {
        name: 'bad',
        servers: [userServer.url],
        auth: { kind: 'user', user: 'ops', password: 'x' }
      });
      const failed = await core.api.invoke('connection.connect', { profileId: bad.id });
      expect(failed.state).toBe('disconnected');
      expect(failed.lastError?.code).toBe('NATS_AUTH');
      expect(failed.hint).toMatch(/credentials/);
      await core.api.invoke('connection.connect', { profileId: p.id });
    }, dataDir);

    // Restart on the same data dir with no servers given: the active profile is used.
    await withCore(async (core) => {
      expect(core.context.nats.status().profile?.id).toBe(profileId);
      const status = await core.api.invoke('connection.connect', {});
      expect(status.state).toBe('connected');
      expect(status.server).toContain(String(userServer.port));
    }, dataDir);
  });

  it('keeps secrets sealed in the SQLite file and keeps a stored secret on update', async () => {
    await withCore(async (core, dataDir) => {
      const saved = await core.api.invoke('profiles.save', {
        name: 'sealed',
        servers: [userServer.url],
        auth: { kind: 'user', user: 'ops', password: PASSWORD }
      });
      await core.api.invoke('profiles.save', {
        name: 'tok',
        servers: [tokenServer.url],
        auth: { kind: 'token', token: TOKEN }
      });
      await core.api.invoke('profiles.save', {
        name: 'seed',
        servers: [nkeyServer.url],
        auth: { kind: 'nkey', seed: nkey.seed }
      });
      // Update without the password: it is kept (the UI never has it to send back).
      const renamed = await core.api.invoke('profiles.save', {
        id: saved.id,
        name: 'sealed-renamed',
        servers: [userServer.url],
        auth: { kind: 'user', user: 'ops' }
      });
      expect(renamed.auth).toEqual({ kind: 'user', user: 'ops', hasPassword: true });
      expect((await core.api.invoke('profiles.test', { id: saved.id })).ok).toBe(true);

      const rows = core.context.db
        .prepare('SELECT auth_secret FROM nats_profiles WHERE auth_secret IS NOT NULL')
        .all() as { auth_secret: string }[];
      expect(rows).toHaveLength(3);
      for (const row of rows) expect(row.auth_secret).toMatch(/^kf1:/);
      core.context.db.pragma('wal_checkpoint(TRUNCATE)');
      const bytes = Buffer.concat(
        ['synos.db', 'synos.db-wal']
          .map((f) => path.join(dataDir, f))
          .filter((f) => fs.existsSync(f))
          .map((f) => fs.readFileSync(f))
      );
      expect(bytes.length).toBeGreaterThan(0);
      expect(bytes.includes(Buffer.from('sealed-renamed'))).toBe(true); // the file is the one we wrote
      expect(bytes.includes(Buffer.from(PASSWORD))).toBe(false);
      expect(bytes.includes(Buffer.from(TOKEN))).toBe(false);
      expect(bytes.includes(Buffer.from(nkey.seed))).toBe(false);

      // Duplicate names are a CONFLICT, unknown ids NOT_FOUND, a token profile without a token INVALID_INPUT.
      const dup = await core.api.call('profiles.save', {
        name: 'TOK',
        servers: [tokenServer.url],
        auth: { kind: 'none' }
      });
      expect(dup).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
      expect(await core.api.call('profiles.get', { id: 'nope' })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' }
      });
      const noToken = await core.api.call('profiles.save', {
        name: 'empty',
        servers: [tokenServer.url],
        auth: { kind: 'token' }
      });
      expect(noToken).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
      const badSeed = await core.api.call('profiles.save', {
        name: 'bad',
        servers: [tokenServer.url],
        auth: { kind: 'nkey', seed: 'UABC' }
      });
      expect(badSeed).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });

      expect(await core.api.invoke('profiles.delete', { id: saved.id })).toEqual({ deleted: true });
      expect(await core.api.invoke('profiles.delete', { id: saved.id })).toEqual({ deleted: false });
    });
  });

  it('seals credentials an older version left in profile server URLs at start; the profiles still connect', async () => {
    const dataDir = tempDir();
    const withUserinfo = (url: string, userinfo: string): string => url.replace('://', `://${userinfo}@`);
    // What an older version wrote: the userinfo typed into a server URL, kept in plain text.
    await withCore(async (core) => {
      const insert = core.context.db.prepare(
        `INSERT INTO nats_profiles (id, name, servers, auth_kind, auth_user, auth_secret, source, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, NULL, 'manual', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`
      );
      insert.run('p-user', 'url-user', JSON.stringify([withUserinfo(userServer.url, `ops:${PASSWORD}`)]), 'none', null);
      insert.run('p-token', 'url-token', JSON.stringify([withUserinfo(tokenServer.url, TOKEN)]), 'none', null);
      // Another auth kind already chosen: the URL's userinfo is dropped, the chosen auth stays.
      insert.run('p-both', 'url-both', JSON.stringify([withUserinfo(userServer.url, 'other:wrong')]), 'user', 'ops');
    }, dataDir);

    await withCore(async (core) => {
      const byId = new Map((await core.api.invoke('profiles.list', {})).profiles.map((p) => [p.id, p]));
      expect(byId.get('p-user')).toMatchObject({
        servers: [userServer.url],
        auth: { kind: 'user', user: 'ops', hasPassword: true }
      });
      expect(byId.get('p-token')).toMatchObject({
        servers: [tokenServer.url],
        auth: { kind: 'token', hasToken: true }
      });
      expect(byId.get('p-both')).toMatchObject({
        servers: [userServer.url],
        auth: { kind: 'user', user: 'ops', hasPassword: false }
      });
      const rows = core.context.db.prepare('SELECT id, servers, auth_secret FROM nats_profiles').all() as Array<{
        id: string;
        servers: string;
        auth_secret: string | null;
      }>;
      for (const row of rows) {
        expect(row.servers).not.toContain('@');
        expect(row.auth_secret ?? '').not.toContain(PASSWORD);
        expect(row.auth_secret ?? '').not.toContain(TOKEN);
      }
      expect(rows.find((r) => r.id === 'p-user')?.auth_secret).toMatch(/^kf1:/);
      expect(await core.api.invoke('profiles.test', { id: 'p-user', timeoutMs: 3000 })).toMatchObject({ ok: true });
      expect(await core.api.invoke('profiles.test', { id: 'p-token', timeoutMs: 3000 })).toMatchObject({ ok: true });
      const both = await core.api.invoke('profiles.test', { id: 'p-both', timeoutMs: 3000 });
      expect(both.error?.code).toBe('NATS_AUTH');
    }, dataDir);
  });

  it('imports natscli contexts (the selected one can become active)', async () => {
    const natsDir = tempDir('synos-natscli-');
    fs.mkdirSync(path.join(natsDir, 'context'));
    const write = (name: string, body: Record<string, unknown>): void =>
      fs.writeFileSync(path.join(natsDir, 'context', `${name}.json`), JSON.stringify(body));
    write('ops', {
      description: 'ops user',
      url: userServer.url,
      user: 'ops',
      password: PASSWORD,
      token: '',
      creds: '',
      nkey: '',
      cert: '',
      key: '',
      ca: ''
    });
    write('secure', { url: tlsServer.url.replace('nats://', ''), ca: tls.caFile });
    write('keyed', { url: nkeyServer.url, nkey: nkey.seedFile, nsc: 'nsc://op/acc/user' });
    write('tokened', { url: tokenServer.url, user: TOKEN }); // natscli: a user without a password is a token
    fs.writeFileSync(path.join(natsDir, 'context', 'broken.json'), '{ not json');
    fs.writeFileSync(path.join(natsDir, 'context.txt'), 'secure\n');

    await withCore(async (core) => {
      const result = await core.api.invoke('profiles.importContexts', { configDir: natsDir, activateSelected: true });
      const byName = Object.fromEntries(result.contexts.map((c) => [c.name, c]));
      expect(byName.ops?.outcome).toBe('created');
      expect(byName.broken?.outcome).toBe('skipped');
      expect(byName.broken?.note).toMatch(/not valid JSON/);
      expect(byName.keyed?.note).toMatch(/nsc/);
      expect(byName.secure?.selected).toBe(true);
      expect(result.activeProfileId).toBe(byName.secure?.profileId);

      const { profiles } = await core.api.invoke('profiles.list', {});
      const ops = profiles.find((p) => p.name === 'ops');
      expect(ops).toMatchObject({
        source: 'natscli',
        description: 'ops user',
        auth: { kind: 'user', user: 'ops', hasPassword: true }
      });
      expect(profiles.find((p) => p.name === 'tokened')?.auth).toEqual({ kind: 'token', hasToken: true });
      for (const name of ['ops', 'secure', 'keyed', 'tokened']) {
        const id = byName[name]?.profileId as string;
        const tested = await core.api.invoke('profiles.test', { id });
        expect(tested, name).toMatchObject({ ok: true });
      }

      // Re-import updates in place; a profile entered here with a context's name is left alone.
      await core.api.invoke('profiles.save', {
        id: ops?.id,
        name: 'ops',
        servers: [userServer.url],
        auth: { kind: 'none' }
      });
      const again = await core.api.invoke('profiles.importContexts', { configDir: natsDir });
      const opsAgain = again.contexts.find((c) => c.name === 'ops');
      expect(opsAgain?.outcome).toBe('skipped');
      expect(again.contexts.find((c) => c.name === 'secure')?.outcome).toBe('updated');

      // A window or a socket cannot name the directory (it would make the core read the key files
      // any context there names): only the CLI can.
      for (const transport of ['ws', 'ipc'] as const) {
        await expect(
          core.api.invoke('profiles.importContexts', { configDir: natsDir }, { transport })
        ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('--dir') });
      }
    });
  });

  it('mutual TLS: a client certificate from the CA is accepted, none is a NATS_TLS failure', async () => {
    const mtls = await startNatsServer({
      jetstream: false,
      config: `tls { cert_file: "${tls.certFile}", key_file: "${tls.keyFile}", ca_file: "${tls.caFile}", verify: true }\n`
    });
    try {
      await withCore(async (core) => {
        const withCert = await core.api.invoke('profiles.test', {
          profile: {
            name: 'mtls',
            servers: [mtls.url],
            auth: { kind: 'none' },
            tls: {
              ca: pick(core, 'ca', tls.caFile),
              cert: pick(core, 'cert', tls.clientCertFile),
              key: pick(core, 'key', tls.clientKeyFile)
            }
          }
        });
        expect(withCert, withCert.error?.message).toMatchObject({ ok: true });
        const without = await core.api.invoke('profiles.test', {
          profile: {
            name: 'no-cert',
            servers: [mtls.url],
            auth: { kind: 'none' },
            tls: { ca: pick(core, 'ca', tls.caFile) }
          }
        });
        expect(without.ok).toBe(false);
        expect(without.error?.code, without.error?.message).toBe('NATS_TLS');
      });
    } finally {
      await mtls.stop();
    }
  });

  it('CLI: TLS and nkey flags connect; a wrong CA exits 1 with NATS_TLS and a hint', () => {
    const data = tempDir();
    const good = runCliSync(['--nats', tlsServer.url, '--tls-ca', tls.caFile, '--data', data, 'pub', 'tls.x', 'y']);
    expect(good.code, good.stderr).toBe(0);
    const nk = runCliSync(['--nats', nkeyServer.url, '--nkey', nkey.seedFile, '--data', data, 'pub', 'nk.x', 'y']);
    expect(nk.code, nk.stderr).toBe(0);
    const wrong = runCliSync([
      '--nats',
      tlsServer.url,
      '--tls-ca',
      tls.otherCaFile,
      '--data',
      data,
      'pub',
      'tls.x',
      'y'
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/error: NATS_TLS: /);
    expect(wrong.stderr).toMatch(/hint: Check the CA file/);
  });

  it('never hangs: a server that accepts and stays silent, TLS asked of a plain server, a non-NATS listener', async () => {
    const silent = net.createServer((socket) => sockets.push(socket));
    const http = net.createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const sockets: net.Socket[] = [];
    await Promise.all([silent, http].map((srv) => new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))));
    const url = (srv: net.Server): string => `nats://127.0.0.1:${(srv.address() as net.AddressInfo).port}`;
    try {
      await withCore(async (core) => {
        const blackHole = await core.api.invoke('profiles.test', {
          profile: { name: 'silent', servers: [url(silent)], auth: { kind: 'none' } },
          timeoutMs: 500
        });
        expect(blackHole.error?.code, blackHole.error?.message).toBe('NATS_UNREACHABLE');
        const plain = await core.api.invoke('profiles.test', {
          profile: {
            name: 'plain',
            servers: [tokenServer.url],
            auth: { kind: 'token', token: TOKEN },
            tls: { ca: pick(core, 'ca', tls.caFile) }
          },
          timeoutMs: 2000
        });
        expect(plain.error?.code, plain.error?.message).toBe('NATS_TLS');
        const notNats = await core.api.invoke('profiles.test', {
          profile: { name: 'http', servers: [url(http)], auth: { kind: 'none' } },
          timeoutMs: 1000
        });
        expect(notNats.error?.code, notNats.error?.message).toBe('NATS_ERROR');
        expect(notNats.hint).toMatch(/not the 8222 monitoring/);
        // A key file is read when it is picked: a missing one is refused then, by name and reason.
        expect(() => pick(core, 'seed', path.join(dir, 'missing.nk'))).toThrow(
          /cannot use nkey seed file .*: no such file/
        );
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      await Promise.all([silent, http].map((srv) => new Promise((resolve) => srv.close(resolve))));
    }
  });

  it('authenticates with a .creds file in operator mode; a user of a foreign account gets NATS_AUTH', async () => {
    const opDir = tempDir('synos-op-');
    const setup = makeOperatorSetup(opDir);
    const server = await startNatsServer({ jetstream: false, config: setup.serverConfig });
    try {
      await withCore(async (core) => {
        const good = await core.api.invoke('profiles.save', {
          name: 'creds',
          servers: [server.url],
          auth: { kind: 'creds', creds: pick(core, 'creds', setup.credsFile) }
        });
        const foreign = await core.api.invoke('profiles.save', {
          name: 'foreign',
          servers: [server.url],
          auth: { kind: 'creds', creds: pick(core, 'creds', setup.foreignCredsFile) }
        });
        const ok = await core.api.invoke('profiles.test', { id: good.id });
        expect(ok, ok.error?.message).toMatchObject({ ok: true });
        const rejected = await core.api.invoke('profiles.test', { id: foreign.id });
        expect(rejected.error?.code, rejected.error?.message).toBe('NATS_AUTH');
        // A file that is not a creds file is refused when picked, as a configuration error.
        expect(() => pick(core, 'creds', nkey.seedFile)).toThrow(/no user JWT/);
      });
    } finally {
      await server.stop();
    }
  });
});
