/**
 * The narrow seam between the leader lease and the parts that must only act while this core
 * leads (the bridge: inbound durables and engine outputs). EngineLease implements it.
 */
import type { EngineRole, LeaseChange } from './lease';

export const LEADERSHIP_SERVICE = 'leadership';

export interface LeadershipGate {
  /** True only while this core holds an unexpired lease; checked before every output. */
  isActive(): boolean;
  /** The current term's epoch (fencing token), null when not leading. */
  epoch(): number | null;
  currentRole(): EngineRole;
  onChange(listener: (change: LeaseChange) => void): () => void;
}

/** The header every engine output carries next to the envelope's `synosepoch`. */
export const EPOCH_HEADER = 'Synos-Epoch';
