import { describe, expect, it } from 'vitest';
import {
  mapSubject,
  parseNdjson,
  parseSubjectRule,
  payloadAsText,
  toCsvRow,
  toNdjsonLine,
  type RecordedMessage
} from '../../main/recordings/format';

const text: RecordedMessage = {
  subject: 'orchestrator.service.health',
  headers: { 'Nats-Msg-Id': ['a1'] },
  payload: new TextEncoder().encode('{"ok":true}'),
  time: Date.parse('2026-01-02T03:04:05.678Z'),
  seq: 42
};
const binary: RecordedMessage = {
  subject: 'metrics.raw',
  headers: null,
  payload: new Uint8Array([0, 1, 2, 255]),
  time: Date.parse('2026-01-02T03:04:06Z'),
  seq: null
};

describe('NDJSON', () => {
  it('writes text payloads as UTF-8 and binary ones as base64, and reads both back', () => {
    const file = [toNdjsonLine(text), toNdjsonLine(binary)].join('\n') + '\n';
    expect(JSON.parse(file.split('\n')[0] ?? '')).toEqual({
      subject: text.subject,
      headers: text.headers,
      payload: '{"ok":true}',
      encoding: 'utf8',
      time: '2026-01-02T03:04:05.678Z',
      seq: 42
    });
    expect(JSON.parse(file.split('\n')[1] ?? '')).toMatchObject({ encoding: 'base64', payload: 'AAEC/w==', seq: null });
    const parsed = parseNdjson(file);
    expect(parsed.errors).toEqual([]);
    expect(parsed.messages).toEqual([text, binary]);
  });

  it('reports every malformed line by its number', () => {
    const lines = [
      toNdjsonLine(text),
      '{"subject": "a.b", "payload": "x"',
      '',
      JSON.stringify({ subject: 'bad subject', payload: 'x', time: '2026-01-01T00:00:00Z' }),
      JSON.stringify({ subject: 'a.*', payload: 'x', time: 'yesterday' }),
      JSON.stringify({ subject: 'a.b', payload: '!!!', encoding: 'base64', time: '2026-01-01T00:00:00Z' }),
      JSON.stringify({ subject: 'a.b', payload: 'x', time: '2026-01-01T00:00:00Z', extra: 1 }),
      toNdjsonLine(binary)
    ];
    const parsed = parseNdjson(lines.join('\n'));
    expect(parsed.errors.map((e) => e.line)).toEqual([2, 4, 5, 6, 7]);
    expect(parsed.errors[0]?.message).toMatch(/not JSON/);
    expect(parsed.errors[1]?.message).toMatch(/subject/);
    expect(parsed.errors[2]?.message).toMatch(/time/);
    expect(parsed.errors[3]?.message).toMatch(/base64/);
    expect(parsed.messages).toHaveLength(2);
  });

  it('detects readable text', () => {
    expect(payloadAsText(new TextEncoder().encode('héllo\tworld\n'))).toBe('héllo\tworld\n');
    expect(payloadAsText(new Uint8Array([0xc3, 0x28]))).toBeNull();
    expect(payloadAsText(new Uint8Array([0x41, 0x00]))).toBeNull();
  });
});

describe('CSV', () => {
  it('quotes cells with commas, quotes and newlines', () => {
    const row = toCsvRow({ ...text, payload: new TextEncoder().encode('a,"b"\nc') });
    expect(row).toBe(
      '42,2026-01-02T03:04:05.678Z,orchestrator.service.health,utf8,"a,""b""\nc","{""Nats-Msg-Id"":[""a1""]}"'
    );
    expect(toCsvRow(binary)).toBe(',2026-01-02T03:04:06.000Z,metrics.raw,base64,AAEC/w==,');
  });
});

describe('subject map', () => {
  it('rewrites with literal, * and > tokens and leaves others alone', () => {
    const rules = [
      parseSubjectRule('orchestrator.>=replay.orchestrator.>'),
      parseSubjectRule('health.*.cpu=h.*'),
      parseSubjectRule('a.b=c.d')
    ];
    expect(mapSubject('orchestrator.service.health', rules)).toBe('replay.orchestrator.service.health');
    expect(mapSubject('health.node1.cpu', rules)).toBe('h.node1');
    expect(mapSubject('health.node1.mem', rules)).toBe('health.node1.mem');
    expect(mapSubject('a.b', rules)).toBe('c.d');
    expect(mapSubject('a.b.c', rules)).toBe('a.b.c');
    expect(mapSubject('orchestrator', rules)).toBe('orchestrator');
  });

  it('rejects malformed rules with a hint', () => {
    expect(() => parseSubjectRule('nothing')).toThrow(/FROM=TO/);
    expect(() => parseSubjectRule('a.>.b=c')).toThrow(/'>' only at the end/);
    expect(() => parseSubjectRule('a.b=c.*')).toThrow(/more '\*'/);
    expect(() => parseSubjectRule('a.*=c.>')).toThrow(/does not end with '>'/);
  });
});
