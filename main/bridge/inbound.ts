/**
 * What the bridge accepts on its inbound consumers, as one function: the bridge calls it for every
 * message it reads, and `synos-cc validate` calls the same function, so both give the same verdict,
 * reason and issue paths for the same bytes on the same subject.
 */
import {
  DEFAULT_INBOUND_MAPPING,
  SECURITY_EVENT_TYPES,
  validateEnvelope,
  type EngineInputType,
  type EnvelopeValidation
} from '../contract/messages';
import { BRIDGE_FILTERS, bridgeDurableName } from '../nats/topology';
import { DEFAULT_BRIDGE_SETTINGS, subjectMatchesFilter } from './settings';

/** orchestrator: the inbound mapping decides the one type a subject carries; security: any security.* type. */
export type InboundFamily = 'orchestrator' | 'security';

/** One durable consumer the bridge reads. */
export interface InboundConsumerSpec {
  stream: string;
  durable: string;
  family: InboundFamily;
  /** The consumer's subject filter (the first of `filters` when it has several). */
  filter: string;
  /** Every subject filter of a multi-filter durable (nats-server ≥ 2.10). */
  filters?: readonly string[];
  /**
   * A filtered durable created by a handover: per family filter, the first stream sequence the
   * replaced per-family durable had not acknowledged. A message below it was already settled there.
   */
  handover?: Readonly<Record<string, number>>;
}

export const SECURITY_FILTER = 'security.>';

export const DEFAULT_INBOUND_CONSUMERS: readonly InboundConsumerSpec[] = [
  ...BRIDGE_FILTERS.map((filter) => ({
    stream: 'ORCHESTRATOR_EVENTS',
    durable: bridgeDurableName(filter),
    family: 'orchestrator' as const,
    filter
  })),
  { stream: 'SECURITY_EVENTS', durable: 'security_dashboard', family: 'security', filter: SECURITY_FILTER }
];

/** The settings the verdict depends on (the `bridge` section of config.json and the inbound mapping). */
export interface InboundRules {
  inboundMapping: Readonly<Record<string, EngineInputType>>;
  maxMessageBytes: number;
}

/** Validates one inbound message exactly as the bridge does before it reaches the engine. Never throws. */
export function validateInbound(
  family: InboundFamily,
  subject: string,
  data: Uint8Array | string,
  rules: InboundRules
): EnvelopeValidation {
  if (family === 'orchestrator') {
    const expected = rules.inboundMapping[subject];
    if (expected === undefined) {
      return {
        ok: false,
        reason: 'unknown_type',
        message: `no engine input is mapped to subject ${subject}`,
        issues: []
      };
    }
    return validateEnvelope(data, { maxBytes: rules.maxMessageBytes, expectedType: expected, subject });
  }
  return validateEnvelope(data, { maxBytes: rules.maxMessageBytes, allowedTypes: SECURITY_EVENT_TYPES, subject });
}

/** The inbound consumer that would receive a message published on `subject`, or null when the bridge reads none. */
export function inboundConsumerFor(
  subject: string,
  consumers: readonly InboundConsumerSpec[] = DEFAULT_INBOUND_CONSUMERS
): InboundConsumerSpec | null {
  return (
    consumers.find((c) => (c.filters ?? [c.filter]).some((filter) => subjectMatchesFilter(subject, filter))) ?? null
  );
}

/**
 * The inbox identity of an inbound consumer for a message on `subject`. The bridge's own durables
 * keep the per-family durable's name in both shapes, so an id committed through
 * consciousness_bridge_service is recognised when consciousness_bridge delivers the same message
 * again after the handover (and ids committed before this version stay valid).
 */
export function inboxScope(spec: InboundConsumerSpec, subject: string): string {
  if (!spec.filters) return spec.durable;
  const family = BRIDGE_FILTERS.find((f) => subjectMatchesFilter(subject, f));
  return family ? bridgeDurableName(family) : spec.durable;
}

/** True when a handed-over durable delivers a message its per-family predecessor had already settled. */
export function settledBeforeHandover(
  spec: InboundConsumerSpec,
  subject: string,
  streamSeq: number | undefined
): boolean {
  if (!spec.handover || streamSeq === undefined) return false;
  for (const [filter, first] of Object.entries(spec.handover)) {
    if (subjectMatchesFilter(subject, filter)) return streamSeq < first;
  }
  return false;
}

/** The default inbound rules (tests, docs). */
export const DEFAULT_INBOUND_RULES: InboundRules = {
  inboundMapping: DEFAULT_INBOUND_MAPPING,
  maxMessageBytes: DEFAULT_BRIDGE_SETTINGS.maxMessageBytes
};
