/**
 * Dispatches a call by method name: validates the input with the contract's schema
 * (INVALID_INPUT with the zod issues when it fails), runs the handler, and turns anything thrown
 * into the error shape. Transports call this; they never call handlers directly.
 */
import {
  ContractError,
  isMethod,
  procedures,
  toErrorShape,
  type CoreMethod,
  type ErrorShape,
  type OutputOf,
  type ParsedInputOf
} from '../contract';
import { describeIssues } from '../core/config';
import type { Logger } from '../core/logger';

/** Who is calling: lets handlers scope work (subscriptions, cancellation) to the caller. */
export interface CallContext {
  transport: 'ipc' | 'ws' | 'memory' | 'cli';
  /** Aborted when the caller goes away. */
  signal?: AbortSignal;
  /** A stable id of the client session. */
  sessionId?: string;
}

export type Handler<M extends CoreMethod> = (
  input: ParsedInputOf<M>,
  ctx: CallContext
) => Promise<OutputOf<M>> | OutputOf<M>;

export type Handlers = { [M in CoreMethod]: Handler<M> };

export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: ErrorShape };

export interface RouterOptions {
  logger: Logger;
  /** Check outputs against their schemas too (tests turn this on; it costs time on big pages). */
  validateOutput?: boolean;
}

export interface Router {
  call(method: string, input: unknown, ctx: CallContext): Promise<CallOutcome>;
}

export function createRouter(handlers: Partial<Handlers>, options: RouterOptions): Router {
  const logger = options.logger.child({ part: 'api' });
  return {
    async call(method, input, ctx) {
      if (!isMethod(method)) {
        return { ok: false, error: { code: 'UNKNOWN_METHOD', message: `unknown method "${method}"` } };
      }
      const handler = (handlers as Record<string, Handler<CoreMethod> | undefined>)[method];
      if (!handler) {
        return { ok: false, error: { code: 'UNKNOWN_METHOD', message: `method "${method}" is not served here` } };
      }
      const def = procedures[method];
      const parsed = def.input.safeParse(input ?? {});
      if (!parsed.success) {
        return {
          ok: false,
          error: {
            code: 'INVALID_INPUT',
            message: `invalid input for ${method}: ${describeIssues(parsed.error.issues)}`,
            details: {
              issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message, code: i.code }))
            }
          }
        };
      }
      try {
        const value = await handler(parsed.data as never, ctx);
        if (options.validateOutput) {
          const checked = def.output.safeParse(value);
          if (!checked.success) {
            throw new ContractError(
              'INTERNAL',
              `output of ${method} does not match its schema: ${describeIssues(checked.error.issues)}`
            );
          }
        }
        return { ok: true, value };
      } catch (error) {
        const shape = toErrorShape(error);
        if (shape.code === 'INTERNAL') logger.error('handler failed', { method, error });
        else logger.debug('handler returned an error', { method, code: shape.code, message: shape.message });
        return { ok: false, error: shape };
      }
    }
  };
}
