import { describe, expect, it } from 'vitest';
import { ContractError } from '../../main/contract';
import { parseServerDuration, serverHeaderNotes } from '../../main/nats/messages/message-format';
import {
  featureTable,
  parseServerVersion,
  requireFeature,
  supports,
  unsupportedMessage,
  userMetadata,
  versionAtLeast
} from '../../main/nats/connection/features';

describe('server features by version and JetStream API level', () => {
  it('reads the versions nats-server and Debian packages report', () => {
    expect(parseServerVersion('2.9.10')).toEqual([2, 9, 10]);
    expect(parseServerVersion('v2.11.0-RC.1')).toEqual([2, 11, 0]);
    expect(parseServerVersion('2.10.27-1+b2')).toEqual([2, 10, 27]);
    expect(parseServerVersion('2.12')).toEqual([2, 12, 0]);
    expect(parseServerVersion('')).toBeNull();
    expect(parseServerVersion(null)).toBeNull();
    // 2.10 is newer than 2.9 (numbers, not strings), and a patch level counts.
    expect(versionAtLeast('2.10.0', '2.9.10')).toBe(true);
    expect(versionAtLeast('2.9.10', '2.10.0')).toBe(false);
    expect(versionAtLeast('2.11.0', '2.11.0')).toBe(true);
    expect(versionAtLeast('2.11.0', '2.11.1')).toBe(false);
    expect(versionAtLeast('garbage', '2.9.0')).toBe(false);
  });

  it('gates each feature on the first release that has it', () => {
    const v29 = { version: '2.9.10', apiLevel: null };
    const v210 = { version: '2.10.27', apiLevel: null };
    const v211 = { version: '2.11.4', apiLevel: 1 };
    const v215 = { version: '2.15.1', apiLevel: 4 };
    expect(supports(v29, 'metadata')).toBe(false);
    expect(supports(v210, 'metadata')).toBe(true);
    expect(supports(v210, 'multiFilter')).toBe(true);
    expect(supports(v210, 'consumerPause')).toBe(false);
    expect(supports(v211, 'consumerPause')).toBe(true);
    expect(supports(v211, 'messageTtl')).toBe(true);
    expect(supports(v211, 'messageCounters')).toBe(false);
    expect(supports(v215, 'messageCounters')).toBe(true);
    expect(supports(v215, 'atomicBatch')).toBe(true);
    // A server whose API level is below the feature's lacks it whatever its version says.
    expect(supports({ version: '2.12.0', apiLevel: 1 }, 'atomicBatch')).toBe(false);
    expect(featureTable(v29).every((f) => !f.available)).toBe(true);
    expect(featureTable(v215).every((f) => f.available)).toBe(true);
  });

  it('says which server is needed and which one is connected', () => {
    const v29 = { version: '2.9.10', apiLevel: null };
    expect(unsupportedMessage(v29, 'consumerPause')).toBe(
      'consumer pause needs nats-server ≥ 2.11; connected to 2.9.10'
    );
    expect(unsupportedMessage({ version: '2.12.0', apiLevel: 1 }, 'atomicBatch')).toBe(
      'atomic batch publish needs nats-server ≥ 2.12; connected to 2.12.0 (JetStream API level 1, needs 2)'
    );
    let thrown: unknown;
    try {
      requireFeature(v29, 'messageTtl');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ContractError);
    expect((thrown as ContractError).toShape()).toEqual({
      code: 'UNAVAILABLE',
      message: 'per-message TTL needs nats-server ≥ 2.11; connected to 2.9.10',
      details: { feature: 'messageTtl', needs: '2.11.0', server: '2.9.10', apiLevel: null }
    });
    expect(() => requireFeature({ version: '2.11.0', apiLevel: 1 }, 'messageTtl')).not.toThrow();
  });

  it("leaves the server's own _nats.* metadata out of what is shown and compared", () => {
    expect(userMetadata(undefined)).toBeNull();
    expect(userMetadata({ '_nats.req.level': '0', '_nats.ver': '2.12.1', '_nats.level': '2' })).toBeNull();
    expect(userMetadata({ '_nats.ver': '2.12.1', owner: 'synos' })).toEqual({ owner: 'synos' });
  });
});

describe('what the browser says about the headers newer servers give a meaning to', () => {
  const enc = new TextEncoder();
  const time = '2026-12-06T12:00:00.000Z';

  it('reads Nats-TTL as nats-server does (seconds or a Go duration) and says when it expires', () => {
    expect(parseServerDuration('30')).toBe(30_000);
    expect(parseServerDuration('1h30m')).toBe(5_400_000);
    expect(parseServerDuration('500ms')).toBe(500);
    expect(parseServerDuration('soon')).toBeNull();
    expect(serverHeaderNotes({ 'Nats-TTL': ['90s'] }, time, new Uint8Array())).toEqual([
      'TTL 90s: expires 2026-12-06T12:01:30.000Z'
    ]);
    expect(serverHeaderNotes({ 'Nats-TTL': ['never'] }, time, new Uint8Array())).toEqual([
      'TTL never: kept past the stream max age'
    ]);
    expect(serverHeaderNotes({ 'Nats-TTL': ['later'] }, time, new Uint8Array())).toEqual([
      'TTL later (not a duration the server accepts)'
    ]);
  });

  it('shows counters, schedules and server markers, and nothing for ordinary headers', () => {
    expect(serverHeaderNotes({ 'Nats-Incr': ['-2'] }, time, enc.encode('{"val":"40"}'))).toEqual([
      'counter: -2, total 40'
    ]);
    expect(serverHeaderNotes({ 'Nats-Incr': ['3'] }, time, enc.encode('not json'))).toEqual([
      'counter: +3, total (unreadable)'
    ]);
    expect(
      serverHeaderNotes(
        { 'Nats-Schedule': ['@every 5m'], 'Nats-Schedule-Target': ['jobs.run'] },
        time,
        new Uint8Array()
      )
    ).toEqual(['scheduled @every 5m → jobs.run']);
    expect(serverHeaderNotes({ 'Nats-Marker-Reason': ['MaxAge'] }, time, new Uint8Array())).toEqual([
      'marker written by the server: MaxAge'
    ]);
    expect(serverHeaderNotes({ 'Nats-Msg-Id': ['x'] }, time, new Uint8Array())).toEqual([]);
    expect(serverHeaderNotes(null, time, new Uint8Array())).toEqual([]);
  });
});
