/**
 * The one error shape that crosses every transport (IPC, WebSocket, in-memory).
 * Handlers throw {@link ContractError}; transports serialise it as {@link ErrorShape}.
 * No Node or Electron imports: the renderer and the preload use this file too.
 */

import { redactUrls } from './urls';

/** Stable error codes. Add new codes here; never reuse one for a different meaning. */
export const ERROR_CODES = [
  'INVALID_INPUT',
  'UNKNOWN_METHOD',
  'INTERNAL',
  'NOT_CONNECTED',
  'TIMEOUT',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  /** A file is over the size cap of what takes it (an import, an upload). */
  'FILE_TOO_LARGE',
  'CONFLICT',
  'CONFIG_INVALID',
  'DATABASE',
  'MIGRATION_CHECKSUM_MISMATCH',
  'NATS_AUTH',
  'NATS_TLS',
  'NATS_UNREACHABLE',
  'NATS_ERROR',
  /** A request found no subscriber on its subject. */
  'NO_RESPONDERS',
  'JETSTREAM_ERROR',
  'CANCELLED',
  'TRANSPORT_CLOSED',
  'UNAVAILABLE',
  /** The disk holding the data directory is full (SQLITE_FULL, ENOSPC): nothing more can be stored. */
  'DISK_FULL'
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** What an error looks like on the wire. */
export interface ErrorShape {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** A typed error with a stable code, thrown by handlers and re-thrown by clients. */
export class ContractError extends Error {
  override readonly name = 'ContractError';
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    if (details !== undefined) this.details = details;
  }

  toShape(): ErrorShape {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromShape(shape: ErrorShape): ContractError {
    return new ContractError(shape.code, shape.message, shape.details);
  }
}

export function isErrorShape(value: unknown): value is ErrorShape {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ErrorShape).code === 'string' &&
    typeof (value as ErrorShape).message === 'string'
  );
}

/** Strings inside details lose URL userinfo too (a bad --nats value, a server list). */
function redactDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactUrls(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = redactDeep(item, depth + 1);
  return out;
}

function redacted(shape: ErrorShape): ErrorShape {
  const message = redactUrls(shape.message);
  return shape.details === undefined
    ? { code: shape.code, message }
    : { code: shape.code, message, details: redactDeep(shape.details) };
}

/** SQLite's and the OS's ways of saying the disk is full. */
const DISK_FULL_CODES = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);

/** True for an error that means the disk (or the user's quota) is full. */
export function isDiskFullError(error: unknown): boolean {
  if (error instanceof ContractError) return error.code === 'DISK_FULL';
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && DISK_FULL_CODES.has(code);
}

/**
 * Turns anything thrown into the wire shape; unknown errors become INTERNAL with their message
 * (a full disk becomes DISK_FULL). URLs in the message lose their userinfo on the way out.
 */
export function toErrorShape(error: unknown): ErrorShape {
  if (error instanceof ContractError) return redacted(error.toShape());
  if (isErrorShape(error) && (ERROR_CODES as readonly string[]).includes(error.code)) {
    return redacted(
      error.details === undefined
        ? { code: error.code, message: error.message }
        : { code: error.code, message: error.message, details: error.details }
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  if (isDiskFullError(error)) {
    return {
      code: 'DISK_FULL',
      message: `the disk holding the data directory is full (${message}); nothing more can be stored`,
      details: { hint: 'Free space on that disk (or move the data directory with --data DIR), then try again.' }
    };
  }
  return redacted({ code: 'INTERNAL', message });
}
