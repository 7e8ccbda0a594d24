/**
 * better-sqlite3 on both runtimes (issue 9): native-runtime.mjs keeps Node's build in node_modules
 * and every other build side by side; main/store/native-binding.ts loads the one matching the
 * running ABI. Exercised on a throwaway copy of the package, with a real Node build and a stand-in
 * Electron build (Electron's cannot be made without a network here), loading in real Node processes.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseNativeBinding, sideBySidePath } from '../../main/store/native-binding';
import {
  ensureNativeRuntime,
  nativePaths,
  NativeRuntimeError,
  readModuleAbi,
  runtimeTarget
} from '../../resources/scripts/native-runtime.mjs';
import { tempDir } from '../harness/temp';

const root = path.resolve(__dirname, '../..');
const realModule = path.join(root, 'node_modules/better-sqlite3');
const nodeAbi = Number(process.versions.modules);
const electron = runtimeTarget('electron', root);
const copies: string[] = [];

afterAll(() => {
  for (const dir of copies) fs.rmSync(dir, { recursive: true, force: true });
});

/** A project root holding a copy of better-sqlite3 (Node's build) and the electron package's metadata. */
function projectCopy({ withSources = false } = {}): string {
  const dir = tempDir('synos-native-');
  copies.push(dir);
  const moduleDir = path.join(dir, 'node_modules/better-sqlite3');
  fs.cpSync(realModule, moduleDir, {
    recursive: true,
    filter: (source) => {
      const rel = path.relative(realModule, source).split(path.sep);
      if (rel[0] === 'build') return rel.length < 3 || rel[2] === 'better_sqlite3.node';
      return withSources || !['deps', 'src'].includes(rel[0]);
    }
  });
  // Dependencies resolve to the real installs.
  for (const dep of ['bindings', 'file-uri-to-path', 'prebuild-install', 'node-gyp']) {
    fs.symlinkSync(path.join(root, 'node_modules', dep), path.join(dir, 'node_modules', dep), 'dir');
  }
  fs.mkdirSync(path.join(dir, 'node_modules/electron'));
  fs.copyFileSync(
    path.join(root, 'node_modules/electron/package.json'),
    path.join(dir, 'node_modules/electron/package.json')
  );
  fs.writeFileSync(path.join(dir, 'node_modules/electron/abi_version'), String(electron.abi));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'copy', private: true }));
  return dir;
}

/** Opens an in-memory database in a fresh Node process, optionally with an explicit build. */
function loadsInNode(moduleDir: string, nativeBinding?: string): { ok: boolean; output: string } {
  const script =
    'const Database = require(process.argv[1]); const options = process.argv[2] ? { nativeBinding: process.argv[2] } : {};' +
    "process.stdout.write(String(new Database(':memory:', options).prepare('select 41 + 1 as x').get().x));";
  const args = ['-e', script, moduleDir, ...(nativeBinding ? [nativeBinding] : [])];
  const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
  return { ok: result.status === 0 && result.stdout === '42', output: `${result.stdout}${result.stderr}` };
}

describe('better-sqlite3 on Node and Electron', () => {
  it("has Node's build installed for the tests, with a copy in the side-by-side cache", () => {
    const paths = nativePaths(root);
    expect(readModuleAbi(paths.installed)).toBe(nodeAbi);
    expect(readModuleAbi(paths.cached(nodeAbi))).toBe(nodeAbi);
    expect(electron.abi).not.toBe(nodeAbi);
  });

  it('switches between runtimes through the cache, and the loader picks the build matching the ABI', () => {
    const dir = projectCopy();
    const paths = nativePaths(dir);
    const moduleDir = paths.moduleDir;
    // Electron's build cannot be made offline: a stand-in file that carries Electron's ABI symbol.
    fs.mkdirSync(path.dirname(paths.cached(electron.abi)), { recursive: true });
    fs.writeFileSync(paths.cached(electron.abi), Buffer.from(`\0stand-in\0node_register_module_v${electron.abi}\0`));

    // Preparing Electron's build leaves Node's in node_modules.
    const prepared = ensureNativeRuntime('electron', { root: dir });
    expect(prepared.action).toBe('ready');
    expect(prepared.file).toBe(paths.cached(electron.abi));
    expect(readModuleAbi(paths.installed)).toBe(nodeAbi);
    expect(paths.cached(electron.abi)).toBe(
      sideBySidePath(moduleDir, JSON.parse(fs.readFileSync(path.join(moduleDir, 'package.json'), 'utf8')).version, {
        platform: process.platform,
        arch: process.arch,
        abi: String(electron.abi)
      })
    );
    // Inside Electron the loader would take the side-by-side build; on Node, the installed one.
    expect(
      chooseNativeBinding(moduleDir, { platform: process.platform, arch: process.arch, abi: String(electron.abi) })
    ).toBe(paths.cached(electron.abi));
    expect(chooseNativeBinding(moduleDir)).toBeUndefined();

    // What electron-builder leaves behind after packaging: Electron's build installed in place.
    const installed = ensureNativeRuntime('electron', { root: dir, install: true });
    expect(installed.action).toBe('cache');
    expect(readModuleAbi(paths.installed)).toBe(electron.abi);
    expect(loadsInNode(moduleDir).ok).toBe(false);
    // The loader still finds Node's build, and it really opens a database.
    const forNode = chooseNativeBinding(moduleDir);
    expect(forNode).toBe(paths.cached(nodeAbi));
    expect(loadsInNode(moduleDir, forNode)).toEqual({ ok: true, output: '42' });

    // Back to Node in node_modules (what the test setup does before every run).
    const back = ensureNativeRuntime('node', { root: dir });
    expect(back).toMatchObject({ action: 'cache', abi: nodeAbi, previousAbi: electron.abi });
    expect(loadsInNode(moduleDir)).toEqual({ ok: true, output: '42' });
    expect(ensureNativeRuntime('node', { root: dir }).action).toBe('ready');
  });

  it("leaves Node's build working and says what to do when Electron's cannot be built", () => {
    const dir = projectCopy({ withSources: true });
    const paths = nativePaths(dir);
    const offline = 'http://127.0.0.1:9';
    let failure: unknown;
    try {
      ensureNativeRuntime('electron', {
        root: dir,
        // No prebuilt download, no headers, no caches from earlier runs on this machine.
        env: { npm_config_better_sqlite3_binary_host: offline, npm_config_cache: path.join(dir, 'npm-cache') },
        electronHeadersUrl: offline,
        electronHeadersDir: path.join(dir, 'electron-gyp')
      });
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(NativeRuntimeError);
    expect(String(failure)).toMatch(
      new RegExp(`Could not build better-sqlite3 for electron ${electron.version.replace(/\./g, '\\.')}`)
    );
    expect(String(failure)).toMatch(/Electron's headers/);
    expect(readModuleAbi(paths.installed)).toBe(nodeAbi);
    expect(fs.existsSync(paths.cached(electron.abi))).toBe(false);
    expect(fs.readdirSync(paths.cacheDir).filter((name) => name.startsWith('work-'))).toEqual([]);
    expect(loadsInNode(paths.moduleDir)).toEqual({ ok: true, output: '42' });
  });
});
