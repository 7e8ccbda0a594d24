/**
 * engine.no_leader: fires when no core has held the engine lease for longer than 2× its TTL; no
 * data (never fires) in a core that does not take part in the lease.
 */
import { describe, expect, it } from 'vitest';
import { ruleDefinition } from '../../main/monitoring/alert-rules';
import type { AlertInputs } from '../../main/monitoring/inputs';

function inputs(leadership: AlertInputs['leadership']): AlertInputs {
  return {
    now: Date.UTC(2026, 0, 1),
    connection: { state: 'connected', offlineSince: null },
    outbox: null,
    breakers: null,
    emergency: null,
    consumers: null,
    streams: null,
    publishP99Seconds: null,
    invalidPerMinute: null,
    engine: null,
    servers: null,
    leadership
  };
}

const rule = ruleDefinition('engine.no_leader');

describe('engine.no_leader alert rule', () => {
  it('defaults to twice the TTL, ERROR', () => {
    expect(rule.defaults).toMatchObject({ threshold: 2, severity: 'ERROR', enabled: true });
  });

  it('is over only past 2× TTL without a leader, and names the time and the TTL', () => {
    const at = (seconds: number) => rule.evaluate(inputs({ leaderlessSeconds: seconds, ttlSeconds: 5 }), rule.defaults);
    expect(at(0)?.[0]?.over).toBe(false);
    expect(at(10)?.[0]?.over).toBe(false);
    const fired = at(12.5)?.[0];
    expect(fired).toMatchObject({ target: 'engine', over: true, value: 2.5 });
    expect(fired?.message).toContain('12.5 s');
    expect(fired?.message).toContain('5 s TTL');
  });

  it('has no data where the core takes no part in the lease', () => {
    expect(rule.evaluate(inputs(null), rule.defaults)).toBeNull();
    expect(rule.evaluate(inputs(undefined), rule.defaults)).toBeNull();
  });
});
