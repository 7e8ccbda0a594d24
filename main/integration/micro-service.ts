/**
 * The control center as a NATS micro service (`@nats-io/services`): a running core that runs the
 * engine registers `synos-control-center`, so `nats micro ls|info|stats` and any client find it
 * and answer `$SRV.PING|INFO|STATS`. Endpoints (request/reply, JSON):
 *
 *   synos.control_center.status    the bridge and engine status (consumers, counters, mappings)
 *   synos.control_center.state     the engine state snapshot (focus, emotion, attention, memory)
 *   synos.control_center.problems  open problems, newest first ({"limit": N}, default 200)
 *   synos.control_center.schema    the AsyncAPI document or the JSON Schemas ({"format", "type"})
 *
 * Each endpoint's request and response JSON Schemas (from the same zod schemas the contract uses)
 * are in its metadata (`request_schema`, `response_schema`). The service is added on every new
 * connection (the connection manager replaces the connection after it was lost for good) and
 * stopped when the core stops. One-shot CLI commands, which do not run the engine, do not register.
 */
import { Svcm, ServiceError, type Service, type ServiceMsg } from '@nats-io/services';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { BridgeStatusSchema, EngineSnapshotSchema, ProblemSchema } from '../contract/engine';
import { MESSAGE_TYPES } from '../contract/messages';
import type { ConsciousnessBridge } from '../bridge/bridge';
import { BRIDGE_SERVICE, problemViews } from '../bridge/module';
import type { CoreContext, ModuleFactory } from '../core/module';
import { APP_VERSION } from '../core/version';
import { buildAsyncApi, jsonSchemaFiles, jsonSchemaOf } from './asyncapi';

export const MICRO_SERVICE_NAME = 'synos-control-center';
export const MICRO_SERVICE_GROUP = 'synos.control_center';

const NoInput = z.object({}).strict();
const ProblemsInput = z.object({ limit: z.number().int().min(1).max(1000).default(200) }).strict();
const SchemaInput = z
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

interface EndpointSpec<I extends z.ZodType> {
  name: string;
  description: string;
  input: I;
  output: z.ZodType;
  handle(input: z.output<I>): unknown;
}

function endpoint<I extends z.ZodType>(spec: EndpointSpec<I>): EndpointSpec<z.ZodType> {
  return spec as unknown as EndpointSpec<z.ZodType>;
}

/** The endpoints, with the functions that answer them. */
export function microEndpoints(ctx: CoreContext, bridge: ConsciousnessBridge): EndpointSpec<z.ZodType>[] {
  return [
    endpoint({
      name: 'status',
      description: 'Engine and bridge status: inbound consumers, counters, publisher, heartbeat, mappings',
      input: NoInput,
      output: BridgeStatusSchema,
      handle: () => bridge.status()
    }),
    endpoint({
      name: 'state',
      description: 'The engine state now: focus, emotion, load, learning mode, attention, working memory',
      input: NoInput,
      output: EngineSnapshotSchema,
      handle: () => bridge.snapshotView()
    }),
    endpoint({
      name: 'problems',
      description: 'Open problems with the decision taken, newest first',
      input: ProblemsInput,
      output: z.array(ProblemSchema),
      handle: (input) => problemViews(bridge, 'open', input.limit)
    }),
    endpoint({
      name: 'schema',
      description: 'The integration contract: the AsyncAPI 3.0 document, or the JSON Schemas of the message types',
      input: SchemaInput,
      output: SchemaOutput,
      handle: (input) => {
        if (input.format === 'asyncapi') return buildAsyncApi(ctx.config.bridge);
        return input.type ? jsonSchemaOf(input.type) : jsonSchemaFiles();
      }
    })
  ];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function schemaText(schema: z.ZodType, io: 'input' | 'output'): string {
  return JSON.stringify(z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }));
}

/** Parses a request body: empty means {}; anything else must be JSON matching the endpoint's input. */
function parseRequest(spec: EndpointSpec<z.ZodType>, data: Uint8Array): unknown {
  let value: unknown = {};
  const text = decoder.decode(data).trim();
  if (text.length > 0) {
    try {
      value = JSON.parse(text);
    } catch {
      throw new ServiceError(400, `INVALID_INPUT: ${spec.name} takes a JSON object (or an empty body)`);
    }
  }
  const parsed = spec.input.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new ServiceError(400, `INVALID_INPUT: ${issues.join('; ')}`);
  }
  return parsed.data;
}

export const microServiceModule: ModuleFactory = (ctx) => {
  const logger = ctx.logger.child({ part: 'micro' });
  let service: Service | null = null;
  let unsubscribe: (() => void) | null = null;
  let registering: Promise<void> = Promise.resolve();

  const stopService = async (): Promise<void> => {
    const current = service;
    service = null;
    if (current && !current.isStopped) await current.stop().catch(() => undefined);
  };

  const register = async (nc: NatsConnection, bridge: ConsciousnessBridge): Promise<void> => {
    await stopService();
    if (nc.isClosed()) return;
    // @nats-io/services is built against its own copy of nats-core; the connection is the same protocol client.
    const svcm = new Svcm(nc as unknown as ConstructorParameters<typeof Svcm>[0]);
    const added = await svcm.add({
      name: MICRO_SERVICE_NAME,
      version: APP_VERSION,
      description: 'Syn_OS Control Center: engine status, state, open problems and the integration contract',
      metadata: { app_version: APP_VERSION, endpoints_subject_prefix: MICRO_SERVICE_GROUP }
    });
    const group = added.addGroup(MICRO_SERVICE_GROUP);
    for (const spec of microEndpoints(ctx, bridge)) {
      group.addEndpoint(spec.name, {
        metadata: {
          description: spec.description,
          request_schema: schemaText(spec.input, 'input'),
          response_schema: schemaText(spec.output, 'output')
        },
        handler: (_error: Error | null, msg: ServiceMsg) => {
          const input = parseRequest(spec, msg.data);
          let result: unknown;
          try {
            result = spec.handle(input);
          } catch (error) {
            throw new ServiceError(500, `INTERNAL: ${error instanceof Error ? error.message : String(error)}`);
          }
          msg.respond(encoder.encode(JSON.stringify(result)));
        }
      });
    }
    service = added;
    logger.info('micro service registered', { name: MICRO_SERVICE_NAME, id: added.info().id });
  };

  return {
    name: 'micro',
    start() {
      const bridge = ctx.services.get(BRIDGE_SERVICE) as ConsciousnessBridge | undefined;
      if (!bridge || !bridge.active) return;
      const onConnection = (nc: NatsConnection): void => {
        registering = registering
          .then(() => register(nc, bridge))
          .catch((error) => logger.warn('cannot register the micro service', { error }));
      };
      unsubscribe = ctx.nats.onConnect(onConnection);
      const nc = ctx.nats.connection();
      if (nc) onConnection(nc);
    },
    async stop() {
      unsubscribe?.();
      unsubscribe = null;
      await registering;
      await stopService();
    }
  };
};
