/**
 * Chooses which compiled better-sqlite3 to load. The module is built for one runtime ABI, and this
 * project runs it on two: Node (tests, CLI, web mode) and Electron (the desktop app). npm installs
 * Node's build in node_modules; resources/scripts/native-runtime.mjs keeps Electron's build (and a
 * copy of every other one) side by side in node_modules/.cache/synos-native/, keyed by module
 * version, platform, arch and ABI. Here the running process picks the one that matches its own ABI
 * (`process.versions.modules` is Electron's inside Electron), so `npm start`, the desktop smoke
 * test and `npm test` work from the same node_modules with no rebuild in between.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** What identifies a build: the runtime that loads it. */
export interface NativeRuntime {
  platform: string;
  arch: string;
  /** NODE_MODULE_VERSION of the runtime (`process.versions.modules`). */
  abi: string;
}

const CURRENT: NativeRuntime = { platform: process.platform, arch: process.arch, abi: process.versions.modules };
const BINARY = ['build', 'Release', 'better_sqlite3.node'];

/** The ABI a compiled addon was built for, from its exported node_register_module_v<N> symbol. */
export function moduleAbiOf(file: string): string | null {
  try {
    return /node_register_module_v(\d+)/.exec(fs.readFileSync(file).toString('latin1'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Where native-runtime.mjs keeps the build of better-sqlite3 (at packageDir) for a runtime. */
export function sideBySidePath(packageDir: string, version: string, runtime: NativeRuntime): string {
  return path.join(
    packageDir,
    '..',
    '.cache',
    'synos-native',
    `better-sqlite3-${version}`,
    `${runtime.platform}-${runtime.arch}`,
    `abi-${runtime.abi}`,
    'better_sqlite3.node'
  );
}

/**
 * The build to pass as better-sqlite3's `nativeBinding` for a package directory, or undefined to
 * let better-sqlite3 load its own: when the installed build already matches the runtime, when the
 * package is inside an app.asar (installers carry the build electron-builder made for them), or when
 * no side-by-side build exists (better-sqlite3 then reports the ABI mismatch itself).
 */
export function chooseNativeBinding(packageDir: string, runtime: NativeRuntime = CURRENT): string | undefined {
  if (packageDir.split(/[\\/]/).includes('app.asar')) return undefined;
  if (moduleAbiOf(path.join(packageDir, ...BINARY)) === runtime.abi) return undefined;
  let version: string;
  try {
    version = (JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return undefined;
  }
  const candidate = sideBySidePath(packageDir, version, runtime);
  return moduleAbiOf(candidate) === runtime.abi ? candidate : undefined;
}

let chosen: { value: string | undefined } | null = null;

/** The `nativeBinding` for this process (decided once): undefined means better-sqlite3's default. */
export function nativeBinding(): string | undefined {
  if (chosen) return chosen.value;
  let value: string | undefined;
  try {
    const packageJson = createRequire(import.meta.url).resolve('better-sqlite3/package.json');
    value = chooseNativeBinding(path.dirname(packageJson));
  } catch {
    value = undefined;
  }
  chosen = { value };
  return value;
}
