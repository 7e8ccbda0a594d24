/**
 * Temporary roots that name their owner: a file in the root holds the pid of the process that made
 * it and, on Linux, that process's start time, the boot it ran in (a pid alone can be reused) and its
 * pid namespace (a container sharing the temporary directory sees other pids: its roots are left).
 * A root whose owner is gone was left by a killed run — a test run stopped by a CI timeout, a
 * benchmark stopped with Ctrl-C — and is removed by the next run that starts. A root without the
 * file (being made right now, or kept on purpose) is never touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { processStart } from './proc-stat';

const OWNER_FILE = '.synos-owner';
/** A test run's root (test/setup/temp-root.ts). */
export const RUN_ROOT_PREFIX = 'synos-run-';
/** A plain process's root (./temp.ts): the benchmark scripts'. */
export const PROCESS_ROOT_PREFIX = 'synos-proc-';
/** The roots a sweep looks at. */
const TEMP_ROOT_PREFIXES = [RUN_ROOT_PREFIX, PROCESS_ROOT_PREFIX] as const;

interface Owner {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot); null where there is no /proc. */
  start: string | null;
  boot: string | null;
  /** The pid namespace (`/proc/self/ns/pid`), where pids mean something; null where unknown. */
  ns: string | null;
}

function bootId(): string | null {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

function pidNamespace(): string | null {
  try {
    return fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    return null;
  }
}

/** Where the sweeping process runs: read once per sweep. */
type Here = Pick<Owner, 'boot' | 'ns'>;

function alive(owner: Owner, here: Here): boolean {
  // Made in another pid namespace: its pid says nothing here, so it counts as alive.
  if (owner.ns !== null && here.ns !== null && owner.ns !== here.ns) return true;
  if (owner.start !== null) {
    if (owner.boot !== null && here.boot !== null && owner.boot !== here.boot) return false;
    return processStart(owner.pid) === owner.start;
  }
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Names this process (or the process `pid`) as the owner of `root`. */
export function claimTempRoot(root: string, pid = process.pid): void {
  const owner: Owner = { pid, start: processStart(pid), boot: bootId(), ns: pidNamespace() };
  fs.writeFileSync(path.join(root, OWNER_FILE), JSON.stringify(owner));
}

/** `root` is nobody's any more: no sweep removes it. */
export function releaseTempRoot(root: string): void {
  fs.rmSync(path.join(root, OWNER_FILE), { force: true });
}

function ownerOf(root: string): Owner | null {
  try {
    const owner = JSON.parse(fs.readFileSync(path.join(root, OWNER_FILE), 'utf8')) as Partial<Owner>;
    if (typeof owner.pid !== 'number' || !Number.isInteger(owner.pid) || owner.pid <= 0) return null;
    return { pid: owner.pid, start: owner.start ?? null, boot: owner.boot ?? null, ns: owner.ns ?? null };
  } catch {
    return null;
  }
}

/** Removes the roots in `dir` whose owner process has exited; returns their paths. */
export function sweepOrphanedTempRoots(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const here: Here = { boot: bootId(), ns: pidNamespace() };
  const removed: string[] = [];
  for (const name of names) {
    if (!TEMP_ROOT_PREFIXES.some((p) => name.startsWith(p))) continue;
    const root = path.join(dir, name);
    const owner = ownerOf(root);
    if (owner === null || alive(owner, here)) continue;
    try {
      fs.rmSync(root, { recursive: true, force: true, maxRetries: 2 });
      removed.push(root);
    } catch {
      // Not ours to remove (another user's files): left as it is.
    }
  }
  return removed;
}
