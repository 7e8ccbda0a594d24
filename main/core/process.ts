/**
 * Process facts shared by the parts that hand work between processes on one host (outbox drainers,
 * benchmark streams owned by a run).
 */

/** Whether a process with this pid exists on this host (EPERM: it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
