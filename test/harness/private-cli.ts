/**
 * A private build of the CLI for one test file (out/test-cli/<random>.mjs), so tests that run the
 * CLI as a child process never race another test's `npm run build:cli`. Remove it in afterAll.
 */
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { useFixture } from './fixture';

const ROOT = path.resolve(__dirname, '../..');

export interface PrivateCli {
  file: string;
  run(
    args: string[],
    options?: { timeoutMs?: number; input?: string }
  ): { code: number | null; stdout: string; stderr: string };
  remove(): void;
}

export async function buildPrivateCli(): Promise<PrivateCli> {
  const file = path.join(ROOT, 'out', 'test-cli', `synos-cc-${randomUUID().slice(0, 8)}.mjs`);
  await build({
    entryPoints: [path.join(ROOT, 'main/cli/index.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: file,
    logLevel: 'warning'
  });
  return {
    file,
    run(args, options = {}) {
      const out = spawnSync(process.execPath, [file, ...args], {
        encoding: 'utf8',
        env: { ...process.env, NATS_URL: '' },
        input: options.input,
        timeout: options.timeoutMs ?? 60_000
      });
      return { code: out.status, stdout: out.stdout, stderr: out.stderr };
    },
    remove() {
      fs.rmSync(file, { force: true });
    }
  };
}

/** A private CLI built in the enclosing describe's (or file's) beforeAll and removed in its afterAll. */
export function usePrivateCli(): PrivateCli {
  return useFixture('usePrivateCli', buildPrivateCli, (cli) => cli.remove());
}
