/** Small numeric helpers of the engine (inlined by V8; no allocation). */
export const EPSILON = 1e-9;

export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

export function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** Exponential decay factor over dt with the given half-life. */
export function halfLifeFactor(dtMs: number, halfLifeMs: number): number {
  return dtMs <= 0 ? 1 : Math.pow(0.5, dtMs / halfLifeMs);
}
