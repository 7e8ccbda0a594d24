/**
 * What the `kv` and `object` commands share: cores for one-shot and read-only commands, the y/N
 * confirmation of destructive actions, and natscli-style size and duration flags.
 */
import readline from 'node:readline/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { ContractError } from '../../contract';
import type { Core } from '../../app/create-core';
import { connectOrThrow, globalsOf, openCore, withCore } from '../context';
import { UsageError } from '../io';

/** A started, connected core for a one-shot command; provisioning on connect is off. */
export async function withConnectedCore<T>(command: Command, fn: (core: Core) => Promise<T>): Promise<T> {
  const core = openCore(globalsOf(command), { autoConnect: false, quiet: true, overrides: { provision: false } });
  return withCore(core, async (c) => {
    await connectOrThrow(c);
    return fn(c);
  });
}

/** A started core for a listing: answers from the snapshot cache when it cannot connect. */
export async function withReadCore<T>(command: Command, fn: (core: Core) => Promise<T>): Promise<T> {
  const core = openCore(globalsOf(command), { autoConnect: false, quiet: true, overrides: { provision: false } });
  return withCore(core, async (c) => {
    const status = await c.api.invoke('connection.connect', {});
    try {
      return await fn(c);
    } catch (error) {
      if (status.state !== 'connected' && error instanceof ContractError && error.code === 'NOT_CONNECTED') {
        await connectOrThrow(c); // throws the typed connect failure (auth, TLS, unreachable)
      }
      throw error;
    }
  });
}

export function noteCached(answer: { cached: boolean; snapshotTime: string }): void {
  if (answer.cached) process.stderr.write(`offline: showing the snapshot taken at ${answer.snapshotTime}\n`);
}

/** Destructive actions: --force, or a y/N answer on a terminal; anything else refuses. */
export async function confirmOrRefuse(question: string, force: boolean | undefined): Promise<void> {
  if (force) return;
  if (!process.stdin.isTTY) throw new UsageError(`${question} needs confirmation: add --force (no terminal to ask on)`);
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new ContractError('CANCELLED', 'cancelled: nothing was changed');
  } finally {
    rl.close();
  }
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1000,
  kib: 1024,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1000 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4
};

/** `1024`, `512KiB`, `10MB`, `1GiB` (natscli's spellings); -1 means unlimited. */
export function parseSize(name: string) {
  return (value: string): number => {
    if (value.trim() === '-1') return -1;
    const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(value.trim());
    const unit = m ? SIZE_UNITS[(m[2] ?? '').toLowerCase()] : undefined;
    if (!m || unit === undefined)
      throw new InvalidArgumentError(`${name} must be a size such as 1048576, 512KiB, 10MB or 1GiB (-1: unlimited).`);
    return Math.round(Number(m[1]) * unit);
  };
}

/** `0` (none), `90s`, `30m`, `12h`, `7d`, `1y` (natscli's --ttl spellings). Returns ms. */
export function parseTtl(name: string) {
  return (value: string): number => {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)?$/.exec(value.trim());
    if (!m) throw new InvalidArgumentError(`${name} must be a duration such as 90s, 30m, 12h or 7d (0: none).`);
    const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000, y: 365 * 86_400_000 }[
      (m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd' | 'w' | 'y'
    ];
    return Math.round(Number(m[1]) * factor);
  };
}

/** A duration in ms as natscli prints it: 1h30m, 7d, 0 as "-" (none). */
export function formatTtl(ms: number): string {
  if (ms <= 0) return '-';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000]
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}ms`);
  return parts.join('');
}

/** Reads all of stdin (a value or a file piped in). */
export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
