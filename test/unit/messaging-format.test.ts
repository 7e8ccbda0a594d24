import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseDurationOption, parseHeaders } from '../../main/cli/commands/messaging';
import { UsageError } from '../../main/cli/io';
import { PublishInputSchema, SubscribeSubjectSchema } from '../../main/contract';
import { renderTemplate } from '../../main/nats/messages/messaging';
import { contextToConnection } from '../../main/nats/connection/natscli-contexts';
import { previewPayload } from '../../main/nats/messages/payload';

describe('renderTemplate', () => {
  const now = new Date('2026-01-02T03:04:05.678Z');
  it('fills {{count}} and natscli spellings, leaves other braces alone', () => {
    expect(renderTemplate('n={{count}} {{.Count}} {{ .Count }} {{COUNT}}', 7, now)).toBe('n=7 7 7 7');
    expect(renderTemplate('{{.TimeStamp}} {{.Unix}} {{.UnixNano}}', 1, now)).toBe(
      '2026-01-02T03:04:05.678Z 1767323045 1767323045678000000'
    );
    expect(renderTemplate('{{name}} {{.Other}} {count}', 1, now)).toBe('{{name}} {{.Other}} {count}');
    const [a, b] = [renderTemplate('{{.ID}}', 1), renderTemplate('{{.ID}}', 1)];
    expect(a).toMatch(/^[A-Za-z0-9]{22}$/);
    expect(a).not.toBe(b);
  });
});

describe('previewPayload', () => {
  it('shows UTF-8 text as text and anything else as base64', () => {
    expect(previewPayload(Buffer.from('héllo'), 100)).toEqual({
      size: 6,
      payload: 'héllo',
      encoding: 'utf8',
      truncated: false
    });
    expect(previewPayload(new Uint8Array([0xff, 0xfe]), 100)).toEqual({
      size: 2,
      payload: '//4=',
      encoding: 'base64',
      truncated: false
    });
    expect(previewPayload(new Uint8Array([0x41, 0x00, 0x42]), 100).encoding).toBe('base64');
    expect(previewPayload(new Uint8Array(), 100)).toEqual({ size: 0, payload: '', encoding: 'utf8', truncated: false });
  });

  it('truncates at the limit without splitting a character', () => {
    const text = '€'.repeat(10); // 3 bytes each
    const p = previewPayload(Buffer.from(text), 8);
    expect(p).toEqual({ size: 30, payload: '€€', encoding: 'utf8', truncated: true });
    const bin = previewPayload(new Uint8Array(100).fill(0), 10);
    expect(bin).toMatchObject({ size: 100, encoding: 'base64', truncated: true });
    expect(Buffer.from(bin.payload, 'base64')).toHaveLength(10);
  });
});

describe('CLI option parsing', () => {
  it('parses durations; a bare number is seconds', () => {
    const parse = parseDurationOption('--timeout', 10, 300_000);
    expect(parse('500ms')).toBe(500);
    expect(parse('2s')).toBe(2000);
    expect(parse('1.5m')).toBe(90_000);
    expect(parse('5')).toBe(5000);
    for (const bad of ['soon', '-1s', '1d', '5ms', '10m']) expect(() => parse(bad), bad).toThrow(InvalidArgumentError);
  });

  it('parses -H Name:value headers, keeping repeated names in order', () => {
    expect(parseHeaders(['X-A: 1', 'X-A:2', 'Url: http://x:1/'])).toEqual({ 'X-A': ['1', '2'], Url: ['http://x:1/'] });
    expect(parseHeaders(undefined)).toBeUndefined();
    expect(() => parseHeaders(['novalue'])).toThrow(UsageError);
    expect(() => parseHeaders([':x'])).toThrow(UsageError);
    expect(() => parseHeaders(['Trace(id): 1'])).toThrow(/contains "\("/);
    expect(() => parseHeaders(['X A: 1'])).toThrow(/contains a space/);
  });
});

describe('subjects', () => {
  it('accepts wildcards only where NATS does', () => {
    for (const ok of ['a', 'a.b', 'a.*', 'a.>', '*.b.>', '>'])
      expect(SubscribeSubjectSchema.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['', 'a.', '.a', 'a..b', 'a.>.b', 'a*', 'a b', 'a.b*'])
      expect(SubscribeSubjectSchema.safeParse(bad).success, bad).toBe(false);
    expect(PublishInputSchema.safeParse({ subject: 'a.*' }).success).toBe(false);
    expect(PublishInputSchema.safeParse({ subject: 'a.b' }).data).toMatchObject({
      count: 1,
      body: '',
      templates: true,
      bodyEncoding: 'utf8'
    });
  });
});

describe('natscli context mapping', () => {
  it('follows natscli: creds before nkey before user before token; a user without password is a token', () => {
    expect(
      contextToConnection('c', { url: 'a:4222, nats://b:4222', creds: '/x.creds', user: 'u', password: 'p' })
    ).toMatchObject({
      servers: ['nats://a:4222', 'nats://b:4222'],
      auth: { kind: 'creds', credsFile: '/x.creds' },
      notes: [expect.stringMatching(/several credentials/)]
    });
    expect(contextToConnection('c', { user: 'secret-token' }).auth).toEqual({ kind: 'token', token: 'secret-token' });
    expect(contextToConnection('c', { user: 'u', password: 'p' }).auth).toEqual({
      kind: 'user',
      user: 'u',
      password: 'p'
    });
    expect(contextToConnection('c', { token: 't' }).auth).toEqual({ kind: 'token', token: 't' });
    const empty = contextToConnection('c', {
      url: '',
      token: '',
      user: '',
      password: '',
      creds: '',
      nkey: '',
      cert: '',
      key: '',
      ca: ''
    });
    expect(empty).toMatchObject({ servers: [], auth: { kind: 'none' }, tls: null, notes: [] });
  });

  it('maps TLS files and notes what it cannot use', () => {
    const c = contextToConnection('c', {
      ca: '/ca.pem',
      cert: '/c.pem',
      key: '/k.pem',
      nsc: 'nsc://o/a/u',
      socks_proxy: 'x:1'
    });
    expect(c.tls).toEqual({ caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' });
    expect(c.notes.join(' ')).toMatch(/nsc.*socks_proxy/);
    expect(contextToConnection('c', { cert: '/c.pem' }).tls).toBeNull();
  });
});
