import { describe, expect, it } from 'vitest';
import { AuthThrottle } from '../../main/transport/auth-throttle';
import {
  allowedHostNames,
  hostHeaderName,
  isLoopbackHost,
  normaliseHostName,
  originsFor
} from '../../main/transport/web-security';

describe('web boundary checks', () => {
  it('knows loopback bind addresses from network ones', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LocalHost', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of [
      '0.0.0.0',
      '::',
      '10.0.0.5',
      '192.168.1.2',
      'example.com',
      '::ffff:10.0.0.1',
      'localhost.evil.com'
    ]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('reads the name of a Host header and refuses what is not a host', () => {
    expect(hostHeaderName('127.0.0.1:8080')).toBe('127.0.0.1');
    expect(hostHeaderName('LOCALHOST.')).toBe('localhost');
    expect(hostHeaderName('[::1]:99')).toBe('[::1]');
    expect(hostHeaderName('Evil.Example:80')).toBe('evil.example');
    for (const bad of [undefined, '', ' ', 'a b', 'a/b', 'user@host', 'host?x', '[::1', 'h:99999', '%zz']) {
      expect(hostHeaderName(bad), String(bad)).toBeNull();
    }
  });

  it('answers to loopback names, the bound host and given names only', () => {
    const names = allowedHostNames('10.0.0.5', ['synos.example.org', 'bad name']);
    expect([...names].sort()).toEqual(['10.0.0.5', '127.0.0.1', '[::1]', 'localhost', 'synos.example.org'].sort());
    expect(normaliseHostName('::1')).toBe('[::1]');
    expect(originsFor(['localhost'], 443, true)).toEqual(new Set(['https://localhost:443', 'https://localhost']));
    expect(originsFor(['localhost'], 8080, false)).toEqual(new Set(['http://localhost:8080']));
  });
});

describe('AuthThrottle', () => {
  it('blocks a client after maxFailures in a window, until the window ends, and only that client', () => {
    let now = 1_000;
    const throttle = new AuthThrottle({ maxFailures: 3, windowMs: 10_000, now: () => now });
    for (let i = 0; i < 3; i += 1) {
      expect(throttle.blockedFor('a')).toBe(0);
      throttle.fail('a');
    }
    expect(throttle.blockedFor('a')).toBe(10_000);
    expect(throttle.blockedFor('b')).toBe(0);
    now += 9_999;
    expect(throttle.blockedFor('a')).toBe(1);
    now += 1;
    expect(throttle.blockedFor('a')).toBe(0);
    throttle.fail('a');
    expect(throttle.blockedFor('a')).toBe(0);
  });

  it('remembers a bounded number of clients', () => {
    const throttle = new AuthThrottle({ maxFailures: 1, windowMs: 10_000, maxClients: 100, now: () => 0 });
    for (let i = 0; i < 1_000; i += 1) throttle.fail(`client-${i}`);
    expect(throttle.trackedClients).toBeLessThanOrEqual(100);
    expect(throttle.blockedFor('client-999')).toBeGreaterThan(0);
  });
});
