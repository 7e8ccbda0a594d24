/**
 * Reading `/proc/<pid>/stat` (or a thread's, `/proc/self/task/<tid>/stat`, `/proc/thread-self/stat`):
 * what the benchmarks measure CPU with, and what the temporary roots name their owner by. Linux only;
 * null elsewhere, or once the process is gone.
 */
import fs from 'node:fs';

/** USER_HZ: the unit of the stat file's times on Linux. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Fields 3 onwards of a stat file (after "pid (comm) ", whose comm may hold spaces): index i is field i + 3. */
export function statFields(file: string): string[] | null {
  try {
    const stat = fs.readFileSync(file, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** CPU time (utime + stime, fields 14 and 15) of the process or thread of a stat file, in ms. */
export function cpuMs(file: string): number | null {
  const fields = statFields(file);
  return fields ? ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND : null;
}

/** A process's start time (field 22, clock ticks after boot): with the boot, what tells a reused pid apart. */
export function processStart(pid: number): string | null {
  return statFields(`/proc/${pid}/stat`)?.[19] ?? null;
}
