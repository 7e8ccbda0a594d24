/**
 * What transports and the CLI use to talk to the core, whatever builds it (main/app/create-core.ts):
 * the transports know this interface and the contract, never an area.
 */
import type { CoreMethod, EventChannel, InputOf, OutputOf, PayloadOf } from '../contract';
import type { CallContext, CallOutcome } from './router';

/** What transports and the CLI use to talk to the core. */
export interface CoreApi {
  /** Validated dispatch by name; never throws. */
  call(method: string, input: unknown, ctx?: CallContext): Promise<CallOutcome>;
  /** Typed call for in-process callers (CLI); throws ContractError on failure. */
  invoke<M extends CoreMethod>(method: M, input: InputOf<M>, ctx?: CallContext): Promise<OutputOf<M>>;
  /** Pushed events; a client session passes its id so events addressed to other sessions skip it. */
  subscribe<C extends EventChannel>(
    channel: C,
    listener: (payload: PayloadOf<C>) => void,
    options?: { sessionId?: string }
  ): () => void;
}
