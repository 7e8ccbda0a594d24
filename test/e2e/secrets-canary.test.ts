/**
 * The canary: a unique password goes in through each way credentials reach the app — a URL's
 * userinfo, --password, --password-file, NATS_PASSWORD, config.json, a profile (fields and URL),
 * a URL typed into the Settings view; and an nkey seed file picked into a profile (read once, then
 * deleted) — against a real nats-server that requires them. Every run
 * must authenticate (so the secret was really used), and afterwards no canary may appear in any
 * log line, error, `profiles list`/connection status output, the Settings/Profiles page text in
 * Chromium, an export, or any text column of the database. The data directory is 0700 and its
 * files 0600, also config.json after settings.setStartup rewrote it.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchPageErrors } from '../harness/browser';
import { runCliSync, startServe, type CliResult, type ServeHandle } from '../harness/cli';
import { createTestCore } from '../harness/core';
import { makeNkeyUser } from '../harness/nats-auth';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir } from '../harness/temp';

const stamp = `${process.pid}${Date.now().toString(36)}`;
const CANARY = {
  url: `cnry-url-${stamp}`,
  flag: `cnry-flag-${stamp}`,
  passwordFile: `cnry-pwfile-${stamp}`,
  env: `cnry-env-${stamp}`,
  config: `cnry-config-${stamp}`,
  profile: `cnry-profile-${stamp}`,
  profileUrl: `cnry-profileurl-${stamp}`,
  ui: `cnry-ui-${stamp}`
} as const;
const USERS: Record<keyof typeof CANARY, string> = {
  url: 'u_url',
  flag: 'u_flag',
  passwordFile: 'u_pwfile',
  env: 'u_env',
  config: 'u_config',
  profile: 'u_profile',
  profileUrl: 'u_profileurl',
  ui: 'u_ui'
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** The content of a picked key file (an nkey seed): made in beforeAll, never to be shown anywhere. */
const KEY_CANARY: { seed: string } = { seed: '' };

/** Every canary found in a text, with the name of the path it was set through. */
function leaks(text: string): string[] {
  return [
    ...(Object.entries(CANARY) as Array<[string, string]>),
    ['picked key file', KEY_CANARY.seed] as [string, string]
  ]
    .filter(([, value]) => value.length > 0 && text.includes(value))
    .map(([name]) => name);
}

describe('secrets canary: no credential leaks through any path', () => {
  let nats: NatsServerHandle;
  let dataDir: string;
  let hostPort: string;
  let deadPort: number;
  let serve: ServeHandle | undefined;
  let browser: Browser | undefined;
  let seedFile = '';
  const outputs: Array<{ what: string; text: string }> = [];

  const record = (what: string, result: CliResult): CliResult => {
    outputs.push({ what, text: `${result.stdout}\n${result.stderr}` });
    return result;
  };

  beforeAll(async () => {
    const users = (Object.keys(CANARY) as Array<keyof typeof CANARY>)
      .map((k) => `{ user: "${USERS[k]}", password: "${CANARY[k]}" }`)
      .join(', ');
    const nkey = makeNkeyUser(tempDir('synos-canary-key-'), 'canary.nk');
    KEY_CANARY.seed = nkey.seed;
    seedFile = nkey.seedFile;
    nats = await startNatsServer({
      config: `authorization { users = [ ${users}, { nkey: "${nkey.publicKey}" } ] }\n`
    });
    hostPort = new URL(nats.url).host;
    deadPort = await freePort();
    dataDir = tempDir('synos-canary-');
    fs.writeFileSync(
      path.join(dataDir, 'config.json'),
      JSON.stringify({ nats: { servers: [nats.url], user: USERS.config, password: CANARY.config } })
    );
    fs.chmodSync(path.join(dataDir, 'config.json'), 0o644);
    fs.chmodSync(dataDir, 0o755);
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await nats?.stop();
  });

  it('authenticates through every path and prints no canary in logs, errors or listings', () => {
    const cli = (what: string, args: string[], env: NodeJS.ProcessEnv = {}): CliResult =>
      record(what, runCliSync(['--data', dataDir, '--log-level', 'debug', ...args], { env }));

    // Each path must really authenticate: a wrong or missing password would fail with NATS_AUTH.
    const ok = (r: CliResult, what: string): void => expect(r.code, `${what}: ${r.stderr}`).toBe(0);
    ok(cli('url', ['--nats', `nats://${USERS.url}:${CANARY.url}@${hostPort}`, 'streams', '--json']), 'url');
    ok(cli('flag', ['--user', USERS.flag, '--password', CANARY.flag, 'streams', '--json']), 'flag');
    const pwFile = path.join(tempDir(), 'pw');
    fs.writeFileSync(pwFile, `${CANARY.passwordFile}\n`, { mode: 0o600 });
    ok(cli('password-file', ['--user', USERS.passwordFile, '--password-file', pwFile, 'streams']), 'password-file');
    ok(cli('env', ['streams', '--json'], { NATS_USER: USERS.env, NATS_PASSWORD: CANARY.env }), 'env');
    ok(cli('config', ['streams', '--json']), 'config.json');
    ok(cli('NATS_URL', ['streams'], { NATS_URL: `nats://${USERS.url}:${CANARY.url}@${hostPort}` }), 'NATS_URL');
    ok(
      cli('pub', ['--nats', `nats://${USERS.url}:${CANARY.url}@${hostPort}`, 'pub', 'canary.subject', 'hello']),
      'pub'
    );

    // Failures: unreachable and refused, with the secret in the URL.
    const unreachable = cli('unreachable', [
      '--nats',
      `nats://${USERS.url}:${CANARY.url}@127.0.0.1:${deadPort}`,
      'pub',
      'canary.subject',
      'x'
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/NATS_UNREACHABLE/);
    expect(unreachable.stderr).toContain(`nats://127.0.0.1:${deadPort}`);
    const refused = cli('refused', ['--nats', `nats://nobody:${CANARY.url}@${hostPort}`, 'pub', 'canary.subject', 'x']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/NATS_AUTH/);
    const badFile = cli('bad-password-file', ['--user', 'x', '--password-file', dataDir, 'pub', 'canary.subject', 'x']);
    expect(badFile.stderr).toMatch(/not a regular file/);

    // Profiles: credentials as fields and inside a URL (moved into the sealed auth fields).
    ok(
      cli('profile add', [
        '--nats',
        nats.url,
        '--user',
        USERS.profile,
        '--password',
        CANARY.profile,
        'profiles',
        'add',
        'canary-fields'
      ]),
      'profiles add (fields)'
    );
    const viaUrl = cli('profile add url', [
      '--nats',
      `nats://${USERS.profileUrl}:${CANARY.profileUrl}@${hostPort}`,
      'profiles',
      'add',
      'canary-url',
      '--json'
    ]);
    ok(viaUrl, 'profiles add (URL)');
    expect(JSON.parse(viaUrl.stdout)).toMatchObject({
      servers: [nats.url],
      auth: { kind: 'user', user: USERS.profileUrl, hasPassword: true }
    });
    ok(cli('profile test url', ['profiles', 'test', 'canary-url']), 'profiles test (URL)');
    ok(cli('profile test fields', ['profiles', 'test', 'canary-fields']), 'profiles test (fields)');
    // A key file picked into a profile: read once, then gone; the profile still authenticates with it.
    ok(cli('profile add key', ['--nats', nats.url, '--nkey', seedFile, 'profiles', 'add', 'canary-key']), 'key');
    fs.rmSync(seedFile);
    ok(cli('profile test key', ['profiles', 'test', 'canary-key']), 'profiles test (picked key file)');
    const wrongKind = path.join(tempDir(), 'canary-as.creds');
    fs.writeFileSync(wrongKind, `${KEY_CANARY.seed}\n`, { mode: 0o600 });
    const refusedKey = cli('profile add wrong kind', [
      '--nats',
      nats.url,
      '--creds',
      wrongKind,
      'profiles',
      'add',
      'k2'
    ]);
    expect(refusedKey.code).not.toBe(0);
    expect(refusedKey.stderr).toMatch(/CONFIG_INVALID: .*canary-as\.creds holds no user JWT block/);
    ok(cli('profiles list', ['profiles', 'list', '--json']), 'profiles list');
    ok(cli('profile show', ['profiles', 'show', 'canary-url', '--json']), 'profiles show');

    for (const { what, text } of outputs) expect(leaks(text), `${what} printed a canary:\n${text}`).toEqual([]);
  });

  it('shows no canary in Chromium (Settings, Profiles, status), in exports or in the database; files are private', async () => {
    serve = await startServe(['--data', dataDir, '--log-level', 'debug']);
    browser = await launchChromium();
    const page = await browser.newPage();
    const errors = watchPageErrors(page);
    await page.goto(serve.url);
    const state = page.getByTestId('connection-state').first();
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');
    await page.getByRole('link', { name: 'Settings' }).click();
    // A URL with userinfo typed into the Settings view: it connects, and shows without the password.
    await page.locator('input[name="servers"]').fill(`nats://${USERS.ui}:${CANARY.ui}@${hostPort}`);
    await page.getByRole('button', { name: /^(Connect|Reconnect)$/ }).click();
    await expect.poll(() => page.locator('body').innerText(), { timeout: 20_000 }).toContain(nats.url);
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');
    await expect.poll(() => page.locator('body').innerText()).toMatch(/canary-url/);
    // The picked key file shows by name and fingerprint only; its edit form offers Replace….
    await expect.poll(() => page.locator('body').innerText()).toMatch(/canary\.nk/);
    await page.getByRole('button', { name: 'Edit profile canary-key' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Replace Seed file' }).count()).toBe(1);
    // Replace… in the browser: the file is uploaded once to a one-time ticket, then saved as a pick.
    const form = page.getByRole('form', { name: 'Edit profile canary-key' });
    const again = path.join(tempDir(), 'canary-again.nk');
    fs.writeFileSync(again, `${KEY_CANARY.seed}\n`, { mode: 0o600 });
    await form.getByLabel('Seed file file').setInputFiles(again);
    await expect.poll(() => form.getByTestId('key-seed').innerText()).toMatch(/canary-again\.nk.*picked now/s);
    await form.getByRole('button', { name: 'Save profile' }).click();
    await expect
      .poll(() => page.getByTestId('profile-key-file').allInnerTexts())
      .toContainEqual(expect.stringMatching(/canary-again\.nk/));
    fs.rmSync(again);
    await page.getByRole('button', { name: 'Test profile canary-key' }).click();
    await expect.poll(() => page.getByTestId('profile-test-ok').count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => page.getByTestId('settings-secret-storage').innerText()).toMatch(/secret\.key/);
    const pageText = await page.locator('body').innerText();
    const pageHtml = await page.content();
    expect(leaks(pageText)).toEqual([]);
    expect(leaks(pageHtml)).toEqual([]);
    expect(errors).toEqual([]);
    await serve.stop();
    const serveLog = serve.stderr();
    serve = undefined;
    expect(serveLog).toMatch(/connected to NATS/);
    expect(leaks(serveLog), 'serve log').toEqual([]);

    // An export of what reached the server (the CLI's and the core's own messages).
    const exportFile = path.join(tempDir(), 'export.ndjson');
    const exported = runCliSync(['--data', dataDir, 'streams', '--json']);
    expect(exported.code, exported.stderr).toBe(0);
    const streams = (JSON.parse(exported.stdout) as { streams: Array<{ name: string; messages?: number }> }).streams;
    expect(streams.length).toBeGreaterThan(0);
    let exportedText = '';
    for (const { name } of streams) {
      const r = runCliSync(['--data', dataDir, 'export', '--stream', name, '-o', exportFile]);
      expect(leaks(r.stderr + r.stdout)).toEqual([]);
      if (r.code === 0) exportedText += fs.readFileSync(exportFile, 'utf8');
    }
    // The core's own heartbeats and metrics went out while serve ran: there is something to scan.
    expect(exportedText.length).toBeGreaterThan(0);
    expect(leaks(exportedText), 'exports').toEqual([]);

    // settings.setStartup rewrites config.json: it stays 0600 (it holds a password).
    const core = createTestCore({ dataDir });
    await core.start();
    await core.api.invoke('settings.setStartup', { synchronous: 'FULL' });
    await core.stop();
    const mode = (file: string): string => (fs.statSync(file).mode & 0o777).toString(8);
    expect(mode(path.join(dataDir, 'config.json'))).toBe('600');
    expect(mode(dataDir)).toBe('700');
    for (const file of ['synos.db', 'synos.db-wal', 'synos.db-shm', 'secret.key']) {
      if (fs.existsSync(path.join(dataDir, file))) expect(mode(path.join(dataDir, file)), file).toBe('600');
    }

    // Every text (and blob) value of every table of the database.
    const db = new BetterSqlite3(path.join(dataDir, 'synos.db'), { readonly: true });
    const tables = db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((t) => t.name);
    expect(tables).toContain('nats_profiles');
    let scanned = 0;
    for (const table of tables) {
      for (const row of db.prepare(`SELECT * FROM "${table}"`).iterate() as Iterable<Record<string, unknown>>) {
        for (const [column, value] of Object.entries(row)) {
          const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : null;
          if (text === null) continue;
          scanned++;
          expect(leaks(text), `${table}.${column}`).toEqual([]);
        }
      }
    }
    db.close();
    expect(scanned).toBeGreaterThan(10);
  });
});
