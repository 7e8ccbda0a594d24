import { describe, expect, it } from 'vitest';
import { ALERT_RULE_IDS, type AlertRuleId, type RuleValues } from '../../main/contract';
import { ALERT_RULES, applyRuleEdit, ruleDefinition, severityFor } from '../../main/monitoring/alert-rules';
import type { AlertInputs } from '../../main/monitoring/inputs';

const NOW = Date.parse('2026-01-01T00:01:00.000Z');

/** Inputs where every source has data and nothing is wrong. */
function healthy(overrides: Partial<AlertInputs> = {}): AlertInputs {
  return {
    now: NOW,
    connection: { state: 'connected', offlineSince: null },
    outbox: { pending: 0, processing: 0, retrying: 0, dead: 0, completed: 10, oldestPendingAgeSeconds: null },
    breakers: [
      { name: 'publish', state: 'closed' },
      { name: 'connect', state: 'closed' }
    ],
    emergency: false,
    consumers: [{ stream: 'S', consumer: 'c', pending: 0, ackPending: 0 }],
    streams: [{ stream: 'S', messages: 1, bytes: 100, maxMsgs: 10, maxBytes: -1 }],
    publishP99Seconds: 0.002,
    invalidPerMinute: 0,
    engine: { load: 0.2, valence: 0 },
    servers: [{ server: 'n1', healthy: true, healthError: null, jetstreamStorageRatio: 0.1, slowConsumersDelta: 0 }],
    leadership: { leaderlessSeconds: 0, ttlSeconds: 5 },
    database: { writable: true, writeFailed: false, freeBytes: 10 * 1024 * 1024, reason: null },
    ...overrides
  };
}

/** Inputs where every optional source is absent. */
function absent(): AlertInputs {
  return {
    now: NOW,
    connection: { state: 'connected', offlineSince: null },
    outbox: null,
    breakers: null,
    emergency: null,
    consumers: null,
    streams: null,
    publishP99Seconds: null,
    invalidPerMinute: null,
    engine: null,
    servers: null
  };
}

function run(id: AlertRuleId, inputs: AlertInputs, values?: Partial<RuleValues>) {
  const rule = ruleDefinition(id);
  return rule.evaluate(inputs, { ...rule.defaults, ...values });
}

function firing(id: AlertRuleId, inputs: AlertInputs, values?: Partial<RuleValues>): string[] {
  return (run(id, inputs, values) ?? []).filter((f) => f.over).map((f) => f.target);
}

describe('alert rules', () => {
  it('define every rule id of the contract exactly once, with the docs/architecture.md §5 defaults', () => {
    expect(ALERT_RULES.map((r) => r.id).sort()).toEqual([...ALERT_RULE_IDS].sort());
    expect(ruleDefinition('nats.disconnected').defaults).toMatchObject({ threshold: 10, severity: 'ERROR' });
    expect(ruleDefinition('stream.usage').defaults).toMatchObject({
      threshold: 0.8,
      criticalThreshold: 0.95,
      severity: 'WARNING'
    });
    expect(ruleDefinition('publish.p99').defaults).toMatchObject({ threshold: 0.05 });
    expect(ruleDefinition('dlq.nonempty').defaults).toMatchObject({ threshold: 0 });
    expect(ruleDefinition('engine.overload').defaults.forSeconds).toBeGreaterThan(0);
  });

  it('fire on nothing when everything is healthy', () => {
    for (const rule of ALERT_RULES) {
      const findings = rule.evaluate(healthy(), rule.defaults);
      expect(findings, rule.id).not.toBeNull();
      expect(
        findings!.filter((f) => f.over),
        rule.id
      ).toEqual([]);
    }
  });

  it('report no data (never fire) when their source is absent', () => {
    const withData = ['nats.disconnected', 'publish.p99'];
    for (const rule of ALERT_RULES) {
      const findings = rule.evaluate(absent(), rule.defaults);
      if (withData.includes(rule.id))
        expect(
          findings!.some((f) => f.over),
          rule.id
        ).toBe(false);
      else expect(findings, rule.id).toBeNull();
    }
  });

  it('nats.disconnected fires only after more than 10 s of trying, and not when deliberately offline', () => {
    const since = (s: number) => new Date(NOW - s * 1000).toISOString();
    expect(
      firing('nats.disconnected', healthy({ connection: { state: 'reconnecting', offlineSince: since(5) } }))
    ).toEqual([]);
    expect(
      firing('nats.disconnected', healthy({ connection: { state: 'reconnecting', offlineSince: since(10) } }))
    ).toEqual([]);
    expect(
      firing('nats.disconnected', healthy({ connection: { state: 'disconnected', offlineSince: since(11) } }))
    ).toEqual(['connection']);
    expect(
      firing('nats.disconnected', healthy({ connection: { state: 'connecting', offlineSince: since(60) } }))
    ).toEqual(['connection']);
    expect(firing('nats.disconnected', healthy({ connection: { state: 'offline', offlineSince: since(60) } }))).toEqual(
      []
    );
  });

  it('breaker.open fires per open breaker; emergency.mode on the switch', () => {
    const inputs = healthy({
      breakers: [
        { name: 'publish', state: 'open' },
        { name: 'connect', state: 'half-open' }
      ]
    });
    expect(firing('breaker.open', inputs)).toEqual(['publish']);
    expect(firing('emergency.mode', healthy({ emergency: true }))).toEqual(['resilience']);
  });

  it('outbox.backlog counts pending, processing and retrying, CRITICAL at the second level; dlq.nonempty on one dead row', () => {
    const outbox = { pending: 600, processing: 100, retrying: 301, dead: 1, completed: 0, oldestPendingAgeSeconds: 30 };
    const [backlog] = run('outbox.backlog', healthy({ outbox }))!;
    expect(backlog).toMatchObject({ target: 'outbox', value: 1001, over: true, critical: false });
    const values = ruleDefinition('outbox.backlog').defaults;
    expect(severityFor(backlog!, values)).toBe('WARNING');
    const [big] = run('outbox.backlog', healthy({ outbox: { ...outbox, pending: 20_000 } }))!;
    expect(severityFor(big!, values)).toBe('CRITICAL');
    expect(firing('dlq.nonempty', healthy({ outbox }))).toEqual(['outbox']);
  });

  it('consumer rules fire per stream/consumer over their thresholds', () => {
    const consumers = [
      { stream: 'A', consumer: 'x', pending: 1001, ackPending: 0 },
      { stream: 'B', consumer: 'y', pending: 5, ackPending: 501 }
    ];
    expect(firing('consumer.pending', healthy({ consumers }))).toEqual(['A/x']);
    expect(firing('consumer.ack_pending', healthy({ consumers }))).toEqual(['B/y']);
    expect(firing('consumer.pending', healthy({ consumers }), { threshold: 3 })).toEqual(['A/x', 'B/y']);
  });

  it('stream.usage is WARNING from 80 % and CRITICAL from 95 % of the tighter limit', () => {
    const values = ruleDefinition('stream.usage').defaults;
    const at = (messages: number, bytes = 0) =>
      run(
        'stream.usage',
        healthy({ streams: [{ stream: 'S', messages, bytes, maxMsgs: 100, maxBytes: 10_000 }] })
      )![0]!;
    expect(at(79).over).toBe(false);
    expect(at(80).over).toBe(true);
    expect(severityFor(at(80), values)).toBe('WARNING');
    expect(severityFor(at(95), values)).toBe('CRITICAL');
    // bytes can be the tighter limit
    expect(severityFor(at(1, 9_600), values)).toBe('CRITICAL');
    // unlimited streams never fire
    expect(
      firing(
        'stream.usage',
        healthy({ streams: [{ stream: 'U', messages: 1e9, bytes: 1e12, maxMsgs: -1, maxBytes: -1 }] })
      )
    ).toEqual([]);
  });

  it('publish.p99 fires above 50 ms; invalid.rate above 10 a minute; engine.overload above 0.9', () => {
    expect(firing('publish.p99', healthy({ publishP99Seconds: 0.05 }))).toEqual([]);
    expect(firing('publish.p99', healthy({ publishP99Seconds: 0.051 }))).toEqual(['publisher']);
    expect(firing('invalid.rate', healthy({ invalidPerMinute: 11 }))).toEqual(['inbound']);
    expect(firing('engine.overload', healthy({ engine: { load: 0.95, valence: -0.5 } }))).toEqual(['engine']);
  });

  it('server rules: unhealthy per server (ERROR), JetStream storage 80 % / 95 %, slow consumers rising', () => {
    const server = (patch: Record<string, unknown>) =>
      healthy({
        servers: [
          {
            server: 'n1',
            healthy: true,
            healthError: null,
            jetstreamStorageRatio: 0.1,
            slowConsumersDelta: 0,
            ...patch
          },
          { server: 'n2', healthy: true, healthError: null, jetstreamStorageRatio: null, slowConsumersDelta: null }
        ]
      });
    expect(firing('server.unhealthy', server({ healthy: false, healthError: 'JetStream not current' }))).toEqual([
      'n1'
    ]);
    expect(
      run('server.unhealthy', server({ healthy: false, healthError: 'JetStream not current' }))![0]!.message
    ).toMatch(/JetStream not current/);
    expect(ruleDefinition('server.unhealthy').defaults.severity).toBe('ERROR');
    // Not asked (healthy null) is no finding, not a healthy one.
    expect(run('server.unhealthy', server({ healthy: null }))!.map((f) => f.target)).toEqual(['n2']);
    const storage = ruleDefinition('server.jetstream_storage').defaults;
    const at = (ratio: number) => run('server.jetstream_storage', server({ jetstreamStorageRatio: ratio }))![0]!;
    expect(at(0.79).over).toBe(false);
    expect(severityFor(at(0.8), storage)).toBe('WARNING');
    expect(severityFor(at(0.95), storage)).toBe('CRITICAL');
    // Unlimited storage (ratio null) is never judged.
    expect(run('server.jetstream_storage', server({}))!.map((f) => f.target)).toEqual(['n1']);
    expect(firing('server.slow_consumers', server({ slowConsumersDelta: 3 }))).toEqual(['n1']);
    expect(firing('server.slow_consumers', server({ slowConsumersDelta: 0 }))).toEqual([]);
  });

  it('checks edits: ratios at most 1, critical not below the threshold', () => {
    const usage = ruleDefinition('stream.usage');
    expect(applyRuleEdit(usage, usage.defaults, { threshold: 0.5 })).toMatchObject({
      threshold: 0.5,
      criticalThreshold: 0.95
    });
    expect(() => applyRuleEdit(usage, usage.defaults, { threshold: 1.5 })).toThrow(/between 0 and 1/);
    expect(() => applyRuleEdit(usage, usage.defaults, { threshold: 0.97 })).toThrow(/must not be below threshold/);
    expect(applyRuleEdit(usage, usage.defaults, { threshold: 0.97, criticalThreshold: null })).toMatchObject({
      criticalThreshold: null
    });
    const backlog = ruleDefinition('outbox.backlog');
    expect(applyRuleEdit(backlog, backlog.defaults, { threshold: 5, severity: 'ERROR', enabled: false })).toMatchObject(
      {
        threshold: 5,
        severity: 'ERROR',
        enabled: false
      }
    );
  });
});

describe('database.unwritable', () => {
  it('fires while the database cannot be written, with the reason; no data where nothing probes', () => {
    const rule = ALERT_RULES.find((r) => r.id === 'database.unwritable')!;
    const down = rule.evaluate(
      healthy({
        database: { writable: false, writeFailed: true, freeBytes: 0, reason: 'a write failed (SQLITE_FULL)' }
      }),
      rule.defaults
    );
    expect(down).toEqual([expect.objectContaining({ target: 'database', value: 1, over: true })]);
    expect(down?.[0]?.message).toMatch(/SQLITE_FULL/);
    expect(rule.defaults.severity).toBe('CRITICAL');
    expect(rule.evaluate(healthy({ database: null }), rule.defaults)).toBeNull();
  });
});
