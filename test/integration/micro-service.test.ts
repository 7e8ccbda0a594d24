/**
 * The NATS micro service of a running core against a real nats-server: $SRV.PING, $SRV.INFO and
 * $SRV.STATS answer with the service's identity, endpoints (request/response schemas in their
 * metadata) and counters; each endpoint answers with what its response schema says; a bad request
 * is a service error with code 400; the service comes back on a new connection and is gone after
 * the core stops.
 */
import { type Msg, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Svcm } from '@nats-io/services';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BridgeStatusSchema, EngineSnapshotSchema, ProblemSchema } from '../../main/contract/engine';
import { exampleEnvelope } from '../../main/contract/messages';
import { buildAsyncApi, jsonSchemaOf } from '../../main/integration/asyncapi';
import { MICRO_SERVICE_GROUP, MICRO_SERVICE_NAME } from '../../main/integration/micro-service';
import { provision } from '../../main/nats/topology/provisioning';
import { useServerAndCore } from '../harness/server-and-core';
import { waitFor } from '../harness/temp';

const encoder = new TextEncoder();

const FAST_BRIDGE = { active: true, tickIntervalMs: 50, heartbeatIntervalMs: 1000, metricsIntervalMs: 5000 };

async function request(nc: NatsConnection, subject: string, body: unknown = undefined): Promise<Msg> {
  const payload = body === undefined ? new Uint8Array() : encoder.encode(JSON.stringify(body));
  return nc.request(subject, payload, { timeout: 5000 });
}

async function json<T = Record<string, unknown>>(nc: NatsConnection, subject: string, body?: unknown): Promise<T> {
  const reply = await request(nc, subject, body);
  expect(reply.headers?.get('Nats-Service-Error') ?? '', `error from ${subject}`).toBe('');
  return reply.json<T>();
}

describe('micro service synos-control-center on a real nats-server', () => {
  const env = useServerAndCore({ prepare: ({ nc }) => provision(nc), core: { bridge: FAST_BRIDGE } });

  it('answers $SRV.PING, $SRV.INFO and $SRV.STATS, with each endpoint’s request and response schemas in its metadata', async () => {
    const ping = await waitFor(() => json(env.nc, `$SRV.PING.${MICRO_SERVICE_NAME}`), { message: 'PING answered' });
    expect(ping).toMatchObject({ type: 'io.nats.micro.v1.ping_response', name: MICRO_SERVICE_NAME });
    expect(typeof ping.id).toBe('string');

    const info = await json<{
      type: string;
      name: string;
      version: string;
      endpoints: Array<{ name: string; subject: string; metadata: Record<string, string> }>;
    }>(env.nc, `$SRV.INFO.${MICRO_SERVICE_NAME}`);
    expect(info.type).toBe('io.nats.micro.v1.info_response');
    expect(info.endpoints.map((e) => [e.name, e.subject])).toEqual([
      ['status', `${MICRO_SERVICE_GROUP}.status`],
      ['state', `${MICRO_SERVICE_GROUP}.state`],
      ['problems', `${MICRO_SERVICE_GROUP}.problems`],
      ['schema', `${MICRO_SERVICE_GROUP}.schema`]
    ]);
    for (const e of info.endpoints) {
      const req = JSON.parse(e.metadata.request_schema!) as Record<string, unknown>;
      const res = JSON.parse(e.metadata.response_schema!) as Record<string, unknown>;
      expect(req.$schema, e.name).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(res.$schema, e.name).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(e.metadata.description, e.name).toBeTruthy();
    }
    const status = info.endpoints.find((e) => e.name === 'status')!;
    expect(JSON.parse(status.metadata.response_schema!)).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['running', 'consumers', 'inbound', 'outbound'])
    });
    const problems = info.endpoints.find((e) => e.name === 'problems')!;
    expect(JSON.parse(problems.metadata.request_schema!)).toMatchObject({ properties: { limit: { type: 'integer' } } });

    // The official client finds it too (as `nats micro ls` does).
    const found: string[] = [];
    for await (const identity of await new Svcm(env.nc as never).client().ping(MICRO_SERVICE_NAME))
      found.push(identity.name);
    expect(found).toEqual([MICRO_SERVICE_NAME]);

    await json(env.nc, `${MICRO_SERVICE_GROUP}.status`);
    const stats = await json<{ type: string; endpoints: Array<{ name: string; num_requests: number }> }>(
      env.nc,
      `$SRV.STATS.${MICRO_SERVICE_NAME}`
    );
    expect(stats.type).toBe('io.nats.micro.v1.stats_response');
    expect(stats.endpoints.find((e) => e.name === 'status')!.num_requests).toBeGreaterThanOrEqual(1);
  });

  it('status, state, problems and schema answer with what their response schemas say', async () => {
    const status = BridgeStatusSchema.parse(await json(env.nc, `${MICRO_SERVICE_GROUP}.status`));
    expect(status.running).toBe(true);

    // A failing service opens a problem; the problems endpoint shows it.
    const js = jetstream(env.nc);
    const failing = {
      ...exampleEnvelope('service.health.update', 0),
      id: `micro-${Date.now()}`,
      time: new Date().toISOString()
    };
    await js.publish('orchestrator.service.health', encoder.encode(JSON.stringify(failing)), { msgID: failing.id });
    const open = await waitFor(
      async () => {
        const list = z.array(ProblemSchema).parse(await json(env.nc, `${MICRO_SERVICE_GROUP}.problems`, { limit: 10 }));
        return list.length > 0 ? list : null;
      },
      { message: 'an open problem from the micro service', timeoutMs: 20_000 }
    );
    expect(open[0]).toMatchObject({ kind: 'service_unhealthy', target: 'payments', status: 'open' });

    const state = EngineSnapshotSchema.parse(await json(env.nc, `${MICRO_SERVICE_GROUP}.state`));
    expect(state.state.open_problems).toBeGreaterThanOrEqual(1);

    expect(await json(env.nc, `${MICRO_SERVICE_GROUP}.schema`)).toEqual(
      JSON.parse(JSON.stringify(buildAsyncApi(env.core.context.config.bridge)))
    );
    expect(
      await json(env.nc, `${MICRO_SERVICE_GROUP}.schema`, { format: 'jsonschema', type: 'service.health.update' })
    ).toEqual(jsonSchemaOf('service.health.update'));
  });

  it('a bad request is a service error with code 400 and counts as an error in STATS', async () => {
    const bad = await request(env.nc, `${MICRO_SERVICE_GROUP}.problems`, { limit: 'many' });
    expect(bad.headers?.get('Nats-Service-Error-Code')).toBe('400');
    expect(bad.headers?.get('Nats-Service-Error')).toMatch(/^INVALID_INPUT: limit: /);
    const notJson = await request(env.nc, `${MICRO_SERVICE_GROUP}.schema`);
    expect(notJson.headers?.get('Nats-Service-Error') ?? '').toBe('');
    const garbage = await env.nc.request(`${MICRO_SERVICE_GROUP}.state`, encoder.encode('{not json'), {
      timeout: 5000
    });
    expect(garbage.headers?.get('Nats-Service-Error-Code')).toBe('400');
    const stats = await json<{ endpoints: Array<{ name: string; num_errors: number }> }>(
      env.nc,
      `$SRV.STATS.${MICRO_SERVICE_NAME}`
    );
    expect(stats.endpoints.find((e) => e.name === 'problems')!.num_errors).toBeGreaterThanOrEqual(1);
    expect(stats.endpoints.find((e) => e.name === 'state')!.num_errors).toBeGreaterThanOrEqual(1);
  });

  it('registers again on a new connection, answers after a server restart, and is gone after the core stops', async () => {
    const before = await json<{ id: string }>(env.nc, `$SRV.PING.${MICRO_SERVICE_NAME}`);
    await env.core.api.invoke('connection.disconnect', {});
    await expect(request(env.nc, `$SRV.PING.${MICRO_SERVICE_NAME}`)).rejects.toThrow();
    expect((await env.core.api.invoke('connection.connect', {})).state).toBe('connected');
    const after = await waitFor(() => json<{ id: string }>(env.nc, `$SRV.PING.${MICRO_SERVICE_NAME}`), {
      message: 'PING answered after the new connection'
    });
    expect(after.id).not.toBe(before.id);
    await json(env.nc, `${MICRO_SERVICE_GROUP}.status`);

    // A server restart: the client reconnects by itself and the service answers again.
    await env.server.restart();
    const back = await waitFor(() => json<{ id: string }>(env.nc, `$SRV.PING.${MICRO_SERVICE_NAME}`), {
      timeoutMs: 30_000,
      message: 'PING answered after the server restarted'
    });
    expect(back.id).toBe(after.id);
    await json(env.nc, `${MICRO_SERVICE_GROUP}.state`);

    await env.core.stop();
    await expect(request(env.nc, `$SRV.PING.${MICRO_SERVICE_NAME}`)).rejects.toThrow(/no responders|503/i);
  });
});
