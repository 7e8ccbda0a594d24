/**
 * Output and failure helpers shared by every command: tables, JSON, typed errors with a next step,
 * and the exit codes (0 ok, 1 the operation failed, 2 bad usage).
 */
import { ContractError, toErrorShape } from '../contract';
import { redact } from '../core/redact';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Thrown by commands for bad flag values or combinations: printed as a usage error, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Ends a command with this exit code after it has printed its own answer (Nagios-style checks exit
 * 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN); nothing more is printed for it.
 */
export class ExitWith extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
    this.name = 'ExitWith';
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** A plain aligned table; no colours, so output can be piped. */
export function printTable(headers: string[], rows: Array<Array<string | number | null | undefined>>): void {
  const cells = rows.map((row) => row.map((c) => (c === null || c === undefined ? '' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  process.stdout.write(line(headers) + '\n');
  for (const r of cells) process.stdout.write(line(r) + '\n');
}

/** Thrown by a check command whose result (already printed) is a failure, e.g. an invalid message: exit 1. */
export class CheckFailed extends Error {
  override readonly name = 'CheckFailed';
}

/** Prints an error the operator can act on and returns the exit code to use. */
export function reportError(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${redact(error.message)}\n(see --help)\n`);
    return EXIT_USAGE;
  }
  if (error instanceof CheckFailed) {
    process.stderr.write(`${error.message}\n`);
    return EXIT_FAILURE;
  }
  const shape = toErrorShape(error);
  process.stderr.write(redact(`error: ${shape.code}: ${shape.message}`) + '\n');
  const hint = (shape.details as { hint?: unknown } | undefined)?.hint;
  if (typeof hint === 'string' && hint.length > 0) process.stderr.write(redact(`hint: ${hint}`) + '\n');
  if (shape.code === 'INVALID_INPUT' || shape.code === 'CONFIG_INVALID') {
    return error instanceof ContractError && shape.code === 'INVALID_INPUT' ? EXIT_USAGE : EXIT_FAILURE;
  }
  return EXIT_FAILURE;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export { plural } from '../contract/text';

/**
 * A progress line on stderr (stdout stays for results, so it pipes): rewritten in place on a
 * terminal, one line per report otherwise.
 */
export function progressLine(text: string, final = false): void {
  if (!process.stderr.isTTY) {
    process.stderr.write(text + '\n');
    return;
  }
  // A line longer than the terminal wraps, and \r then rewrites only its last row.
  const width = (process.stderr.columns || 80) - 1;
  const shown = text.length > width ? `${text.slice(0, width - 1)}…` : text;
  process.stderr.write(`\r${shown}\x1b[K${final ? '\n' : ''}`);
}
