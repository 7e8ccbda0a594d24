#!/usr/bin/env node
/**
 * `npm run package [-- electron-builder args]`: builds the installers for this OS into dist/
 * (after `npm run build`, which the npm script runs first).
 *
 * electron-builder rebuilds better-sqlite3 in place for Electron (and for each target arch), which
 * would leave node_modules unusable for Node. So Node's build is kept in the side-by-side cache
 * before, and put back after — whether packaging worked or not — so `npm test` and the CLI keep
 * working (see native-runtime.mjs). Arguments go to electron-builder; without a --publish flag
 * nothing is published (the release workflow passes its own).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNativeRuntime, stashNativeBuild } from './native-runtime.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
if (!args.some((arg) => arg === '--publish' || arg.startsWith('--publish=') || arg === '-p'))
  args.push('--publish', 'never');

stashNativeBuild(root);
let status = 1;
try {
  const cli = createRequire(join(root, 'package.json')).resolve('electron-builder/cli.js');
  // An npm `nodedir` (Node's headers, set on some machines) would make electron-builder's rebuild
  // silently produce a Node build and ship it in an Electron app; Electron's headers must be used.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_config_(nodedir|target|runtime|disturl|dist_url)$/i.test(key))
  );
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit', env });
  status = result.status ?? 1;
} finally {
  try {
    const restored = ensureNativeRuntime('node', { root });
    if (restored.action !== 'ready')
      console.log(`better-sqlite3: Node's build is back in node_modules (${restored.action}).`);
  } catch (error) {
    console.error(
      `Could not put Node's better-sqlite3 back: ${error instanceof Error ? error.message : String(error)}`
    );
    console.error('Tests and the CLI need it: run `npm run native:node` once the problem is fixed.');
    status = status || 1;
  }
}
process.exit(status);
