/**
 * The request/reply endpoints of the micro service `synos-control-center`: names, subjects and the
 * zod schemas of their requests and answers. The service (./micro-service.ts) answers them; the
 * AsyncAPI document (./asyncapi.ts) and each endpoint's metadata describe them from these schemas.
 */
import { z } from 'zod';
import { BridgeStatusSchema, EngineSnapshotSchema, ProblemSchema } from '../contract/engine';
import { MESSAGE_TYPES } from '../contract/messages';

export const MICRO_SERVICE_NAME = 'synos-control-center';
/** Every endpoint's subject is `<group>.<name>`; no Syn_OS stream captures it (a PubAck would answer too). */
export const MICRO_SERVICE_GROUP = 'synos.control_center';

const NoInput = z.object({}).strict();
export const ProblemsInputSchema = z.object({ limit: z.number().int().min(1).max(1000).default(200) }).strict();
export const SchemaInputSchema = z
  .object({
    format: z.enum(['asyncapi', 'jsonschema']).default('asyncapi'),
    /** With jsonschema: only this type's schema. */
    type: z.enum(MESSAGE_TYPES).optional()
  })
  .strict();
const SchemaOutput = z
  .record(z.string(), z.unknown())
  .describe(
    'format asyncapi: the AsyncAPI 3.0 document; jsonschema with type: that type’s JSON Schema; jsonschema alone: file name → JSON Schema'
  );

export interface EndpointDefinition {
  name: 'status' | 'state' | 'problems' | 'schema';
  description: string;
  /** The request body (an empty body is `{}`). */
  input: z.ZodType;
  output: z.ZodType;
}

export const MICRO_ENDPOINTS: readonly EndpointDefinition[] = [
  {
    name: 'status',
    description: 'Engine and bridge status: inbound consumers, counters, publisher, heartbeat, mappings',
    input: NoInput,
    output: BridgeStatusSchema
  },
  {
    name: 'state',
    description: 'The engine state now: focus, emotion, load, learning mode, attention, working memory',
    input: NoInput,
    output: EngineSnapshotSchema
  },
  {
    name: 'problems',
    description: 'Open problems with the decision taken, newest first',
    input: ProblemsInputSchema,
    output: z.array(ProblemSchema)
  },
  {
    name: 'schema',
    description: 'The integration contract: the AsyncAPI 3.0 document, or the JSON Schemas of the message types',
    input: SchemaInputSchema,
    output: SchemaOutput
  }
];

export function endpointSubject(name: string): string {
  return `${MICRO_SERVICE_GROUP}.${name}`;
}
