/**
 * The one error shape that crosses every transport (IPC, WebSocket, in-memory).
 * Handlers throw {@link ContractError}; transports serialise it as {@link ErrorShape}.
 * No Node or Electron imports: the renderer and the preload use this file too.
 */

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
  'UNAVAILABLE'
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

/** Turns anything thrown into the wire shape; unknown errors become INTERNAL with their message. */
export function toErrorShape(error: unknown): ErrorShape {
  if (error instanceof ContractError) return error.toShape();
  if (isErrorShape(error) && (ERROR_CODES as readonly string[]).includes(error.code)) {
    return error.details === undefined
      ? { code: error.code, message: error.message }
      : { code: error.code, message: error.message, details: error.details };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message };
}
