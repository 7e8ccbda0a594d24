/**
 * The integration contract's documents: the committed copies (docs/asyncapi.yaml, docs/schemas/)
 * equal what the generator makes from the zod schemas now (stale copies fail CI), the AsyncAPI
 * document passes @asyncapi/parser without errors, and every example in it validates with ajv
 * against its type's JSON Schema (draft 2020-12) and with zod.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { MESSAGE_TYPES, validateEnvelope, type MessageType } from '../../main/contract/messages';
import {
  asyncApiYaml,
  buildAsyncApi,
  channelSpecs,
  jsonSchemaFiles,
  jsonSchemaText,
  messageSchemaOf
} from '../../main/integration/asyncapi';
import { desiredStreams } from '../../main/nats/topology/topology';
import { MICRO_ENDPOINTS } from '../../main/integration/endpoints';

const DOCS = path.resolve(__dirname, '../../docs');
const REGENERATE = 'run `npm run docs:contract` and commit docs/';

function ajv() {
  const a = new Ajv2020({ strict: true, allErrors: true });
  addFormats(a);
  return a;
}

interface DocExample {
  name: string;
  headers: Record<string, string>;
  payload: { type: string; id: string };
}

// @asyncapi/parser takes seconds per document on a busy machine.
const PARSE_TIMEOUT_MS = 60_000;

describe('generated contract documents', () => {
  it('docs/asyncapi.yaml is up to date with the zod schemas', () => {
    const committed = fs.readFileSync(path.join(DOCS, 'asyncapi.yaml'), 'utf8');
    expect(committed === asyncApiYaml(), `docs/asyncapi.yaml is stale: ${REGENERATE}`).toBe(true);
  });

  it('docs/schemas/ holds exactly the generated JSON Schemas, up to date', () => {
    const files = jsonSchemaFiles();
    const committed = fs.readdirSync(path.join(DOCS, 'schemas')).sort();
    expect(committed, `docs/schemas/ has other files than generated: ${REGENERATE}`).toEqual(Object.keys(files).sort());
    for (const [name, schema] of Object.entries(files)) {
      const text = fs.readFileSync(path.join(DOCS, 'schemas', name), 'utf8');
      expect(text === jsonSchemaText(schema), `docs/schemas/${name} is stale: ${REGENERATE}`).toBe(true);
    }
  });

  it(
    'the AsyncAPI document is valid for @asyncapi/parser (no error diagnostics)',
    async () => {
      const parser = new Parser();
      const { document, diagnostics } = await parser.parse(asyncApiYaml());
      const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
      expect(errors.map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
      expect(document).toBeDefined();
      expect(document!.version()).toBe('3.0.0');
      // Every message type is described, every channel has its operation.
      const messageNames = document!
        .components()
        .messages()
        .all()
        .map((m) => m.id());
      expect(messageNames.sort()).toEqual([...MESSAGE_TYPES].sort());
      // Event channels, plus each micro service endpoint with its reply channel.
      expect(document!.channels().all().length).toBe(channelSpecs().length + 2 * MICRO_ENDPOINTS.length);
      expect(document!.operations().all().length).toBe(channelSpecs().length + MICRO_ENDPOINTS.length);
      const status = document!.operations().get('receive.synos.control_center.status');
      expect(status?.reply()?.messages().all().length).toBe(1);
      expect(status?.reply()?.channel()?.address()).toBeNull();
      const receive = document!
        .operations()
        .filterByReceive()
        .map((o) => o.channels().all()[0]!.address());
      expect(receive).toContain('orchestrator.service.health');
      expect(receive).toContain('security.threat.detected');
      const send = document!
        .operations()
        .filterBySend()
        .map((o) => o.channels().all()[0]!.address());
      expect(send).toContain('orchestrator.consciousness.decision');
      expect(send).toContain('consciousness.state_change');
    },
    PARSE_TIMEOUT_MS
  );

  it(
    'a broken document is reported by the parser (the check above can fail)',
    async () => {
      const doc = buildAsyncApi() as { operations: Record<string, { channel: { $ref: string } }> };
      const first = Object.values(doc.operations)[0]!;
      first.channel.$ref = '#/channels/no-such-channel';
      const { diagnostics } = await new Parser().parse(YAML.stringify(doc));
      expect(diagnostics.some((d) => d.severity === DiagnosticSeverity.Error)).toBe(true);
    },
    PARSE_TIMEOUT_MS
  );

  it('every channel names an existing stream (or none), and the Syn_OS streams capture every subject here', () => {
    const names = new Set(desiredStreams().map((s) => s.name));
    for (const c of channelSpecs()) {
      expect(c.stream, c.address).not.toBeNull();
      expect(names.has(c.stream!), c.address).toBe(true);
    }
  });

  it('every example in the document validates with ajv against its JSON Schema and with zod', () => {
    const doc = YAML.parse(asyncApiYaml()) as {
      components: { messages: Record<string, { examples: DocExample[] }> };
    };
    const a = ajv();
    const files = jsonSchemaFiles();
    const validators = new Map(MESSAGE_TYPES.map((t) => [t, a.compile(files[`${t}.schema.json`]!)]));
    const envelope = a.compile(files['envelope.schema.json']!);
    let checked = 0;
    for (const [type, message] of Object.entries(doc.components.messages)) {
      expect(message.examples.length, type).toBeGreaterThan(0);
      for (const example of message.examples) {
        const validate = validators.get(type as MessageType)!;
        expect(validate(example.payload), `${example.name}: ${a.errorsText(validate.errors)}`).toBe(true);
        expect(envelope(example.payload), example.name).toBe(true);
        expect(messageSchemaOf(type as MessageType).safeParse(example.payload).success, example.name).toBe(true);
        const verdict = validateEnvelope(JSON.stringify(example.payload));
        expect(verdict.ok, `${example.name}: ${JSON.stringify(verdict)}`).toBe(true);
        expect(example.headers['Nats-Msg-Id']).toBe(example.payload.id);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(MESSAGE_TYPES.length);
  });

  it('ajv and zod agree on invalid messages: the JSON Schemas are not looser than the bridge', () => {
    const a = ajv();
    const files = jsonSchemaFiles();
    const health = a.compile(files['service.health.update.schema.json']!);
    const good = {
      specversion: '1.0',
      id: 'x-1',
      source: 'test',
      type: 'service.health.update',
      time: '2026-01-01T00:00:00Z',
      datacontenttype: 'application/json',
      data: { service: 'payments', status: 'unhealthy' }
    };
    const bad: Array<[string, unknown]> = [
      ['status outside the enum', { ...good, data: { service: 'payments', status: 'on fire' } }],
      ['missing service', { ...good, data: { status: 'healthy' } }],
      ['wrong specversion', { ...good, specversion: '0.3' }],
      ['time without offset', { ...good, time: '2026-01-01T00:00:00' }],
      ['other type', { ...good, type: 'service.lifecycle.started' }],
      ['no id', { ...good, id: '' }]
    ];
    expect(health(good)).toBe(true);
    expect(validateEnvelope(good).ok).toBe(true);
    for (const [what, message] of bad) {
      expect(health(message), what).toBe(false);
      expect(messageSchemaOf('service.health.update').safeParse(message).success, what).toBe(false);
    }
    // Extension attributes are CloudEvents-legal: both accept them.
    const extended = { ...good, traceparent: '00-abc-def-01' };
    expect(health(extended)).toBe(true);
    expect(validateEnvelope(extended).ok).toBe(true);
  });
});
