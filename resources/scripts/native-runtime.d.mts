/** Types for native-runtime.mjs (better-sqlite3 on Node's and Electron's ABI), used by tests. */
export type Runtime = 'node' | 'electron';
export declare class NativeRuntimeError extends Error {}
export interface RuntimeTarget {
  runtime: Runtime;
  version: string;
  abi: number;
  /** Electron only: the major version of the Node it embeds, or null when it cannot be told. */
  embeddedNode?: number | null;
}
export interface NativePaths {
  moduleDir: string;
  installed: string;
  cacheDir: string;
  cached(abi: number): string;
}
export interface EnsureResult {
  action: string;
  target: RuntimeTarget;
  abi: number;
  previousAbi?: number | null;
  file: string;
}
export declare function readModuleAbi(file: string): number | null;
export declare function runtimeTarget(runtime: Runtime, root?: string): RuntimeTarget;
export declare function nativePaths(root?: string, arch?: string): NativePaths;
export declare function ensureNativeRuntime(
  runtime: Runtime,
  options?: {
    root?: string;
    arch?: string;
    install?: boolean;
    env?: Record<string, string>;
    electronHeadersUrl?: string;
    electronHeadersDir?: string;
  }
): EnsureResult;
export declare function stashNativeBuild(root?: string): void;
export declare function describeInstalled(root?: string): string;
export declare function electronEmbeddedNode(root?: string): number | null;
export declare function enginesAdmitMajor(range: string, major: number): boolean;
export declare function runtimeHeadersDir(env?: Record<string, string | undefined>, execPath?: string): string | null;
