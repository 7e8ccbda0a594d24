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
import type { ConsciousnessBridge } from '../bridge/bridge';
import { problemViews } from '../bridge/module';
import type { CoreContext, CoreModule } from '../core/module';
import { APP_VERSION } from '../core/version';
import { buildAsyncApi, jsonSchemaFiles, jsonSchemaOf } from './asyncapi';
import {
  MICRO_ENDPOINTS,
  MICRO_SERVICE_GROUP,
  MICRO_SERVICE_NAME,
  type ProblemsInputSchema,
  type SchemaInputSchema,
  type EndpointDefinition
} from './endpoints';

export { MICRO_SERVICE_GROUP, MICRO_SERVICE_NAME } from './endpoints';

interface Endpoint extends EndpointDefinition {
  handle(input: unknown): unknown;
}

/** The endpoints, with the functions that answer them. */
export function microEndpoints(ctx: CoreContext, bridge: ConsciousnessBridge): Endpoint[] {
  const handlers: Record<EndpointDefinition['name'], (input: unknown) => unknown> = {
    status: () => bridge.status(),
    state: () => bridge.snapshotView(),
    problems: (input) => problemViews(bridge, 'open', (input as z.output<typeof ProblemsInputSchema>).limit),
    schema: (input) => {
      const { format, type } = input as z.output<typeof SchemaInputSchema>;
      if (format === 'asyncapi') return buildAsyncApi(ctx.config.bridge);
      return type ? jsonSchemaOf(type) : jsonSchemaFiles();
    }
  };
  return MICRO_ENDPOINTS.map((e) => ({ ...e, handle: handlers[e.name] }));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function schemaText(schema: z.ZodType, io: 'input' | 'output'): string {
  return JSON.stringify(z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }));
}

/** Parses a request body: empty means {}; anything else must be JSON matching the endpoint's input. */
function parseRequest(spec: EndpointDefinition, data: Uint8Array): unknown {
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

export interface MicroServiceDeps {
  /** The engine bridge the endpoints answer from. */
  bridge: ConsciousnessBridge;
}

export function createMicroServiceModule(ctx: CoreContext, deps: MicroServiceDeps): CoreModule {
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
      const { bridge } = deps;
      if (!bridge.active) return;
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
}
