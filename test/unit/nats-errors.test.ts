import { AuthorizationError } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { classifyNatsError } from '../../main/nats/connection/errors';

describe('classifyNatsError', () => {
  it('tells auth, TLS and unreachable apart', () => {
    expect(classifyNatsError(new AuthorizationError('Authorization Violation')).code).toBe('NATS_AUTH');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(classifyNatsError(refused, ['nats://127.0.0.1:1'])).toMatchObject({
      code: 'NATS_UNREACHABLE',
      message: expect.stringContaining('nats://127.0.0.1:1')
    });
    const tls = Object.assign(new Error('self-signed certificate in certificate chain'), {
      code: 'SELF_SIGNED_CERT_IN_CHAIN'
    });
    expect(classifyNatsError(tls).code).toBe('NATS_TLS');
    expect(classifyNatsError(new Error('something odd')).code).toBe('NATS_ERROR');
  });

  it('reads a reset right after a TLS handshake as a TLS rejection, only when TLS is in use', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(classifyNatsError(reset, [], { tls: true })).toMatchObject({
      code: 'NATS_TLS',
      hint: expect.stringContaining('client certificate')
    });
    expect(classifyNatsError(reset, [], { tls: false }).code).toBe('NATS_UNREACHABLE');
  });

  it('always gives a next step', () => {
    for (const e of [new AuthorizationError('x'), new Error('ECONNREFUSED'), new Error('certificate has expired')]) {
      expect(classifyNatsError(e).hint.length).toBeGreaterThan(10);
    }
  });
});
