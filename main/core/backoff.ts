/**
 * The one exponential back-off of the app, built on cockatiel's: the delay starts at `initialMs`,
 * doubles with each failed attempt up to `maxMs`, and is spread by ±`jitter` (0.2 = ±20 %) so
 * many clients failing together do not retry together. The outbox's retries, the connection's
 * reconnects and the bridge's naks all use it.
 */
import { ExponentialBackoff, noJitterGenerator, type GeneratorFn, type IExponentialBackoffOptions } from 'cockatiel';

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** Spread of each delay around its base: 0.2 = ±20 %; 0 = none. */
  jitter?: number | undefined;
}

/** cockatiel's doubling, capped at maxDelay, spread by ±jitter and capped again (whole ms). */
export function jitteredGenerator(jitter: number, random: () => number = Math.random): GeneratorFn<number> {
  return (attempts, options) => {
    const [base, next] = noJitterGenerator(attempts, options);
    if (jitter <= 0) return [base, next];
    const spread = base * (1 - jitter + 2 * jitter * random());
    return [Math.round(Math.min(options.maxDelay, spread)), next];
  };
}

function options(policy: BackoffPolicy, random: () => number): IExponentialBackoffOptions<number> {
  return {
    initialDelay: policy.initialMs,
    maxDelay: policy.maxMs,
    exponent: 2,
    generator: jitteredGenerator(policy.jitter ?? 0, random)
  };
}

/** The delay before the next try after `attempts` failed ones (≥ 1; 1 gives about initialMs). */
export function backoffDelayMs(attempts: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const o = options(policy, random);
  return o.generator(Math.max(0, attempts - 1), o)[0];
}

/** The same back-off as a cockatiel backoff factory, for cockatiel's retry policies. */
export function exponentialBackoff(
  policy: BackoffPolicy,
  random: () => number = Math.random
): ExponentialBackoff<number> {
  return new ExponentialBackoff(options(policy, random));
}
