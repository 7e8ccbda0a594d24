import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claimTempRoot, releaseTempRoot, sweepOrphanedTempRoots } from '../harness/temp-owner';

// The sweep looks at one directory; each test gets its own, so nothing else's roots are in view.
const dirs: string[] = [];
function parent(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temp-owner-'));
  dirs.push(dir);
  return dir;
}
function root(dir: string, name: string): string {
  const r = path.join(dir, name);
  fs.mkdirSync(r);
  fs.writeFileSync(path.join(r, 'store.dat'), 'x');
  return r;
}

afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('temporary roots of killed runs', () => {
  it('removes a root once the process that claimed it is killed, not before', async () => {
    const dir = parent();
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const r = root(dir, 'synos-run-killed');
      claimTempRoot(r, child.pid);
      expect(sweepOrphanedTempRoots(dir)).toEqual([]);
      expect(fs.existsSync(r)).toBe(true);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      expect(sweepOrphanedTempRoots(dir)).toEqual([r]);
      expect(fs.existsSync(r)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it("keeps this process's root, a root without an owner and a released one; other names are not looked at", () => {
    const dir = parent();
    const mine = root(dir, 'synos-proc-mine');
    claimTempRoot(mine);
    const making = root(dir, 'synos-run-being-made');
    const kept = root(dir, 'synos-run-kept');
    claimTempRoot(kept);
    releaseTempRoot(kept);
    const other = root(dir, 'something-else');
    fs.writeFileSync(path.join(other, '.synos-owner'), JSON.stringify({ pid: 2 ** 22 + 1, start: null, boot: null }));
    expect(sweepOrphanedTempRoots(dir)).toEqual([]);
    for (const r of [mine, making, kept, other]) expect(fs.existsSync(r)).toBe(true);
  });

  it.runIf(process.platform === 'linux')(
    'treats a reused pid as gone (the owner is its pid and start time), and leaves roots of another pid namespace',
    () => {
      const dir = parent();
      const reused = root(dir, 'synos-proc-reused');
      claimTempRoot(reused);
      const owner = JSON.parse(fs.readFileSync(path.join(reused, '.synos-owner'), 'utf8')) as { start: string };
      expect(owner.start).toMatch(/^\d+$/);
      // This process's pid, but a process that started at another time: not the one that made the root.
      fs.writeFileSync(
        path.join(reused, '.synos-owner'),
        JSON.stringify({ ...owner, start: `${Number(owner.start) + 1}` })
      );
      // A dead pid of another pid namespace (a container sharing the directory): not judged from here.
      const foreign = root(dir, 'synos-run-other-namespace');
      fs.writeFileSync(
        path.join(foreign, '.synos-owner'),
        JSON.stringify({ ...owner, start: `${Number(owner.start) + 1}`, ns: 'pid:[1]' })
      );
      const garbled = root(dir, 'synos-run-garbled');
      fs.writeFileSync(path.join(garbled, '.synos-owner'), '{not json');
      expect(sweepOrphanedTempRoots(dir)).toEqual([reused]);
      expect(fs.existsSync(garbled)).toBe(true);
      expect(fs.existsSync(foreign)).toBe(true);
    }
  );
});
