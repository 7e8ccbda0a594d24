/**
 * Vitest global setup: tests run on Node, so better-sqlite3 must be Node's build. After packaging
 * (electron-builder rebuilds it in place for Electron) this swaps Node's build back from the cache,
 * or builds it; see resources/scripts/native-runtime.mjs. Where an Electron binary is installed it
 * also prepares Electron's build side by side for the desktop smoke test, best effort.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const script = path.join(root, 'resources/scripts/native-runtime.mjs');

function runScript(args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

function electronBinaryInstalled(): boolean {
  const pathFile = path.join(root, 'node_modules/electron/path.txt');
  if (!fs.existsSync(pathFile)) return false;
  return fs.existsSync(path.join(root, 'node_modules/electron/dist', fs.readFileSync(pathFile, 'utf8').trim()));
}

export default function setup(): void {
  const node = runScript(['node']);
  if (!node.ok) throw new Error(`better-sqlite3 cannot be prepared for Node: ${node.output}`);
  if (electronBinaryInstalled()) {
    const electron = runScript(['electron']);
    if (!electron.ok)
      console.warn(`[native-runtime] Electron's better-sqlite3 build is not available: ${electron.output}`);
  }
}
