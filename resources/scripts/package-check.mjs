#!/usr/bin/env node
/**
 * The packaging check: runs electron-builder's real packaging (file selection, dependency
 * collection, asar, asarUnpack, fuses) with electron-builder.yml, offline, then inspects the result.
 *
 * No Electron binary can be downloaded on the build machines, so electron-builder gets a stand-in
 * Electron distribution (`electronDist`): an "electron" file carrying Electron's fuse wire with its
 * default states, which electron-builder renames and flips exactly as it does the real binary.
 * Native modules are not rebuilt (`npmRebuild: false`): the check is about what gets packed.
 *
 * It then verifies app.asar with @electron/asar:
 *   - every built file of out/main, out/preload and out/renderer is inside (entry points, assets),
 *   - every production dependency is inside, and nothing else: no devDependencies, no sources,
 *     tests, configs, source maps or the CLI bundle,
 *   - better_sqlite3.node is unpacked (app.asar.unpacked) and not packed in the archive,
 *   - the fuses are set: RunAsNode off, cookie encryption on, ASAR integrity on, app only from ASAR.
 *
 * Needs `npm run build` first; without out/ it fails and says so.
 *
 * Usage: node resources/scripts/package-check.mjs [--config FILE] [--keep] [--json]
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronEmbeddedNode, enginesAdmitMajor, runtimeTarget } from './native-runtime.mjs';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The check could not run at all (nothing built, electron-builder missing…); the message says what to do. */
export class PackagingCheckError extends Error {
  constructor(message) {
    super(message);
    this.name = 'PackagingCheckError';
  }
}

// @electron/fuses wire layout: SENTINEL, version byte (1), length byte, one byte per fuse.
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const FUSE_NAMES = [
  'RunAsNode',
  'EnableCookieEncryption',
  'EnableNodeOptionsEnvironmentVariable',
  'EnableNodeCliInspectArguments',
  'EnableEmbeddedAsarIntegrityValidation',
  'OnlyLoadAppFromAsar',
  'LoadBrowserProcessSpecificV8Snapshot',
  'GrantFileProtocolExtraPrivileges'
];
/** Electron's own defaults, so the check proves electron-builder flipped what the config asks. */
const ELECTRON_DEFAULT_FUSES = '10110001';
/** What docs/architecture.md §7 / issue 9 require of the packaged binary ('0' off, '1' on). */
export const REQUIRED_FUSES = {
  RunAsNode: '0',
  EnableCookieEncryption: '1',
  EnableEmbeddedAsarIntegrityValidation: '1',
  OnlyLoadAppFromAsar: '1'
};

/** The built app, relative to the project: these must exist before packing. */
const BUILT_ENTRY_POINTS = ['out/main/index.js', 'out/renderer/index.html'];
const BUILT_DIRS = ['out/main', 'out/preload', 'out/renderer'];
const NATIVE_MODULE = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listFiles(full));
    else files.push(full);
  }
  return files;
}

const toPosix = (path) => path.split(sep).join('/');

/** Names, sizes and times of the built files, to notice a build running while we pack. */
function builtSignature(root) {
  return BUILT_DIRS.flatMap((dir) => listFiles(join(root, dir)))
    .map((file) => {
      const stat = statSync(file, { throwIfNoEntry: false });
      return `${file}:${stat?.size}:${stat?.mtimeMs}`;
    })
    .sort()
    .join('\n');
}

/** Fails early, with the fix, when the app has not been built. */
export function assertBuilt(root = projectRoot) {
  const missing = BUILT_ENTRY_POINTS.filter((file) => !existsSync(join(root, file)));
  if (listFiles(join(root, 'out', 'preload')).length === 0) missing.push('out/preload/*');
  if (missing.length > 0) {
    throw new PackagingCheckError(
      `The app is not built (missing ${missing.join(', ')}). Run \`npm run build\` first: the packaging check packs the built app in out/.`
    );
  }
}

/** A stand-in for Electron's Linux distribution: just the executable, with Electron's fuse wire. */
export function writeStandInElectron(dir) {
  mkdirSync(dir, { recursive: true });
  const executable = Buffer.concat([
    Buffer.from('#!/bin/sh\necho "stand-in Electron for the packaging check; it cannot run an app" >&2\nexit 1\n'),
    Buffer.from(FUSE_SENTINEL, 'ascii'),
    Buffer.from([1, FUSE_NAMES.length]),
    Buffer.from(ELECTRON_DEFAULT_FUSES, 'ascii'),
    Buffer.alloc(16)
  ]);
  writeFileSync(join(dir, 'electron'), executable, { mode: 0o755 });
  writeFileSync(join(dir, 'LICENSE'), 'Stand-in Electron distribution for the packaging check.\n');
  writeFileSync(join(dir, 'version'), '0.0.0-stand-in');
  return dir;
}

/** Reads the fuse wire from a packaged executable, or null when it carries none. */
export function readFuses(file) {
  const data = readFileSync(file);
  const at = data.indexOf(FUSE_SENTINEL);
  if (at === -1) return null;
  const length = data[at + FUSE_SENTINEL.length + 1];
  const wire = data.subarray(at + FUSE_SENTINEL.length + 2, at + FUSE_SENTINEL.length + 2 + length).toString('ascii');
  return Object.fromEntries(FUSE_NAMES.slice(0, length).map((name, i) => [name, wire[i]]));
}

function electronBuilderCli(root) {
  try {
    return createRequire(join(root, 'package.json')).resolve('electron-builder/cli.js');
  } catch {
    throw new PackagingCheckError('electron-builder is not installed. Run: npm install');
  }
}

/** Production package directories (node_modules/…) according to package-lock.json, or null without a lock. */
function productionPackages(root) {
  const lockFile = join(root, 'package-lock.json');
  if (!existsSync(lockFile)) return null;
  const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
  const production = new Set();
  for (const [path, info] of Object.entries(lock.packages ?? {})) {
    if (path.startsWith('node_modules/') && !info.dev) production.add(path);
  }
  return production;
}

/** The package directory an asar path belongs to: "node_modules/a/node_modules/@s/b". */
function packageDirOf(entry) {
  const match = /^((?:node_modules\/(?:@[^/]+\/)?[^/]+\/)*node_modules\/(?:@[^/]+\/)?[^/]+)/.exec(entry);
  return match ? match[1] : null;
}

/**
 * Inspects a packed app (the resources folder holding app.asar) against the project that was packed.
 * Returns a list of problems; empty means the package is right.
 */
export async function inspectPackage({ root = projectRoot, resourcesDir }) {
  const asar = await import(createRequire(join(root, 'package.json')).resolve('@electron/asar'));
  const asarFile = join(resourcesDir, 'app.asar');
  const problems = [];
  if (!existsSync(asarFile)) return { problems: [`no app.asar in ${resourcesDir}`], entries: [] };
  const entries = asar
    .listPackage(asarFile, { isPack: false })
    .map((entry) => toPosix(entry).replace(/^\/+/, ''))
    .filter(Boolean);
  const present = new Set(entries);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

  // Everything that was built must be packed: entry points, preload, renderer assets.
  if (!present.has('package.json')) problems.push('missing package.json');
  if (pkg.main && !present.has(pkg.main)) problems.push(`missing the main entry point ${pkg.main}`);
  for (const dir of BUILT_DIRS) {
    for (const file of listFiles(join(root, dir))) {
      const entry = toPosix(relative(root, file));
      if (!entry.endsWith('.map') && !present.has(entry)) problems.push(`missing built file ${entry}`);
    }
  }
  // Every production dependency must be there for the externalised imports of out/main, and so
  // must everything they depend on (every non-dev package of the lock that is installed here).
  for (const name of Object.keys(pkg.dependencies ?? {})) {
    if (!present.has(`node_modules/${name}/package.json`)) problems.push(`missing production dependency ${name}`);
  }
  const missingTransitive = [...(productionPackages(root) ?? [])].filter(
    (dir) => existsSync(join(root, dir, 'package.json')) && !present.has(`${dir}/package.json`)
  );
  if (missingTransitive.length > 0) {
    problems.push(
      `missing production packages (${missingTransitive.length}): ${missingTransitive.slice(0, 6).join(', ')}${missingTransitive.length > 6 ? ', …' : ''}`
    );
  }

  // Nothing else: only package.json, the built app and production node_modules. Offending entries
  // are grouped by kind so a broken `files` pattern gives a short, readable report.
  const production = productionPackages(root);
  const devOnly = new Set(Object.keys(pkg.devDependencies ?? {}).filter((name) => !(name in (pkg.dependencies ?? {}))));
  const offending = new Map();
  const flag = (kind, what) => {
    const list = offending.get(kind) ?? new Set();
    list.add(what);
    offending.set(kind, list);
  };
  for (const entry of entries) {
    if (entry === 'package.json' || entry === 'node_modules' || entry === 'out') continue;
    const inNodeModules = entry.startsWith('node_modules/');
    if (!inNodeModules && /(^|\/)(test|tests|__tests__)(\/|$)|\.(test|spec)\.[cm]?[jt]sx?$/.test(entry)) {
      flag('test files packed', entry);
    } else if (!inNodeModules && /\.[cm]?tsx?$/.test(entry) && !/\.d\.[cm]?ts$/.test(entry)) {
      flag('TypeScript sources packed', entry);
    } else if (entry.endsWith('.map')) {
      flag('source maps packed', entry);
    } else if (entry.startsWith('out/')) {
      const top = entry.split('/')[1];
      if (!['main', 'preload', 'renderer'].includes(top)) flag('not part of the desktop app', `out/${top}`);
    } else if (inNodeModules) {
      if (/^node_modules\/\.(cache|bin|package-lock\.json)/.test(entry)) {
        flag('node_modules housekeeping packed', entry.split('/').slice(0, 2).join('/'));
        continue;
      }
      const dir = packageDirOf(entry);
      // A scope folder (node_modules/@nats-io) is not a package by itself.
      if (!dir || /node_modules\/@[^/]+$/.test(dir)) continue;
      const name = dir.replace(/^.*node_modules\//, '');
      const isDev = production ? !production.has(dir) : devOnly.has(name);
      if (isDev) flag('dev dependencies packed', dir);
    } else {
      flag('not part of the built app', entry.split('/')[0]);
    }
  }
  for (const [kind, items] of offending) {
    const list = [...items];
    problems.push(`${kind} (${list.length}): ${list.slice(0, 6).join(', ')}${list.length > 6 ? ', …' : ''}`);
  }

  // The native module: unpacked next to the archive, and no .node packed inside it.
  const unpackedFile = join(resourcesDir, 'app.asar.unpacked', ...NATIVE_MODULE.split('/'));
  if (!present.has(NATIVE_MODULE)) {
    problems.push(`missing the native module ${NATIVE_MODULE}`);
  } else {
    const stat = asar.statFile(asarFile, NATIVE_MODULE);
    if (!stat.unpacked) problems.push(`${NATIVE_MODULE} is packed inside app.asar; it must be unpacked (asarUnpack)`);
    if (!existsSync(unpackedFile)) problems.push(`${NATIVE_MODULE} is missing from app.asar.unpacked`);
    else if (statSync(unpackedFile).size !== stat.size)
      problems.push(`${NATIVE_MODULE} in app.asar.unpacked differs from the archive's record`);
  }
  for (const entry of entries) {
    if (entry.endsWith('.node') && !asar.statFile(asarFile, entry).unpacked)
      problems.push(`native file packed inside app.asar: ${entry}`);
  }
  return { problems, entries };
}

/**
 * The packaged app's main process runs on the Node that Electron embeds, not on the one the tests
 * use: that Node must be one the project supports (package.json `engines`) and tests on (the Node
 * versions of .ci/platforms.sh), and the ABI switch script must know Electron's module ABI.
 */
export function runtimeAgreement(root = projectRoot) {
  const problems = [];
  const embedded = electronEmbeddedNode(root);
  let electron = null;
  try {
    electron = runtimeTarget('electron', root);
  } catch (error) {
    return [`cannot tell which runtime the packaged app uses: ${error instanceof Error ? error.message : error}`];
  }
  if (embedded === null) {
    problems.push(`cannot tell which Node Electron ${electron.version} embeds (no @types/node in its package.json)`);
    return problems;
  }
  const engines = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines?.node;
  if (!engines || !enginesAdmitMajor(engines, embedded)) {
    problems.push(
      `Electron ${electron.version} embeds Node ${embedded}, which package.json engines.node (${engines ?? 'unset'}) does not admit`
    );
  }
  const ciScript = join(root, '.ci', 'platforms.sh');
  if (existsSync(ciScript)) {
    const tested = /for major in ([\d ]+);/.exec(readFileSync(ciScript, 'utf8'))?.[1]?.trim().split(/\s+/).map(Number);
    const system = Number(process.versions.node.split('.')[0]);
    if (tested && embedded !== system && !tested.includes(embedded)) {
      problems.push(
        `Electron ${electron.version} embeds Node ${embedded}, but CI tests on Node ${[system, ...tested].join(', ')} only (.ci/platforms.sh)`
      );
    }
  }
  return problems;
}

/**
 * Packs the project with electron-builder (Linux, `--dir`) against a stand-in Electron and inspects
 * the result. Options: root, configFile (defaults to electron-builder.yml), workDir, keep.
 */
export async function checkPackaging(options = {}) {
  const started = performance.now();
  const root = options.root ?? projectRoot;
  const configFile = resolve(root, options.configFile ?? 'electron-builder.yml');
  if (!existsSync(configFile)) throw new PackagingCheckError(`No electron-builder configuration at ${configFile}.`);
  assertBuilt(root);
  const cli = electronBuilderCli(root);
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'synos-package-check-'));
  const electronDist = writeStandInElectron(join(workDir, 'electron-dist'));
  const outputDir = join(workDir, 'dist');
  const arch = process.arch === 'arm64' ? '--arm64' : '--x64';
  const builtBefore = builtSignature(root);
  const env = {
    ...process.env,
    // Nothing may be downloaded: no Electron, no toolsets. A dead proxy turns any attempt into a failure.
    ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
    HTTP_PROXY: 'http://127.0.0.1:9',
    HTTPS_PROXY: 'http://127.0.0.1:9',
    http_proxy: 'http://127.0.0.1:9',
    https_proxy: 'http://127.0.0.1:9',
    NO_PROXY: '',
    no_proxy: '',
    CSC_IDENTITY_AUTO_DISCOVERY: 'false',
    // The check must not publish, whatever CI variables are around.
    GH_TOKEN: '',
    GITHUB_TOKEN: ''
  };
  try {
    const result = spawnSync(
      process.execPath,
      [
        cli,
        '--linux',
        'dir',
        arch,
        '--publish',
        'never',
        '--projectDir',
        root,
        '--config',
        configFile,
        `-c.electronDist=${electronDist}`,
        '-c.npmRebuild=false',
        `-c.directories.output=${outputDir}`
      ],
      { cwd: root, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }
    );
    const log = `${result.stdout ?? ''}${result.stderr ?? ''}`;
    const problems = [];
    if (builtSignature(root) !== builtBefore) {
      problems.push(
        'out/ changed while packing (a build ran at the same time); run the check again once it has finished'
      );
    }
    if (result.status !== 0) {
      problems.push(
        `electron-builder failed (exit ${result.status ?? result.signal}): ${log.trim().split('\n').slice(-8).join('\n')}`
      );
    }
    const downloadLine = log.split('\n').find((line) => /\bdownload(s|ing|ed)?\b/i.test(line));
    if (downloadLine) problems.push(`electron-builder tried to download something: ${downloadLine.trim()}`);
    const appOutDir = existsSync(outputDir)
      ? readdirSync(outputDir).find((name) => /^linux(-[a-z0-9]+)?-unpacked$/.test(name))
      : undefined;
    let entries = [];
    let fuses = null;
    let asarBytes = 0;
    if (result.status === 0) {
      if (!appOutDir) {
        problems.push(`electron-builder produced no linux-unpacked folder in ${outputDir}`);
      } else {
        const appDir = join(outputDir, appOutDir);
        const resourcesDir = join(appDir, 'resources');
        const inspected = await inspectPackage({ root, resourcesDir });
        problems.push(...inspected.problems);
        entries = inspected.entries;
        if (existsSync(join(resourcesDir, 'app.asar'))) asarBytes = statSync(join(resourcesDir, 'app.asar')).size;
        const executables = readdirSync(appDir)
          .map((name) => join(appDir, name))
          .filter((file) => statSync(file).isFile());
        const executable = executables.find((file) => readFuses(file) !== null);
        fuses = executable ? readFuses(executable) : null;
        if (!fuses) problems.push('no fuse wire found in the packaged executable');
        else {
          for (const [name, wanted] of Object.entries(REQUIRED_FUSES)) {
            if (fuses[name] !== wanted)
              problems.push(
                `fuse ${name} is ${fuses[name] === '1' ? 'on' : 'off'}; electronFuses must turn it ${wanted === '1' ? 'on' : 'off'}`
              );
          }
        }
      }
    }
    problems.push(...runtimeAgreement(root));
    return {
      ok: problems.length === 0,
      problems,
      entryCount: entries.length,
      entries,
      asarBytes,
      fuses,
      workDir,
      log,
      durationMs: Math.round(performance.now() - started)
    };
  } finally {
    if (!options.keep && !options.workDir) rmSync(workDir, { recursive: true, force: true });
  }
}

async function main() {
  const args = process.argv.slice(2);
  const configAt = args.indexOf('--config');
  const configFile = configAt >= 0 ? args[configAt + 1] : undefined;
  const json = args.includes('--json');
  try {
    const report = await checkPackaging({ configFile, keep: args.includes('--keep') });
    if (json) {
      const { log: _log, entries: _entries, ...summary } = report;
      console.log(JSON.stringify(summary, null, 2));
    } else {
      console.log(
        `Packed ${report.entryCount} entries, app.asar ${(report.asarBytes / 1024 / 1024).toFixed(1)} MiB, in ${(report.durationMs / 1000).toFixed(1)} s.`
      );
      if (report.fuses)
        console.log(
          `Fuses: ${Object.entries(report.fuses)
            .map(([k, v]) => `${k}=${v === '1' ? 'on' : 'off'}`)
            .join(', ')}`
        );
      if (args.includes('--keep')) console.log(`Output kept in ${report.workDir}`);
      if (report.ok) console.log('Packaging check passed.');
      else console.error(`Packaging check FAILED:\n  - ${report.problems.join('\n  - ')}`);
    }
    process.exitCode = report.ok ? 0 : 1;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
