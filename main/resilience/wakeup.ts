/** The drain loop's waits (./replay-manager.ts). */

/** A resettable wake-up: wait() resolves on the next wake() or after the timeout. */
export class Wakeup {
  private resolve: (() => void) | null = null;
  private pending = false;

  wake(): void {
    if (this.resolve) {
      const r = this.resolve;
      this.resolve = null;
      r();
    } else {
      this.pending = true;
    }
  }

  wait(timeoutMs: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.resolve === done) this.resolve = null;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.resolve = done;
    });
  }
}
