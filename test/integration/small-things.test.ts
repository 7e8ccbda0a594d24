/**
 * Small things found on the way: a data directory that cannot be written fails with the path, the
 * permission and the fix (not SQLite's "unable to open database file"); `pub --wait-timeout` has
 * one unit, and --help shows the default as it is parsed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../main/cli/program';
import { formatDuration, parseDurationOption } from '../../main/cli/commands/messaging';
import { CLI, runCliSync } from '../harness/cli';
import { tempDir } from '../harness/temp';

const mounts: string[] = [];
afterAll(() => {
  for (const dir of mounts) execFileSync('umount', [dir]);
});

describe('a data directory that cannot be written', () => {
  it('on a read-only filesystem: names the path, says read-only and how to fix it', () => {
    const dir = tempDir('synos-ro-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      throw new Error(`mount -t tmpfs -o ro failed (${(error as Error).message.trim()}): this test must run as root`);
    }
    mounts.push(dir);
    const r = runCliSync(['--data', dir, 'outbox']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the data directory ${dir} is on a read-only filesystem`);
    expect(r.stderr).toMatch(/remount it read-write or choose another directory with --data DIR/);
    expect(r.stderr).not.toMatch(/unable to open database file/);
  });

  it('without write permission for the user (mode 0555): names the path, the mode, the uid and chmod', () => {
    const parent = tempDir('synos-perm-');
    fs.chmodSync(parent, 0o755);
    const dir = path.join(parent, 'data');
    fs.mkdirSync(dir);
    fs.chmodSync(dir, 0o555);
    // Root may write anywhere: run the CLI as nobody (uid 65534), which the file modes apply to.
    const r = spawnSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, '--data', dir, 'outbox'],
      { encoding: 'utf8', env: { ...process.env, NATS_URL: '', HOME: parent } }
    );
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(`the data directory ${dir} is not writable by uid 65534 (mode 0555 owned by uid 0)`);
    expect(r.stderr).toContain(`chmod u+rwx ${dir}`);
    expect(r.stderr).not.toMatch(/unable to open database file/);
  });
});

describe('pub --wait-timeout: one unit', () => {
  it('reads a bare number as seconds and says so when it is out of range; --help shows the default that way', () => {
    const parse = parseDurationOption('--wait-timeout', 100, 3_600_000);
    expect(parse('60')).toBe(60_000);
    expect(parse('60000ms')).toBe(60_000);
    expect(parse('1m')).toBe(60_000);
    expect(() => parse('60000')).toThrow(/60000 without a unit is 60000 seconds; write 60000ms for milliseconds/);
    expect(formatDuration(60_000)).toBe('1m');
    expect(formatDuration(5000)).toBe('5s');
    expect(formatDuration(1500)).toBe('1500ms');
    const pub = buildProgram().commands.find((c) => c.name() === 'pub');
    const help = pub?.helpInformation() ?? '';
    expect(help).toMatch(/--wait-timeout <duration>[\s\S]*a bare number\s+is seconds\) \(default: 1m\)/);
    expect(help).not.toMatch(/default: 60000/);
    // What --help shows as the default is accepted as given.
    expect(parse('1m')).toBe(60_000);
  });
});
