/** Timestamps of recent inputs, for the rate over the load window; a growable ring. */
export class InputWindow {
  private buf = new Float64Array(1024);
  private head = 0;
  private size = 0;

  push(t: number): void {
    if (this.size === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      for (let i = 0; i < this.size; i++) next[i] = this.buf[(this.head + i) % this.buf.length] as number;
      this.buf = next;
      this.head = 0;
    }
    this.buf[(this.head + this.size) % this.buf.length] = t;
    this.size++;
  }

  /** Drops everything at or before `cutoff`; returns how many remain. */
  prune(cutoff: number): number {
    while (this.size > 0 && (this.buf[this.head] as number) <= cutoff) {
      this.head = (this.head + 1) % this.buf.length;
      this.size--;
    }
    return this.size;
  }

  count(): number {
    return this.size;
  }
}
