import { describe, expect, it } from 'vitest';
import {
  DEFAULT_INBOUND_MAPPING,
  DEFAULT_OUTBOUND_MAPPING,
  ENGINE_INPUT_TYPES,
  ENGINE_OUTPUT_TYPES,
  EXAMPLES,
  MESSAGE_SCHEMAS,
  MESSAGE_TYPES,
  alertSubject,
  exampleEnvelope,
  parseMessageData,
  validateEnvelope,
  type MessageType
} from '../../main/contract/messages';

const encoder = new TextEncoder();
const bytes = (value: unknown) => encoder.encode(typeof value === 'string' ? value : JSON.stringify(value));

describe('message schemas and examples', () => {
  it('has at least one example per type, and every example validates as bytes, string and object', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual([...MESSAGE_TYPES].sort());
    for (const type of MESSAGE_TYPES) {
      const examples = EXAMPLES[type] as readonly unknown[];
      expect(examples.length, type).toBeGreaterThan(0);
      examples.forEach((_, i) => {
        const env = exampleEnvelope(type as MessageType, i);
        for (const input of [env, JSON.stringify(env), bytes(env)]) {
          const result = validateEnvelope(input);
          expect(result.ok, `${type}[${i}]: ${JSON.stringify(result)}`).toBe(true);
          if (result.ok) expect(result.type).toBe(type);
        }
      });
    }
  });

  it('maps every engine output to an orchestrator subject and every inbound subject to an engine input (docs/architecture.md §2)', () => {
    expect(Object.keys(DEFAULT_OUTBOUND_MAPPING).sort()).toEqual([...ENGINE_OUTPUT_TYPES].sort());
    expect(DEFAULT_OUTBOUND_MAPPING['consciousness.decision_made']).toBe('orchestrator.consciousness.decision');
    expect(DEFAULT_INBOUND_MAPPING).toEqual({
      'orchestrator.service.started': 'service.lifecycle.started',
      'orchestrator.service.stopped': 'service.lifecycle.stopped',
      'orchestrator.service.health': 'service.health.update',
      'orchestrator.system.resource': 'system.resource.update',
      'orchestrator.user.request': 'user.request.received'
    });
    for (const t of ENGINE_INPUT_TYPES) expect(MESSAGE_SCHEMAS[t]).toBeDefined();
    expect(alertSubject('CRITICAL', 'nats_disconnected')).toBe('alert.critical.nats_disconnected');
  });
});

describe('validateEnvelope reasons', () => {
  const good = exampleEnvelope('service.health.update');

  it('rejects oversized messages before parsing', () => {
    const r = validateEnvelope(new Uint8Array(300 * 1024).fill(0x20), { subject: 'orchestrator.service.health' });
    expect(r).toMatchObject({ ok: false, reason: 'oversized' });
    expect(!r.ok && r.message).toBe(
      'message on orchestrator.service.health is 307200 bytes, more than the 262144-byte limit'
    );
    expect(validateEnvelope(bytes(good), { maxBytes: 10 })).toMatchObject({ ok: false, reason: 'oversized' });
  });

  it('rejects binary: control bytes or invalid UTF-8', () => {
    expect(validateEnvelope(new Uint8Array([0x7b, 0x00, 0x7d]))).toMatchObject({ ok: false, reason: 'binary' });
    expect(validateEnvelope(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).toMatchObject({
      ok: false,
      reason: 'binary',
      message: expect.stringContaining('not valid UTF-8')
    });
  });

  it('rejects text that is not JSON, and empty messages', () => {
    const r = validateEnvelope(bytes('hello {'));
    expect(r).toMatchObject({ ok: false, reason: 'not_json' });
    expect(!r.ok && r.message).toMatch(/^message is not JSON \(/);
    expect(validateEnvelope(new Uint8Array())).toMatchObject({
      ok: false,
      reason: 'not_json',
      message: expect.stringContaining('empty')
    });
  });

  it('rejects JSON that is not a CloudEvents envelope, naming the fields', () => {
    expect(validateEnvelope(bytes([1, 2]))).toMatchObject({
      ok: false,
      reason: 'not_envelope',
      message: 'message is an array, not a CloudEvents envelope object'
    });
    expect(validateEnvelope(bytes('null'))).toMatchObject({ ok: false, reason: 'not_envelope' });
    const r = validateEnvelope({ ...good, specversion: '0.3', time: 'yesterday' });
    expect(r).toMatchObject({ ok: false, reason: 'not_envelope' });
    if (!r.ok) {
      expect(r.issues.map((i) => i.path).sort()).toEqual(['specversion', 'time']);
      expect(r.message).toContain('specversion:');
    }
    const { id: _id, ...noId } = good;
    expect(validateEnvelope(noId)).toMatchObject({
      ok: false,
      reason: 'not_envelope',
      issues: [expect.objectContaining({ path: 'id' })]
    });
  });

  it('rejects unknown types and types the subject does not carry', () => {
    expect(validateEnvelope({ ...good, type: 'weather.report' })).toMatchObject({ ok: false, reason: 'unknown_type' });
    expect(validateEnvelope(good, { allowedTypes: ['security.threat.detected'] })).toMatchObject({
      ok: false,
      reason: 'unknown_type'
    });
    const r = validateEnvelope(good, { expectedType: 'user.request.received', subject: 'orchestrator.user.request' });
    expect(r).toMatchObject({ ok: false, reason: 'wrong_type' });
    expect(!r.ok && r.message).toBe(
      'message on orchestrator.user.request has type "service.health.update", but this subject carries "user.request.received"'
    );
  });

  it('rejects data that fails its schema with the path of each issue', () => {
    const r = validateEnvelope({ ...good, data: { service: '', status: 'on fire' } });
    expect(r).toMatchObject({ ok: false, reason: 'invalid_data' });
    if (!r.ok) {
      expect(r.issues.map((i) => i.path).sort()).toEqual(['data.service', 'data.status']);
      expect(r.message.startsWith('service.health.update: ')).toBe(true);
    }
    expect(
      validateEnvelope({ ...exampleEnvelope('system.resource.update'), data: { cpu: 1.5, memory: 0.2 } })
    ).toMatchObject({
      ok: false,
      reason: 'invalid_data',
      issues: [expect.objectContaining({ path: 'data.cpu' })]
    });
    expect(parseMessageData('user.request.received', { request_id: 'r' })).toMatchObject({ ok: false });
  });

  it('accepts and rejects the same envelopes on its fast path as the zod schema', () => {
    const cases: Array<[Record<string, unknown>, boolean]> = [
      [{ ...good, time: '2026-01-01T10:00:00+01:00' }, true],
      [{ ...good, time: '2026-01-01T10:00:00.123456Z' }, true],
      [{ ...good, time: '2026-13-01T10:00:00Z' }, false],
      [{ ...good, time: '2026-01-01 10:00:00' }, false],
      [{ ...good, priority: 'urgent' }, false],
      [{ ...good, priority: 'critical', correlationid: 'c-1' }, true],
      [{ ...good, correlationid: '' }, false],
      [{ ...good, id: '' }, false],
      [{ ...good, datacontenttype: 'text/plain' }, false]
    ];
    for (const [env, ok] of cases) expect(validateEnvelope(env).ok, JSON.stringify(env)).toBe(ok);
    // unknown extension attributes are tolerated and not passed on
    const extra = validateEnvelope({ ...good, traceparent: '00-abc' });
    expect(extra.ok && 'traceparent' in extra.envelope).toBe(false);
  });

  it('never throws on odd input', () => {
    for (const odd of [undefined, 42, 'x', Symbol.iterator, () => 1, new Uint8Array([0xef, 0xbb, 0xbf])]) {
      expect(() => validateEnvelope(odd)).not.toThrow();
      expect(validateEnvelope(odd).ok).toBe(false);
    }
  });
});
