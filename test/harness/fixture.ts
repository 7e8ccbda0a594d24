/**
 * A value a describe sets up in beforeAll and tears down in afterAll, held by the test file from the
 * start: the returned object reads through to the value once beforeAll has run (and says so when
 * used earlier, or after the set-up failed).
 */
import { afterAll, beforeAll } from 'vitest';

export function useFixture<T extends object>(
  name: string,
  start: () => Promise<T>,
  stop: (value: T) => unknown | Promise<unknown>
): T {
  let current: T | null = null;
  beforeAll(async () => {
    current = await start();
  });
  afterAll(async () => {
    if (current) await stop(current);
  });
  return new Proxy({} as T, {
    get: (_, key) => {
      if (!current) throw new Error(`${name}: used before its beforeAll ran (or after it failed)`);
      const value = current[key as keyof T];
      return typeof value === 'function' ? value.bind(current) : value;
    }
  });
}
