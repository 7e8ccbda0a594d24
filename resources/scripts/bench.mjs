#!/usr/bin/env node
/**
 * `npm run bench`: runs every `bench:*` script of package.json one after the other (benchmarks
 * share the machine, so never in parallel) and prints each one's figures. `npm run bench -- NAME`
 * runs only the scripts whose name contains NAME. Exits non-zero if any benchmark failed to run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const scripts = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts ?? {};
const filter = process.argv[2] ?? '';
const names = Object.keys(scripts).filter((name) => name.startsWith('bench:') && name.includes(filter));
if (names.length === 0) {
  console.error(`no bench:* scripts match "${filter}"`);
  process.exit(2);
}
const failed = [];
for (const name of names) {
  console.log(`\n=== npm run ${name}`);
  const started = Date.now();
  const result = spawnSync('npm', ['run', '--silent', name], { cwd: root, stdio: 'inherit' });
  console.log(
    `=== ${name}: ${result.status === 0 ? 'done' : `FAILED (exit ${result.status})`} in ${((Date.now() - started) / 1000).toFixed(1)} s`
  );
  if (result.status !== 0) failed.push(name);
}
if (failed.length > 0) {
  console.error(`\nbenchmarks that failed: ${failed.join(', ')}`);
  process.exit(1);
}
