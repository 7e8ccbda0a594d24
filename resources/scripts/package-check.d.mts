/** Types for package-check.mjs (the packaging check), used by test/packaging. */
export declare class PackagingCheckError extends Error {}
export declare const REQUIRED_FUSES: Record<string, '0' | '1'>;
export interface PackagingReport {
  ok: boolean;
  problems: string[];
  entryCount: number;
  /** app.asar entries, relative, with forward slashes. */
  entries: string[];
  asarBytes: number;
  /** Fuse name → '0' (off) or '1' (on), read from the packaged executable. */
  fuses: Record<string, string> | null;
  workDir: string;
  /** electron-builder's output. */
  log: string;
  durationMs: number;
}
export declare function assertBuilt(root?: string): void;
export declare function writeStandInElectron(dir: string): string;
export declare function readFuses(file: string): Record<string, string> | null;
export declare function inspectPackage(options: {
  root?: string;
  resourcesDir: string;
}): Promise<{ problems: string[]; entries: string[] }>;
export declare function checkPackaging(options?: {
  root?: string;
  configFile?: string;
  workDir?: string;
  keep?: boolean;
}): Promise<PackagingReport>;
export declare function runtimeAgreement(root?: string): string[];
