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

const OWNER_FILE = '.synos-owner';
/** The roots a sweep looks at: a test run's (test/setup/temp-root.ts) and a plain process's (./temp.ts). */
export const TEMP_ROOT_PREFIXES = ['synos-run-', 'synos-proc-'] as const;

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

function processStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm) ", whose comm may hold spaces: field 3 onwards.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function alive(owner: Owner): boolean {
  // Made in another pid namespace: its pid says nothing here, so it counts as alive.
  const ns = pidNamespace();
  if (owner.ns !== null && ns !== null && owner.ns !== ns) return true;
  if (owner.start !== null) {
    const boot = bootId();
    if (owner.boot !== null && boot !== null && owner.boot !== boot) return false;
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
  const removed: string[] = [];
  for (const name of names) {
    if (!TEMP_ROOT_PREFIXES.some((p) => name.startsWith(p))) continue;
    const root = path.join(dir, name);
    const owner = ownerOf(root);
    if (owner === null || alive(owner)) continue;
    try {
      fs.rmSync(root, { recursive: true, force: true, maxRetries: 2 });
      removed.push(root);
    } catch {
      // Not ours to remove (another user's files): left as it is.
    }
  }
  return removed;
}
