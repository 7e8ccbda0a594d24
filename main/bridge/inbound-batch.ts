/**
 * The open inbound batch: the messages handled since the last commit and everything they produced
 * (inbox keys, outbox rows, security and invalid-message records, what the views are told). The
 * bridge commits it in one SQLite transaction, then acks or terminates its messages.
 */
import type { JsMsg } from '@nats-io/jetstream';
import type { InvalidReason } from '../contract/messages';
import type { OutboundMessage } from '../core/outbound';
import type { BusInput, BusOutput } from './event-bus';
import type { NewInvalidMessage, SecurityEventRecord } from './store';
import type { ProvenanceRow } from '../engine/provenance';

/** Messages per transaction at most (a pull batch is 512 by default: two commits). */
export const MAX_BATCH = 256;

/** One message of the open batch and what to do with it once the batch committed. */
export interface Settlement {
  msg: JsMsg;
  action: 'ack' | 'term';
  /** performance.now() when it arrived. */
  started: number;
  /** Set for an invalid message: counted by reason once its record committed. */
  invalidReason: { reason: InvalidReason; stream: string } | null;
  /** A valid input stepped in this batch: its envelope id and the ids of the outputs it caused. */
  stepped?: { id: string; outputs: string[] };
  /**
   * Its effect may not be in the shared engine state yet: it changed open problems or strategy
   * weights, or it is a redelivery of an input already committed here. Under a lease its ack waits
   * for the next shared-state write (./held-acks.ts).
   */
  shares?: boolean;
}

/** What the messages handled since the last commit produced; committed in one transaction. */
export interface InboundBatch {
  settle: Settlement[];
  /** Inbox keys (hex → 16-byte key) of the inputs in this batch. */
  keys: Map<string, Buffer>;
  inputs: BusInput[];
  outbound: OutboundMessage[];
  outputs: Array<{ bus: BusOutput }>;
  security: SecurityEventRecord[];
  invalid: NewInvalidMessage[];
  /** Why each decision of the batch was made (../engine/provenance.ts). */
  provenance: ProvenanceRow[];
}

export function newBatch(): InboundBatch {
  return {
    settle: [],
    keys: new Map(),
    inputs: [],
    outbound: [],
    outputs: [],
    security: [],
    invalid: [],
    provenance: []
  };
}

export function isEmptyBatch(b: InboundBatch): boolean {
  return b.settle.length === 0 && b.outbound.length === 0 && b.security.length === 0 && b.invalid.length === 0;
}
