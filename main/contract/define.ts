import type { z } from 'zod';

/** A request/response procedure: a zod schema for its input and one for its output. */
export interface ProcedureDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I;
  output: O;
  /** One line for docs and the command palette. */
  summary: string;
}

export function procedure<I extends z.ZodType, O extends z.ZodType>(
  input: I,
  output: O,
  summary: string
): ProcedureDef<I, O> {
  return { input, output, summary };
}

/** A pushed event channel: the schema of one payload and how many payloads a client may have queued. */
export interface EventDef<P extends z.ZodType = z.ZodType> {
  payload: P;
  /** Per-client queue bound; the oldest are dropped (and counted) beyond it. */
  maxQueued: number;
  /** When true only the newest payload matters (state snapshots): older queued ones are replaced. */
  latestOnly: boolean;
  summary: string;
}

export function event<P extends z.ZodType>(
  payload: P,
  summary: string,
  options: { maxQueued?: number; latestOnly?: boolean } = {}
): EventDef<P> {
  return { payload, summary, maxQueued: options.maxQueued ?? 1000, latestOnly: options.latestOnly ?? false };
}
