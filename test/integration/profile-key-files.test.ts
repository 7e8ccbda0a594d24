/**
 * Profile key files (creds, nkey seed, TLS) are read once, when the user picks them — a path on
 * the command line, a web upload, the desktop dialog — checked for their kind and stored sealed;
 * connecting uses the stored content, so deleting or overwriting the file changes nothing. No
 * procedure takes a key-file path; refusals are typed and never quote a file; profiles saved with
 * paths by an older version are imported once at start, or marked "missing — pick it again".
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractError, type KeyKind } from '../../main/contract';
import type { Core } from '../../main/app/create-core';
import { createLogger } from '../../main/core/logger';
import { createDialogFileChooser, type DialogApi } from '../../main/desktop/file-dialog';
import { runCliSync, startServe, type ServeHandle } from '../harness/cli';
import { createTestCore } from '../harness/core';
import { makeNkeyUser, makeOperatorSetup, makeTlsFiles, type OperatorSetup } from '../harness/nats-auth';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir } from '../harness/temp';
import { connectWs } from '../harness/ws-client';

const sha256 = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function pick(core: Core, kind: KeyKind, file: string): string {
  return core.app.connection.profiles.pickKeyFile(kind, file);
}

function pickError(core: Core, kind: KeyKind, file: string): ContractError {
  try {
    pick(core, kind, file);
  } catch (error) {
    if (error instanceof ContractError) return error;
    throw error;
  }
  throw new Error(`picking ${file} as ${kind} did not fail`);
}

/** The seed line of a creds or seed file: what must never show. */
function seedOf(file: string): string {
  const seed = /S[A-Z][A-Z2-7]{50,}/.exec(fs.readFileSync(file, 'utf8'))?.[0];
  if (!seed) throw new Error(`no seed in ${file}`);
  return seed;
}

/** Every text value of every table of a SQLite file, as one string (the plain columns). */
function plainColumns(dbFile: string): string {
  const db = new BetterSqlite3(dbFile, { readonly: true });
  try {
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    return tables.map(({ name }) => JSON.stringify(db.prepare(`SELECT * FROM "${name}"`).all())).join('\n');
  } finally {
    db.close();
  }
}

describe('profile key files are read when picked, stored sealed, never by path', () => {
  const dir = tempDir('synos-keys-');
  let op: OperatorSetup;
  let opServer: NatsServerHandle;
  let nkeyServer: NatsServerHandle;
  let nkey: ReturnType<typeof makeNkeyUser>;

  beforeAll(async () => {
    op = makeOperatorSetup(dir);
    nkey = makeNkeyUser(dir);
    [opServer, nkeyServer] = await Promise.all([
      startNatsServer({ jetstream: false, config: op.serverConfig }),
      startNatsServer({ jetstream: false, config: `authorization { users = [ { nkey: "${nkey.publicKey}" } ] }\n` })
    ]);
  });
  afterAll(async () => {
    await Promise.all([opServer, nkeyServer].map((s) => s?.stop()));
  });

  it('no procedure takes a key-file path: credsFile, seedFile and TLS *File fields are refused', async () => {
    const core = createTestCore();
    await core.start();
    try {
      const servers = ['nats://127.0.0.1:1'];
      const attempts: unknown[] = [
        { name: 'a', servers, auth: { kind: 'creds', credsFile: op.credsFile } },
        { name: 'b', servers, auth: { kind: 'nkey', seedFile: nkey.seedFile } },
        { name: 'c', servers, auth: { kind: 'none' }, tls: { caFile: op.credsFile } },
        { name: 'd', servers, auth: { kind: 'creds', creds: op.credsFile } }
      ];
      for (const input of attempts) {
        for (const call of [
          () => core.api.invoke('profiles.save', input as never),
          () => core.api.invoke('profiles.test', { profile: input as never })
        ]) {
          const error = await call().then(
            () => null,
            (e: unknown) => e as ContractError
          );
          expect(error?.code, JSON.stringify(input)).toBe('INVALID_INPUT');
          expect(error?.message ?? '').not.toContain(seedOf(op.credsFile));
        }
      }
      expect((await core.api.invoke('profiles.list', {})).profiles).toEqual([]);
    } finally {
      await core.stop();
    }
  });

  it('refuses a FIFO, a directory, a huge file and each wrong kind by name and reason, never quoting it', async () => {
    const fifo = path.join(dir, 'fifo.creds');
    execFileSync('mkfifo', [fifo]);
    const secretLine = `root:$6$KEYFILE-CANARY-${process.pid}:19000:0:99999:7:::`;
    const shadow = path.join(dir, 'shadow');
    fs.writeFileSync(shadow, `${secretLine}\n`, { mode: 0o600 });
    const huge = path.join(dir, 'huge.creds');
    fs.writeFileSync(huge, Buffer.alloc(2 * 1024 * 1024, 0x41));
    const tlsFiles = makeTlsFiles(tempDir('synos-keys-tls-'));
    const core = createTestCore();
    await core.start();
    try {
      const cases: Array<{ kind: KeyKind; file: string; code: string; reason: string; message: RegExp }> = [
        {
          kind: 'creds',
          file: fifo,
          code: 'CONFIG_INVALID',
          reason: 'not-regular',
          message: /fifo\.creds: not a regular file/
        },
        {
          kind: 'creds',
          file: dir,
          code: 'CONFIG_INVALID',
          reason: 'not-regular',
          message: /directory|not a regular file/
        },
        {
          kind: 'creds',
          file: path.join(dir, 'nope.creds'),
          code: 'CONFIG_INVALID',
          reason: 'missing',
          message: /no such file/
        },
        { kind: 'creds', file: huge, code: 'FILE_TOO_LARGE', reason: 'too-large', message: /larger than 1024 KiB/ },
        {
          kind: 'creds',
          file: shadow,
          code: 'CONFIG_INVALID',
          reason: 'wrong-kind',
          message: /holds no user JWT block/
        },
        { kind: 'seed', file: shadow, code: 'CONFIG_INVALID', reason: 'wrong-kind', message: /holds no nkey seed/ },
        { kind: 'ca', file: shadow, code: 'CONFIG_INVALID', reason: 'wrong-kind', message: /no PEM certificate/ },
        {
          kind: 'ca',
          file: tlsFiles.clientKeyFile,
          code: 'CONFIG_INVALID',
          reason: 'wrong-kind',
          message: /holds a private key/
        },
        {
          kind: 'key',
          file: tlsFiles.clientCertFile,
          code: 'CONFIG_INVALID',
          reason: 'wrong-kind',
          message: /holds a certificate, not a private key/
        },
        {
          kind: 'cert',
          file: op.credsFile,
          code: 'CONFIG_INVALID',
          reason: 'wrong-kind',
          message: /no PEM certificate/
        }
      ];
      for (const c of cases) {
        const error = pickError(core, c.kind, c.file);
        const text = JSON.stringify({ message: error.message, details: error.details });
        expect(error.code, text).toBe(c.code);
        expect(error.message, text).toMatch(c.message);
        expect((error.details as { reason?: string }).reason, text).toBe(c.reason);
        expect(text).not.toContain('KEYFILE-CANARY');
        expect(text).not.toContain('root:');
        expect(text).not.toContain(seedOf(op.credsFile));
        expect(text).not.toContain('AAAAAAAA');
      }
      // Good files of each kind are taken.
      for (const [kind, file] of [
        ['creds', op.credsFile],
        ['seed', nkey.seedFile],
        ['ca', tlsFiles.caFile],
        ['cert', tlsFiles.clientCertFile],
        ['key', tlsFiles.clientKeyFile]
      ] as Array<[KeyKind, string]>) {
        expect(pick(core, kind, file)).toMatch(/^kp_/);
      }
    } finally {
      await core.stop();
    }
  });

  it('CLI: a picked creds file keeps working after the file is deleted or overwritten; its content is in no output or plain column', () => {
    const data = tempDir();
    const creds = path.join(tempDir('synos-keys-cli-'), 'ops.creds');
    fs.copyFileSync(op.credsFile, creds);
    const seed = seedOf(creds);
    const fingerprint = sha256(creds);
    const outputs: string[] = [];
    const run = (args: string[]) => {
      const r = runCliSync(['--data', data, ...args]);
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    const added = run(['--nats', opServer.url, '--creds', creds, 'profiles', 'add', 'ops']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('ops.creds');

    fs.rmSync(creds);
    const afterDelete = run(['profiles', 'test', 'ops']);
    expect(afterDelete.code, afterDelete.stderr).toBe(0);
    expect(afterDelete.stdout).toMatch(/^OK: "ops" connected/);

    // Another user's creds written over the path: the profile is unchanged.
    fs.copyFileSync(op.foreignCredsFile, creds);
    const afterOverwrite = run(['profiles', 'test', 'ops']);
    expect(afterOverwrite.code, afterOverwrite.stderr).toBe(0);

    const shown = run(['profiles', 'show', 'ops', '--json']);
    const view = JSON.parse(shown.stdout) as { auth: { kind: string; creds: Record<string, unknown> } };
    expect(view.auth).toMatchObject({
      kind: 'creds',
      creds: { kind: 'creds', state: 'stored', fileName: 'ops.creds', sha256: fingerprint }
    });
    expect(JSON.stringify(view)).not.toContain(path.dirname(creds));
    const listed = run(['profiles', 'list']);
    expect(listed.stdout).toContain(`sha256 ${fingerprint.slice(0, 16)}`);

    // Replacing it is picking again: the foreign user's creds now fail as NATS_AUTH.
    const replaced = run(['--nats', opServer.url, '--creds', creds, 'profiles', 'add', 'ops', '--replace']);
    expect(replaced.code, replaced.stderr).toBe(0);
    const foreign = run(['profiles', 'test', 'ops']);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/NATS_AUTH/);

    // A wrong file: typed, nothing saved, nothing quoted.
    const wrong = run(['--nats', opServer.url, '--creds', nkey.seedFile, 'profiles', 'add', 'wrong']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/CONFIG_INVALID: .*user\.nk holds no user JWT block/);
    expect(run(['profiles', 'list']).stdout).not.toMatch(/\bwrong\b/);

    for (const text of [...outputs, plainColumns(path.join(data, 'synos.db'))]) {
      expect(text).not.toContain(seed);
      expect(text).not.toContain(seedOf(op.foreignCredsFile));
      expect(text).not.toContain(nkey.seed);
    }
  });

  describe('web mode: a key file is uploaded once with a one-time ticket', () => {
    let serve: ServeHandle;
    beforeAll(async () => {
      serve = await startServe(['--data', tempDir(), '--nats', 'nats://127.0.0.1:1', '--no-provision']);
    });
    afterAll(async () => {
      await serve?.stop();
    });

    it('uploads, saves, connects with the content; a wrong, huge or reused upload is refused typed', async () => {
      const ws = await connectWs(serve.url, serve.token);
      try {
        const ticket = async (kind: KeyKind): Promise<string> => {
          const r = await ws.call('profiles.keyUpload', { kind });
          if (!r.ok) throw new Error(JSON.stringify(r.error));
          return (r.value as { path: string }).path;
        };
        const put = (p: string, body: Buffer | string, name = 'user.nk') =>
          fetch(`${serve.origin}${p}?name=${encodeURIComponent(name)}`, {
            method: 'PUT',
            body,
            headers: { Origin: serve.origin }
          });

        const seedPath = await ticket('seed');
        const uploaded = await put(seedPath, fs.readFileSync(nkey.seedFile), '../../etc/user.nk');
        expect(uploaded.status).toBe(200);
        const { key } = (await uploaded.json()) as { key: { pick: string; fileName: string; sha256: string } };
        expect(key).toMatchObject({ fileName: 'user.nk', sha256: sha256(nkey.seedFile) });
        // The ticket worked once.
        expect((await put(seedPath, fs.readFileSync(nkey.seedFile))).status).toBe(404);

        const saved = await ws.call('profiles.save', {
          name: 'web-nkey',
          servers: [nkeyServer.url],
          auth: { kind: 'nkey', seedKey: key.pick }
        });
        if (!saved.ok) throw new Error(JSON.stringify(saved.error));
        const id = (saved.value as { id: string }).id;
        const tested = await ws.call('profiles.test', { id });
        expect(tested).toMatchObject({ ok: true, value: { ok: true } });

        // Wrong kind: a creds file uploaded as a TLS CA.
        const wrong = await put(await ticket('ca'), fs.readFileSync(op.credsFile), 'ops.creds');
        expect(wrong.status).toBe(400);
        const wrongBody = await wrong.text();
        expect(wrongBody).toMatch(/CONFIG_INVALID/);
        expect(wrongBody).toMatch(/ops\.creds is not a usable TLS CA file/);
        expect(wrongBody).not.toContain(seedOf(op.credsFile));

        const huge = await put(await ticket('creds'), Buffer.alloc(2 * 1024 * 1024, 0x41), 'huge.creds');
        expect(huge.status).toBe(413);
        expect(await huge.text()).toMatch(/FILE_TOO_LARGE/);

        // A pick is for its kind only.
        const seedPick = (await (await put(await ticket('seed'), fs.readFileSync(nkey.seedFile))).json()) as {
          key: { pick: string };
        };
        const misuse = await ws.call('profiles.save', {
          name: 'misuse',
          servers: [nkeyServer.url],
          auth: { kind: 'creds', creds: seedPick.key.pick }
        });
        expect(misuse).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });

        const listed = await ws.call('profiles.list', {});
        expect(JSON.stringify(listed)).not.toContain(nkey.seed);
        expect(serve.stderr()).not.toContain(nkey.seed);
      } finally {
        ws.close();
      }
    });
  });

  it('a profile saved with paths by an older version is imported once at start, or marked missing with what to do', async () => {
    const dataDir = tempDir();
    const keysDir = tempDir('synos-keys-old-');
    const creds = path.join(keysDir, 'old.creds');
    fs.copyFileSync(op.credsFile, creds);
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', write: (line) => lines.push(line) });

    let core = createTestCore({ dataDir, logger });
    await core.start();
    await core.stop();
    // What an older version wrote: key files as paths, read at every connect.
    const db = new BetterSqlite3(path.join(dataDir, 'synos.db'));
    const insert = db.prepare(
      `INSERT INTO nats_profiles (id, name, servers, auth_kind, auth_file, source, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'manual', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`
    );
    insert.run('p-old', 'old', JSON.stringify([opServer.url]), 'creds', creds);
    insert.run('p-gone', 'gone', JSON.stringify([nkeyServer.url]), 'nkey', path.join(keysDir, 'gone.nk'));
    db.close();

    core = createTestCore({ dataDir, logger });
    await core.start();
    try {
      const { profiles } = await core.api.invoke('profiles.list', {});
      const old = profiles.find((p) => p.name === 'old');
      const gone = profiles.find((p) => p.name === 'gone');
      expect(old?.auth).toMatchObject({
        kind: 'creds',
        creds: { state: 'stored', fileName: 'old.creds', sha256: sha256(creds) }
      });
      expect(gone?.auth).toMatchObject({ kind: 'nkey', seedKey: { state: 'missing', fileName: 'gone.nk' } });

      const imported = lines.find((l) => l.includes('profile key file imported into the secret store'));
      expect(imported).toContain('old.creds');
      expect(imported).toContain(sha256(creds));
      expect(lines.some((l) => l.includes('profile key file could not be imported: pick it again'))).toBe(true);

      // The file is not read again: gone, and the profile still connects.
      fs.rmSync(creds);
      const ok = await core.api.invoke('profiles.test', { id: 'p-old' });
      expect(ok, ok.error?.message).toMatchObject({ ok: true });

      const missing = await core.api.invoke('profiles.test', { id: 'p-gone' });
      expect(missing.ok).toBe(false);
      expect(missing.error?.code).toBe('CONFIG_INVALID');
      expect(missing.error?.message).toMatch(/profile "gone": its nkey seed file gone\.nk is missing — pick it again/);
      expect(missing.error?.details).toMatchObject({ reason: 'key-file-missing', kind: 'seed' });
      const connect = await core.api.invoke('connection.connect', { profileId: 'p-gone' }).then(
        () => null,
        (e: unknown) => e as ContractError
      );
      expect(connect?.code).toBe('CONFIG_INVALID');
      expect(JSON.stringify(connect?.details)).toMatch(/Replace…/);

      // Picking it again repairs the profile.
      const repaired = await core.api.invoke('profiles.save', {
        id: 'p-gone',
        name: 'gone',
        servers: [nkeyServer.url],
        auth: { kind: 'nkey', seedKey: pick(core, 'seed', nkey.seedFile) }
      });
      expect(repaired.auth).toMatchObject({ kind: 'nkey', seedKey: { state: 'stored', fileName: 'user.nk' } });
      expect(await core.api.invoke('profiles.test', { id: 'p-gone' })).toMatchObject({ ok: true });

      const columns = plainColumns(path.join(dataDir, 'synos.db'));
      expect(columns).not.toContain(seedOf(op.credsFile));
      expect(columns).not.toContain(nkey.seed);
      expect(columns).not.toContain(keysDir);
      for (const line of lines) expect(line).not.toContain(seedOf(op.credsFile));
    } finally {
      await core.stop();
    }
    // Once: a second start finds no path left and logs nothing more.
    const before = lines.length;
    core = createTestCore({ dataDir, logger });
    await core.start();
    await core.stop();
    expect(lines.slice(before).some((l) => l.includes('profile key file'))).toBe(false);
  });

  it('desktop: the file chosen in the native dialog is read at once; cancel is cancelled; no dialog is UNAVAILABLE', async () => {
    const keysDir = tempDir('synos-keys-desk-');
    const creds = path.join(keysDir, 'desk.creds');
    fs.copyFileSync(op.credsFile, creds);
    let answer: string[] | null = [creds];
    const asked: unknown[] = [];
    const dialog: DialogApi = {
      showOpenDialog: (o) => {
        asked.push(o);
        return Promise.resolve({ canceled: answer === null, filePaths: answer ?? [] });
      },
      showSaveDialog: () => Promise.resolve({ canceled: true })
    };
    const core = createTestCore({
      adapters: { fileChooser: createDialogFileChooser(dialog, { defaultDir: () => keysDir }) }
    });
    await core.start();
    try {
      const chosen = await core.api.invoke('profiles.pickKeyFile', { kind: 'creds' });
      expect(chosen).toMatchObject({
        cancelled: false,
        key: { kind: 'creds', fileName: 'desk.creds', sha256: sha256(creds) }
      });
      expect(asked[0]).toMatchObject({ title: 'Choose the NATS credentials file' });
      fs.rmSync(creds);
      const saved = await core.api.invoke('profiles.save', {
        name: 'desk',
        servers: [opServer.url],
        auth: { kind: 'creds', creds: chosen.key!.pick }
      });
      expect(await core.api.invoke('profiles.test', { id: saved.id })).toMatchObject({ ok: true });
      answer = null;
      expect(await core.api.invoke('profiles.pickKeyFile', { kind: 'ca' })).toEqual({ cancelled: true, key: null });
    } finally {
      await core.stop();
    }
    const headless = createTestCore();
    await headless.start();
    try {
      const refused = await headless.api.invoke('profiles.pickKeyFile', { kind: 'creds' }).then(
        () => null,
        (e: unknown) => e as ContractError
      );
      expect(refused?.code).toBe('UNAVAILABLE');
    } finally {
      await headless.stop();
    }
  });

  it('mutual TLS with picked CA, client certificate and key keeps working after the files are gone', async () => {
    const tlsDir = tempDir('synos-keys-mtls-');
    const tlsFiles = makeTlsFiles(tlsDir);
    const mtls = await startNatsServer({
      jetstream: false,
      config: `tls { cert_file: "${tlsFiles.certFile}", key_file: "${tlsFiles.keyFile}", ca_file: "${tlsFiles.caFile}", verify: true }\n`
    });
    const core = createTestCore();
    await core.start();
    try {
      const copies = tempDir('synos-keys-mtls-copies-');
      const copy = (file: string): string => {
        const to = path.join(copies, path.basename(file));
        fs.copyFileSync(file, to);
        return to;
      };
      const saved = await core.api.invoke('profiles.save', {
        name: 'mtls',
        servers: [mtls.url],
        auth: { kind: 'none' },
        tls: {
          ca: pick(core, 'ca', copy(tlsFiles.caFile)),
          cert: pick(core, 'cert', copy(tlsFiles.clientCertFile)),
          key: pick(core, 'key', copy(tlsFiles.clientKeyFile))
        }
      });
      expect(saved.tls).toMatchObject({
        ca: { state: 'stored', fileName: 'ca.pem' },
        cert: { state: 'stored', fileName: 'client.pem' },
        key: { state: 'stored', fileName: 'client.key', sha256: sha256(tlsFiles.clientKeyFile) }
      });
      fs.rmSync(copies, { recursive: true });
      const result = await core.api.invoke('profiles.test', { id: saved.id });
      expect(result, result.error?.message).toMatchObject({ ok: true });
      const keyText = fs.readFileSync(tlsFiles.clientKeyFile, 'utf8');
      const keyLine = keyText.split('\n').find((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l)) ?? 'none';
      expect(JSON.stringify(await core.api.invoke('profiles.list', {}))).not.toContain(keyLine);
      expect(plainColumns(path.join(core.context.config.dataDir, 'synos.db'))).not.toContain(keyLine);
    } finally {
      await core.stop();
      await mtls.stop();
    }
  });

  it('doctor fails when the active profile has a key file missing, and says how to pick it again', async () => {
    const dataDir = tempDir();
    const core = createTestCore({ dataDir });
    await core.start();
    await core.stop();
    const db = new BetterSqlite3(path.join(dataDir, 'synos.db'));
    db.prepare(
      `INSERT INTO nats_profiles (id, name, servers, auth_kind, auth_file, source, created_at, updated_at)
       VALUES ('p-lost', 'lost', ?, 'creds', ?, 'manual', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`
    ).run(JSON.stringify([opServer.url]), path.join(dataDir, 'nowhere.creds'));
    db.prepare(
      "INSERT INTO settings (key, value, updated_at) VALUES ('nats.activeProfileId', 'p-lost', '2026-01-01T00:00:00.000Z')"
    ).run();
    db.close();
    const r = runCliSync(['--data', dataDir, '--nats', opServer.url, 'doctor', '--json']);
    const report = JSON.parse(r.stdout) as {
      checks: Array<{ id: string; status: string; summary: string; fix: string }>;
    };
    const check = report.checks.find((c) => c.id === 'profile-key-files');
    expect(check, r.stdout).toMatchObject({ status: 'fail' });
    expect(check?.summary).toMatch(/active profile "lost": creds file nowhere\.creds missing — pick again/);
    expect(check?.fix).toMatch(/Replace…/);
    expect(r.code).not.toBe(0);
  });

  it('keeps a stored key file on an update that leaves it out, and removes TLS files the update drops', async () => {
    const tlsFiles = makeTlsFiles(tempDir('synos-keys-tls2-'));
    const core = createTestCore();
    await core.start();
    try {
      const first = await core.api.invoke('profiles.save', {
        name: 'k',
        servers: [opServer.url],
        auth: { kind: 'creds', creds: pick(core, 'creds', op.credsFile) },
        tls: { ca: pick(core, 'ca', tlsFiles.caFile) }
      });
      const kept = await core.api.invoke('profiles.save', {
        id: first.id,
        name: 'k2',
        servers: [opServer.url],
        auth: { kind: 'creds' },
        tls: null
      });
      expect(kept.auth).toMatchObject({ kind: 'creds', creds: { state: 'stored', sha256: sha256(op.credsFile) } });
      expect(kept.tls).toBeNull();
      const keepMissing = await core.api
        .invoke('profiles.save', {
          id: first.id,
          name: 'k2',
          servers: [opServer.url],
          auth: { kind: 'creds' },
          tls: { ca: 'keep' }
        })
        .then(
          () => null,
          (e: unknown) => e as ContractError
        );
      expect(keepMissing?.code).toBe('INVALID_INPUT');
      expect(keepMissing?.message).toMatch(/no stored TLS CA file to keep: pick the file/);
      expect(await core.api.invoke('profiles.test', { id: first.id })).toMatchObject({ ok: true });
      // Deleting the profile deletes its stored key files.
      await core.api.invoke('profiles.delete', { id: first.id });
      const db = new BetterSqlite3(path.join(core.context.config.dataDir, 'synos.db'), { readonly: true });
      try {
        expect(db.prepare('SELECT COUNT(*) AS n FROM nats_profile_keys').get()).toEqual({ n: 0 });
      } finally {
        db.close();
      }
    } finally {
      await core.stop();
    }
  });
});
