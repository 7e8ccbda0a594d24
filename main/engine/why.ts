/**
 * `engine.why` (and `synos-cc engine why`): a decision's provenance with its outputs' current
 * PubAck state, or a NOT_FOUND that says what to give and where else to look.
 */
import { ContractError } from '../contract/errors';
import type { DecisionWhy } from '../contract/engine';
import type { OutboxLookup, ProvenanceStore } from './provenance';
import { MAX_STORED_PROBLEMS } from './store';

export function whyOrThrow(store: ProvenanceStore, id: string, outbox: OutboxLookup | null): DecisionWhy {
  const why = store.why(id.trim(), outbox);
  if (!why)
    throw new ContractError(
      'NOT_FOUND',
      `no decision "${id}" is recorded in this data directory: give a problem id (p-…) or the id of its decision_made message, as the Engine view lists them. Decisions are explained by the core that made them (the engine leader) and kept as long as their problem (the newest ${MAX_STORED_PROBLEMS}).`,
      { id }
    );
  return why;
}
