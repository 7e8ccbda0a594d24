/**
 * The integration contract as documents: an AsyncAPI 3.0 description of every subject the control
 * center consumes and publishes, and one JSON Schema (draft 2020-12) per message type. Both are
 * generated from the zod schemas the bridge validates with (contract/messages.ts), through zod's
 * own `z.toJSONSchema`, so a change to a schema changes the documents, and a test fails while the
 * committed copies (docs/asyncapi.yaml, docs/schemas/) are stale.
 */
import { z } from 'zod';
import YAML from 'yaml';
import {
  DEFAULT_INBOUND_MAPPING,
  ENGINE_OUTPUT_TYPES,
  EnvelopeSchema,
  EXAMPLES,
  MESSAGE_SCHEMAS,
  MESSAGE_TYPES,
  SECURITY_EVENT_TYPES,
  exampleEnvelope,
  type MessageType
} from '../contract/messages';
import { APP_VERSION } from '../core/version';
import { DEFAULT_INBOUND_CONSUMERS, inboundConsumerFor } from '../bridge/inbound';
import { DEFAULT_BRIDGE_SETTINGS, subjectMatchesFilter, type BridgeSettings } from '../bridge/settings';
import { desiredStreams } from '../nats/topology';
import { MICRO_ENDPOINTS, MICRO_SERVICE_NAME, endpointSubject } from './endpoints';

export const NATS_MSG_ID_HEADER = 'Nats-Msg-Id';
/** The engine's epoch under a leader lease, on what the control center publishes (absent without a lease). */
export const EPOCH_HEADER = 'Synos-Epoch';

type JsonSchema = Record<string, unknown>;

/** What each message type is, for the documents' readers. */
export const TYPE_DESCRIPTIONS: { readonly [T in MessageType]: string } = {
  'consciousness.state_change':
    'The engine state (focus, emotion, load, learning mode, open problems) after a change larger than engine.stateChange.minDelta, at most once per engine.stateChange.minIntervalMs.',
  'consciousness.attention_shift': 'Attention moved from one target (service, `system`, user) to another, or to none.',
  'consciousness.memory_update': 'Working or long-term memory changed: store, promote, evict or forget a key.',
  'consciousness.decision_made':
    'The engine opened a problem and chose an action for it (the strategy with the highest learned weight).',
  'consciousness.learning_event':
    'The learning mode changed, or a strategy was judged (success or failure) and its weight updated.',
  'consciousness.error': 'The engine could not use an input (the message itself was valid) or failed internally.',
  'service.lifecycle.started': 'A service (instance) started.',
  'service.lifecycle.stopped':
    'A service stopped; a reason in engine.problems.expectedStopReasons (requested, shutdown, deploy, …) is expected, anything else opens a problem.',
  'service.health.update': 'A service reports its health; `unhealthy` opens a problem, `healthy` resolves it.',
  'system.resource.update':
    'Host resource usage as fractions 0–1; above engine.problems.resourceOpenAbove opens a problem.',
  'user.request.received': 'A user asked for something; it draws attention to the user.',
  'security.auth.failure': 'An authentication failed.',
  'security.threat.detected': 'A threat against a target; opens a security_threat problem.',
  'security.threat.resolved': 'A threat was resolved; resolves its problem.',
  'security.policy.violation': 'An actor violated a policy.',
  'health.heartbeat': 'A service is alive, with its status and uptime.',
  'metrics.summary': 'The control center’s counters over the last window: inbound, outbound and engine.',
  'alert.notification': 'An alert of the control center fired, was acknowledged or resolved.'
};

/**
 * The complete CloudEvents message of one type: the envelope with `type` fixed and `data` of that
 * type (safeExtend: any refinement on the envelope schema is kept, not refused).
 */
export function messageSchemaOf(type: MessageType): z.ZodType {
  return EnvelopeSchema.safeExtend({ type: z.literal(type), data: MESSAGE_SCHEMAS[type] as z.ZodType });
}

function toJsonSchema(schema: z.ZodType, target: 'draft-2020-12' | 'draft-7'): JsonSchema {
  // io 'input': what the validator accepts. Unknown keys are accepted (and dropped), as CloudEvents
  // extension attributes must be, so the schemas do not forbid additional properties.
  return z.toJSONSchema(schema, { target, io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

/** The JSON Schema (draft 2020-12) of one type's complete message. */
export function jsonSchemaOf(type: MessageType): JsonSchema {
  const { $schema, ...rest } = toJsonSchema(messageSchemaOf(type), 'draft-2020-12');
  return { $schema, title: type, description: TYPE_DESCRIPTIONS[type], ...rest };
}

/** The envelope alone (any type; `data` unconstrained). */
export function envelopeJsonSchema(): JsonSchema {
  const { $schema, ...rest } = toJsonSchema(EnvelopeSchema, 'draft-2020-12');
  return {
    $schema,
    title: 'CloudEvents 1.0 envelope',
    description:
      'Every Syn_OS message: a CloudEvents 1.0 event in structured JSON mode. `type` selects the schema of `data` (one file per type next to this one).',
    ...rest
  };
}

/** File name → JSON Schema, for docs/schemas/. */
export function jsonSchemaFiles(): Record<string, JsonSchema> {
  const files: Record<string, JsonSchema> = { 'envelope.schema.json': envelopeJsonSchema() };
  for (const type of MESSAGE_TYPES) files[`${type}.schema.json`] = jsonSchemaOf(type);
  return files;
}

/** AsyncAPI payloads are JSON Schema draft 7 (what its schema parser reads), without `$schema`. */
function draft7(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-7',
    io,
    unrepresentable: 'any'
  }) as JsonSchema;
  return rest;
}

/** The micro service's endpoints: request/reply on core NATS (the reply goes to the requester's inbox). */
function addMicroEndpoints(channels: Record<string, unknown>, operations: Record<string, unknown>): void {
  for (const e of MICRO_ENDPOINTS) {
    const subject = endpointSubject(e.name);
    const id = `receive.${idOf(subject)}`;
    const replyId = `reply.${idOf(subject)}`;
    channels[id] = {
      address: subject,
      title: subject,
      description: `${e.description}. An endpoint of the NATS micro service ${MICRO_SERVICE_NAME} (request/reply on core NATS, no stream); an empty request body is {}.`,
      messages: {
        request: { name: `${e.name}.request`, contentType: 'application/json', payload: draft7(e.input, 'input') }
      },
      'x-synos-stream': null
    };
    channels[replyId] = {
      address: null,
      title: `${subject} reply`,
      description: 'The requester’s reply subject (its inbox).',
      messages: {
        response: {
          name: `${e.name}.response`,
          contentType: 'application/json',
          summary:
            'The answer; on a bad request an empty body with the Nats-Service-Error-Code (400) and Nats-Service-Error (INVALID_INPUT: …) headers.',
          headers: {
            type: 'object',
            properties: {
              'Nats-Service-Error': { type: 'string', description: 'Set on errors: `CODE: message`.' },
              'Nats-Service-Error-Code': {
                type: 'string',
                description: 'Set on errors: 400 bad request, 500 internal.'
              }
            }
          },
          payload: draft7(e.output, 'output')
        }
      }
    };
    operations[id] = {
      action: 'receive',
      channel: { $ref: `#/channels/${id}` },
      summary: `The control center answers requests on ${subject}.`,
      messages: [{ $ref: `#/channels/${id}/messages/request` }],
      reply: {
        channel: { $ref: `#/channels/${replyId}` },
        messages: [{ $ref: `#/channels/${replyId}/messages/response` }]
      }
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Channels
// ---------------------------------------------------------------------------------------------

export interface ChannelSpec {
  id: string;
  address: string;
  action: 'send' | 'receive';
  types: MessageType[];
  description: string;
  /** The stream that captures the subject, or null when none of the Syn_OS streams does. */
  stream: string | null;
  /** The bridge's durable consumer reading it (receive only). */
  durable?: string;
  parameters?: Record<string, { description: string; enum?: string[] }>;
}

function streamOf(address: string): string | null {
  const concrete = address.replace(/\{[^}]+\}/g, 'x');
  return desiredStreams().find((s) => s.subjects.some((f) => subjectMatchesFilter(concrete, f)))?.name ?? null;
}

function idOf(address: string): string {
  return address.replace(/[{}]/g, '').replace(/[^A-Za-z0-9._-]/g, '_');
}

export type ContractSettings = Pick<BridgeSettings, 'outboundMapping' | 'heartbeatSubject' | 'metricsSubject'>;

/** Every subject the control center reads or writes, with its stream and message types. */
export function channelSpecs(settings: ContractSettings = DEFAULT_BRIDGE_SETTINGS): ChannelSpec[] {
  const channels: ChannelSpec[] = [];
  const add = (c: Omit<ChannelSpec, 'id' | 'stream'>): void => {
    channels.push({ ...c, id: `${c.action}.${idOf(c.address)}`, stream: streamOf(c.address) });
  };
  for (const [subject, type] of Object.entries(DEFAULT_INBOUND_MAPPING)) {
    add({
      address: subject,
      action: 'receive',
      types: [type],
      durable: inboundConsumerFor(subject, DEFAULT_INBOUND_CONSUMERS)?.durable ?? '',
      description: `Into the engine: only \`${type}\` events are accepted on this subject (anything else is rejected as wrong_type).`
    });
  }
  for (const type of SECURITY_EVENT_TYPES) {
    add({
      address: type,
      action: 'receive',
      types: [type],
      durable: 'security_dashboard',
      description: `Into the engine and the Security view. The bridge reads every subject under security.> and accepts any of the four security types on any of them; publish \`${type}\` here.`
    });
  }
  add({
    address: 'health.{service}',
    action: 'receive',
    types: ['health.heartbeat'],
    parameters: { service: { description: 'The service name (any token).' } },
    description:
      'Heartbeats of other services feed the Overview’s service list (a plain subscription on health.>; other messages there are ignored, not rejected). A service without a heartbeat for bridge.serviceStaleAfterMs is shown stale.'
  });
  for (const type of ENGINE_OUTPUT_TYPES) {
    add({
      address: type,
      action: 'send',
      types: [type],
      description: `Every \`${type}\` the engine emits, on its own type as subject.`
    });
    const forward = settings.outboundMapping[type];
    if (forward) {
      add({
        address: forward,
        action: 'send',
        types: [type],
        description: `The same \`${type}\` events forwarded for the orchestrator (bridge.outboundMapping; a copy with its own envelope id).`
      });
    }
  }
  add({
    address: settings.heartbeatSubject,
    action: 'send',
    types: ['health.heartbeat'],
    description: 'The control center’s own heartbeat, every bridge.heartbeatIntervalMs (10 s by default).'
  });
  add({
    address: settings.metricsSubject,
    action: 'send',
    types: ['metrics.summary'],
    description: 'The control center’s counters over the last window, every bridge.metricsIntervalMs (30 s by default).'
  });
  add({
    address: 'alert.{severity}.{rule}',
    action: 'send',
    types: ['alert.notification'],
    parameters: {
      severity: { description: 'The alert’s severity, lower case.', enum: ['info', 'warning', 'error', 'critical'] },
      rule: { description: 'The alert rule id, e.g. nats.disconnected or consumer.pending.' }
    },
    description: 'Each alert transition (firing, acknowledged, resolved), through the outbox.'
  });
  return channels;
}

// ---------------------------------------------------------------------------------------------
// The AsyncAPI document
// ---------------------------------------------------------------------------------------------

function headersSchema(): JsonSchema {
  const epochInEnvelope = Object.prototype.hasOwnProperty.call(EnvelopeSchema.shape, 'synosepoch');
  return {
    type: 'object',
    properties: {
      [NATS_MSG_ID_HEADER]: {
        type: 'string',
        description:
          'JetStream deduplication: a message with an id already stored in the stream’s duplicate window (2 minutes by default) is acknowledged but not stored again. The control center sets it to the envelope id on everything it publishes; publishers should set it to their envelope id so a retried publish is stored once.'
      },
      [EPOCH_HEADER]: {
        type: 'string',
        pattern: '^[0-9]+$',
        description: `Optional. The engine's epoch (leader lease) on messages the control center publishes while it holds the lease${epochInEnvelope ? ', equal to the envelope’s `synosepoch` attribute' : ''}; absent otherwise. Publishers to the control center do not set it.`
      }
    }
  };
}

function operationSummary(c: ChannelSpec): string {
  if (c.action === 'receive') {
    return c.durable
      ? `The bridge consumes ${c.address} (durable ${c.durable} on ${c.stream ?? 'no stream'}).`
      : `The control center listens on ${c.address}.`;
  }
  return `The control center publishes on ${c.address}${c.stream ? ` (stored in ${c.stream})` : ''}.`;
}

/** The AsyncAPI 3.0 document, as a plain object. */
export function buildAsyncApi(settings: ContractSettings = DEFAULT_BRIDGE_SETTINGS): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const specs = channelSpecs(settings);
  for (const c of specs) {
    channels[c.id] = {
      address: c.address,
      title: c.address,
      description: `${c.description}${c.stream ? ` Stream: ${c.stream}.` : ' No Syn_OS stream captures this subject.'}`,
      ...(c.parameters
        ? {
            parameters: Object.fromEntries(
              Object.entries(c.parameters).map(([name, p]) => [
                name,
                { description: p.description, ...(p.enum ? { enum: p.enum } : {}) }
              ])
            )
          }
        : {}),
      messages: Object.fromEntries(c.types.map((t) => [t, { $ref: `#/components/messages/${t}` }])),
      'x-synos-stream': c.stream,
      ...(c.durable ? { 'x-synos-durable': c.durable } : {})
    };
    operations[c.id] = {
      action: c.action,
      channel: { $ref: `#/channels/${c.id}` },
      summary: operationSummary(c),
      messages: c.types.map((t) => ({ $ref: `#/channels/${c.id}/messages/${t}` }))
    };
  }
  addMicroEndpoints(channels, operations);
  const messages: Record<string, unknown> = {};
  for (const type of MESSAGE_TYPES) {
    messages[type] = {
      name: type,
      title: type,
      summary: TYPE_DESCRIPTIONS[type],
      contentType: 'application/json',
      correlationId: {
        description: 'The envelope’s correlationid, when the message answers or follows another.',
        location: '$message.payload#/correlationid'
      },
      headers: { $ref: '#/components/schemas/headers' },
      payload: draft7(messageSchemaOf(type)),
      examples: EXAMPLES[type].map((_, i) => {
        const envelope = exampleEnvelope(type, i);
        return { name: `${type}.${i}`, headers: { [NATS_MSG_ID_HEADER]: envelope.id }, payload: envelope };
      })
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Syn_OS Control Center',
      version: APP_VERSION,
      description:
        'What the Syn_OS control center consumes and publishes on NATS JetStream. Every message is a CloudEvents 1.0 envelope in structured JSON mode (`datacontenttype: application/json`); `type` selects the schema of `data`. The bridge terminates an invalid inbound message (no redelivery) and keeps it, with its reason, in the invalid-messages table. Guide: docs/integrating.md.'
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: 'localhost:4222',
        protocol: 'nats',
        description: 'A local nats-server with JetStream (the default of the control center).'
      }
    },
    channels,
    operations,
    components: {
      schemas: { headers: headersSchema(), envelope: draft7(EnvelopeSchema) },
      messages
    }
  };
}

export const GENERATED_NOTICE =
  'Generated by `synos-cc schema` from the zod schemas in main/contract/messages.ts. Do not edit; regenerate with `npm run docs:contract`.';

export function asyncApiYaml(settings: ContractSettings = DEFAULT_BRIDGE_SETTINGS): string {
  const doc = new YAML.Document(buildAsyncApi(settings), { aliasDuplicateObjects: false });
  doc.commentBefore = ` ${GENERATED_NOTICE}`;
  return doc.toString({ lineWidth: 0 });
}

export function jsonSchemaText(schema: JsonSchema): string {
  return JSON.stringify(schema, null, 2) + '\n';
}
