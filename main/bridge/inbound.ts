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
  /** The consumer's subject filter. */
  filter: string;
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
  return consumers.find((c) => subjectMatchesFilter(subject, c.filter)) ?? null;
}

/** The default inbound rules (tests, docs). */
export const DEFAULT_INBOUND_RULES: InboundRules = {
  inboundMapping: DEFAULT_INBOUND_MAPPING,
  maxMessageBytes: DEFAULT_BRIDGE_SETTINGS.maxMessageBytes
};
