#!/usr/bin/env node
/**
 * `npm start`: launch the desktop app on the built output. Where the Electron runtime cannot be
 * had (no binary and no network to fetch it, as on CI machines), say so and serve the same UI in
 * web mode instead, so `npm start` always brings the app up on its embedded defaults.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'out/cli/synos-cc.mjs');

function electronBinary() {
  // Resolving the path makes the electron package fetch its binary on first use; give it a minute.
  const probe = spawnSync(process.execPath, ['-e', "process.stdout.write(require('electron'))"], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ELECTRON_RUN_AS_NODE: undefined }
  });
  const binary = probe.status === 0 ? probe.stdout.trim() : '';
  if (binary && fs.existsSync(binary)) return { binary };
  const output = `${probe.stderr ?? ''}\n${probe.stdout ?? ''}`;
  const reason =
    output
      .split('\n')
      .find((line) => /error|ENOTFOUND|EAI_AGAIN|ECONNREFUSED/i.test(line) && !/^\s+at /.test(line))
      ?.trim() ??
    (probe.error ? probe.error.message : `the electron package could not provide a binary (exit ${probe.status})`);
  return { reason };
}

function run(command, args) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (!fs.existsSync(path.join(root, 'out/main/index.js'))) {
  console.error('The app is not built: run npm run build first (npm start does it for you).');
  process.exit(1);
}

/**
 * better-sqlite3 for Electron's ABI, prepared side by side (node_modules keeps Node's build for the
 * tests and the CLI; main/store/native-binding.ts picks the matching one). See native-runtime.mjs.
 */
function electronNativeBuild() {
  const result = spawnSync(process.execPath, [path.join(root, 'resources/scripts/native-runtime.mjs'), 'electron'], {
    cwd: root,
    encoding: 'utf8'
  });
  if (result.status === 0) return { ok: true };
  return { reason: `${result.stderr || result.stdout}`.trim().split('\n')[0] };
}

const wantWeb = process.argv.includes('--web') || process.env.SYNOS_START_WEB === '1';
let electron = wantWeb ? { reason: 'web mode requested' } : electronBinary();
if (electron.binary) {
  const native = electronNativeBuild();
  if (!native.ok) electron = { reason: native.reason };
}
if (electron.binary) {
  run(electron.binary, [root, ...process.argv.slice(2)]);
} else {
  console.error(`The Electron runtime is not available here (${electron.reason}).`);
  console.error('Starting the same UI in web mode instead; open the URL below in a browser.');
  run(process.execPath, [cli, 'serve', ...process.argv.slice(2).filter((a) => a !== '--web')]);
}
