import { describe, expect, it } from 'vitest';
import { ConsciousnessEngine, type EngineEvent } from '../../main/engine/engine';
import { DEFAULT_ENGINE_CONFIG } from '../../main/engine/config';
import { validateEnvelope } from '../../main/contract/messages';

const S = 1000;

function health(service: string, status: 'healthy' | 'degraded' | 'unhealthy') {
  return { type: 'service.health.update', data: { service, status } };
}

function ofType<T extends EngineEvent['type']>(events: EngineEvent[], type: T): EngineEvent<T>[] {
  return events.filter((e) => e.type === type) as unknown as EngineEvent<T>[];
}

function weight(engine: ConsciousnessEngine, target: string, now: number): number {
  return engine.attentionAt(now).find((a) => a.target === target)?.weight ?? 0;
}

describe('attention', () => {
  it('adds salience per input kind, capped at 1', () => {
    const e = new ConsciousnessEngine();
    e.step(health('a', 'healthy'), 0);
    e.step(health('b', 'degraded'), 0);
    e.step({ type: 'user.request.received', data: { request_id: 'r1', user: 'alice', intent: 'help' } }, 0);
    e.step({ type: 'service.lifecycle.stopped', data: { service: 'c', reason: 'crashed', exit_code: 1 } }, 0);
    e.step({ type: 'service.lifecycle.started', data: { service: 'd' } }, 0);
    e.step({ type: 'system.resource.update', data: { cpu: 0.92, memory: 0.2 } }, 0);
    e.step({ type: 'security.threat.detected', data: { threat_id: 't1', severity: 'high', target: 'f' } }, 0);
    e.step(health('g', 'unhealthy'), 0);
    e.step(health('g', 'unhealthy'), 0);
    expect(weight(e, 'a', 0)).toBeCloseTo(0.1);
    expect(weight(e, 'b', 0)).toBeCloseTo(0.6);
    expect(weight(e, 'user:alice', 0)).toBeCloseTo(0.8);
    expect(weight(e, 'c', 0)).toBeCloseTo(0.7);
    expect(weight(e, 'd', 0)).toBeCloseTo(0.2);
    expect(weight(e, 'system', 0)).toBeCloseTo(0.7);
    expect(weight(e, 'f', 0)).toBeCloseTo(1);
    expect(weight(e, 'g', 0)).toBe(1);
  });

  it('halves a weight every 30 s', () => {
    const e = new ConsciousnessEngine();
    e.step(health('a', 'unhealthy'), 0);
    expect(weight(e, 'a', 30 * S)).toBeCloseTo(0.5, 4);
    expect(weight(e, 'a', 60 * S)).toBeCloseTo(0.25, 4);
    e.step(health('a', 'degraded'), 30 * S);
    expect(weight(e, 'a', 30 * S)).toBeCloseTo(1, 4);
  });

  it('keeps decaying correctly over hours (the attention epoch is rebased)', () => {
    const e = new ConsciousnessEngine();
    e.step(health('a', 'unhealthy'), 0);
    const later = 4 * 3600 * S; // 480 half-lives
    e.step(health('b', 'unhealthy'), later);
    expect(weight(e, 'b', later)).toBe(1);
    expect(weight(e, 'a', later)).toBe(0);
    expect(e.currentFocus()).toBe('b');
    e.step(health('b', 'degraded'), later + 30 * S);
    expect(weight(e, 'b', later + 30 * S)).toBeCloseTo(1, 6);
    expect(weight(e, 'b', later + 60 * S)).toBeCloseTo(0.5, 6);
  });

  it('focuses the heaviest target at or above 0.2 and emits attention_shift with the reason', () => {
    const e = new ConsciousnessEngine();
    const out = e.step(health('a', 'healthy'), 0);
    expect(ofType(out, 'consciousness.attention_shift')).toHaveLength(0);
    expect(e.currentFocus()).toBeNull();
    const out2 = e.step(health('pay', 'unhealthy'), 1);
    const [shift] = ofType(out2, 'consciousness.attention_shift');
    expect(shift?.data).toMatchObject({ from: null, to: 'pay', weight: 1 });
    expect(shift?.data.reason).toContain('pay is unhealthy');
  });

  it('does not flap between two near-equal targets (hysteresis 0.1)', () => {
    // healthy adds 0.05 here, so each report gives one target a lead smaller than the 0.1 hysteresis
    const e = new ConsciousnessEngine({ attention: { salience: { healthy: 0.05 } } });
    e.step(health('a', 'degraded'), 0);
    expect(e.currentFocus()).toBe('a');
    const shifts: EngineEvent[] = [];
    // b keeps edging just ahead of a, then a just ahead of b: never by 0.1.
    shifts.push(...ofType(e.step(health('b', 'degraded'), 0), 'consciousness.attention_shift'));
    for (let i = 1; i <= 10; i++) {
      shifts.push(...ofType(e.step(health(i % 2 ? 'b' : 'a', 'healthy'), i * 100), 'consciousness.attention_shift'));
      shifts.push(
        ...ofType(e.step(health(i % 2 ? 'a' : 'b', 'healthy'), i * 100 + 1), 'consciousness.attention_shift')
      );
    }
    expect(shifts).toHaveLength(0);
    expect(e.currentFocus()).toBe('a');
    // with the default salience (healthy 0.1) b takes the focus only once it leads by 0.1
    const e2 = new ConsciousnessEngine();
    e2.step(health('a', 'degraded'), 0); // a 0.6
    expect(ofType(e2.step(health('b', 'degraded'), 0), 'consciousness.attention_shift')).toHaveLength(0); // b 0.6
    e2.step(health('a', 'healthy'), 0); // a 0.7
    expect(ofType(e2.step(health('b', 'healthy'), 0), 'consciousness.attention_shift')).toHaveLength(0); // b 0.7
    expect(e2.currentFocus()).toBe('a');
    const moved = ofType(e2.step(health('b', 'healthy'), 0), 'consciousness.attention_shift'); // b 0.8
    expect(moved[0]?.data).toMatchObject({ from: 'a', to: 'b' });
  });

  it('drops the focus once it decays below 0.2, to the next target at or above 0.2 or to none', () => {
    const e = new ConsciousnessEngine();
    e.step(health('a', 'unhealthy'), 0); // 1.0
    // 1.0 → 0.2 takes log2(5)·30 s ≈ 69.66 s
    expect(ofType(e.tick(69 * S), 'consciousness.attention_shift')).toHaveLength(0);
    const [drop] = ofType(e.tick(70 * S), 'consciousness.attention_shift');
    expect(drop?.data).toMatchObject({ from: 'a', to: null });
    expect(drop?.data.reason).toContain('decayed below 0.2');

    const e2 = new ConsciousnessEngine();
    e2.step(health('a', 'unhealthy'), 0);
    e2.step(health('b', 'degraded'), 50 * S); // a ≈ 0.315, b 0.6 → b beats a by more than 0.1
    expect(e2.currentFocus()).toBe('b');
  });
});

describe('emotion', () => {
  it('moves on alarm and relaxes to baseline with a 60 s half-life', () => {
    const e = new ConsciousnessEngine();
    e.step(health('a', 'unhealthy'), 0);
    let s = e.snapshot(0).state;
    expect(s.valence).toBeCloseTo(-0.2);
    expect(s.arousal).toBeCloseTo(0.5);
    s = e.snapshot(60 * S).state;
    expect(s.valence).toBeCloseTo(-0.1);
    expect(s.arousal).toBeCloseTo(0.4);
    s = e.snapshot(120 * S).state;
    expect(s.valence).toBeCloseTo(-0.05);
  });

  it('alarms once per transition, not on every repeated unhealthy report', () => {
    const e = new ConsciousnessEngine();
    e.step(health('a', 'unhealthy'), 0);
    e.step(health('a', 'unhealthy'), 0);
    expect(e.snapshot(0).state.valence).toBeCloseTo(-0.2);
  });

  it('threat alarms; recovery raises valence by 0.15; a new service raises curiosity by 0.1 once', () => {
    const e = new ConsciousnessEngine();
    e.step({ type: 'security.threat.detected', data: { threat_id: 't', severity: 'high' } }, 0);
    expect(e.snapshot(0).state.valence).toBeCloseTo(-0.2);
    e.step({ type: 'security.threat.resolved', data: { threat_id: 't' } }, 0);
    expect(e.snapshot(0).state.valence).toBeCloseTo(-0.05);

    const c = new ConsciousnessEngine();
    c.step({ type: 'service.lifecycle.started', data: { service: 'x' } }, 0);
    expect(c.snapshot(0).state.curiosity).toBeCloseTo(0.6);
    c.step({ type: 'service.lifecycle.started', data: { service: 'x' } }, 0);
    expect(c.snapshot(0).state.curiosity).toBeCloseTo(0.6);
  });

  it('changes confidence by ±0.1 on a decision outcome, clamped to [0,1]', () => {
    const e = new ConsciousnessEngine();
    e.step(health('a', 'unhealthy'), 0);
    e.step(health('a', 'healthy'), 10 * S);
    // +0.1 at 10 s (the baseline 0.5 does not move it away from 0.5 before then)
    expect(e.snapshot(10 * S).state.confidence).toBeCloseTo(0.6);
    const f = new ConsciousnessEngine({ emotion: { baseline: { confidence: 0.05 } } });
    f.step(health('a', 'unhealthy'), 0);
    f.tick(61 * S);
    expect(f.snapshot(61 * S).state.confidence).toBe(0);
  });
});

describe('cognitive load and learning mode', () => {
  it('is 0.5·rate/capacity + 0.3·memory fill + 0.2·open/5 over a 10 s window', () => {
    const e = new ConsciousnessEngine();
    for (let i = 0; i < 50; i++) e.step(health('a', 'healthy'), i * 100); // 50 inputs in 5 s
    const expected = 0.5 * (50 / 10 / 50) + 0.3 * (1 / 7) + 0;
    expect(e.snapshot(4900).state.load).toBeCloseTo(expected, 3);
    e.step(health('b', 'unhealthy'), 5000);
    const withProblem = 0.5 * (51 / 10 / 50) + 0.3 * (2 / 7) + 0.2 * (1 / 5);
    expect(e.snapshot(5000).state.load).toBeCloseTo(withProblem, 3);
    // inputs older than 10 s leave the window
    expect(e.snapshot(20_000).state.load).toBeCloseTo(0.3 * (2 / 7) + 0.2 / 5, 3);
  });

  it('is focused above 0.75, exploratory below 0.3 with curiosity above 0.6, else adaptive; changes emit learning_event', () => {
    const e = new ConsciousnessEngine({ load: { capacityPerSecond: 1 } });
    const events: EngineEvent[] = [];
    // two new services: curiosity 0.7, load low → exploratory
    events.push(...e.step({ type: 'service.lifecycle.started', data: { service: 's1' } }, 0));
    events.push(...e.step({ type: 'service.lifecycle.started', data: { service: 's2' } }, 0));
    expect(e.currentMode()).toBe('exploratory');
    // 20 inputs in the window at capacity 1/s: rate 2/s → load clamps to 1 → focused
    for (let i = 0; i < 20; i++) events.push(...e.step(health('s1', 'healthy'), 100 + i));
    expect(e.currentMode()).toBe('focused');
    // the window empties: load 0.3·2/7 ≈ 0.086, curiosity decayed towards 0.5 → adaptive
    events.push(...e.tick(300 * S));
    expect(e.currentMode()).toBe('adaptive');
    const modes = ofType(events, 'consciousness.learning_event').map((x) => x.data);
    expect(modes).toEqual([
      { kind: 'mode', from: 'adaptive', to: 'exploratory' },
      { kind: 'mode', from: 'exploratory', to: 'adaptive' },
      { kind: 'mode', from: 'adaptive', to: 'focused' },
      { kind: 'mode', from: 'focused', to: 'adaptive' }
    ]);
  });
});

describe('memory', () => {
  it('keeps 7 working items (LRU) and emits store/evict', () => {
    const e = new ConsciousnessEngine();
    const events: EngineEvent[] = [];
    for (let i = 1; i <= 7; i++) events.push(...e.step(health(`s${i}`, 'healthy'), i));
    e.step(health('s1', 'healthy'), 10); // s1 becomes most recent; s2 is now the LRU
    events.push(...e.step(health('s8', 'healthy'), 11));
    const mem = ofType(events, 'consciousness.memory_update').map((x) => `${x.data.op}:${x.data.key}`);
    expect(mem.filter((m) => m.startsWith('store'))).toHaveLength(8);
    expect(mem).toContain('evict:s2');
    expect(e.snapshot(11).workingMemory.map((i) => i.key)).toEqual(['s8', 's1', 's7', 's6', 's5', 's4', 's3']);
  });

  it('promotes an item touched 3 times to long-term memory once, and reports it for persistence', () => {
    const e = new ConsciousnessEngine();
    const events: EngineEvent[] = [];
    for (let i = 0; i < 5; i++) events.push(...e.step(health('db', 'healthy'), i));
    const promotes = ofType(events, 'consciousness.memory_update').filter((x) => x.data.op === 'promote');
    expect(promotes).toHaveLength(1);
    expect(promotes[0]?.data).toMatchObject({ key: 'db', touches: 3 });
    const changes = e.takeLongTermChanges();
    expect(changes.upserts[0]).toMatchObject({ key: 'db', kind: 'service', touches: 5 });
    expect(e.takeLongTermChanges().upserts).toHaveLength(0);
  });

  it('bounds long-term memory, forgetting the least recently seen', () => {
    const e = new ConsciousnessEngine({ memory: { longTermCapacity: 2 } });
    const events: EngineEvent[] = [];
    for (const key of ['a', 'b', 'c'])
      for (let i = 0; i < 3; i++) events.push(...e.step(health(key, 'healthy'), events.length));
    expect(
      e
        .longTermMemory()
        .map((i) => i.key)
        .sort()
    ).toEqual(['b', 'c']);
    expect(
      ofType(events, 'consciousness.memory_update').some((x) => x.data.op === 'forget' && x.data.key === 'a')
    ).toBe(true);
    expect(e.takeLongTermChanges().removed).toEqual(['a']);
  });

  it('restores long-term memory and weights given at construction', () => {
    const e = new ConsciousnessEngine(
      {},
      {
        weights: [
          {
            problemKind: 'service_unhealthy',
            action: 'scale_out',
            weight: 0.95,
            successes: 4,
            failures: 0,
            updatedAt: 1
          }
        ],
        longTerm: [
          { key: 'db', kind: 'service', firstSeen: 0, promotedAt: 0, lastSeen: 0, touches: 9, summary: 'db is healthy' }
        ]
      }
    );
    expect(e.longTermMemory()[0]?.key).toBe('db');
    const out = e.step(health('db', 'unhealthy'), 0);
    expect(ofType(out, 'consciousness.decision_made')[0]?.data.action).toBe('scale_out');
    // a service remembered from before is not novel
    expect(e.snapshot(0).state.curiosity).toBeCloseTo(0.5);
  });
});

describe('problems, decisions and learning', () => {
  it('opens a problem when a service turns unhealthy and decides with the highest learned weight', () => {
    const e = new ConsciousnessEngine();
    const out = e.step({ ...health('pay', 'unhealthy'), id: 'msg-1' }, 0);
    const [decision] = ofType(out, 'consciousness.decision_made');
    expect(decision?.data).toMatchObject({
      kind: 'service_unhealthy',
      action: 'restart_service',
      confidence: 0.6,
      target: 'pay'
    });
    expect(decision?.data.rationale).toContain('highest learned weight');
    expect(decision?.correlationid).toBe('msg-1');
    expect(decision?.priority).toBe('high');
    // the same cause does not open a second problem
    expect(ofType(e.step(health('pay', 'unhealthy'), 1), 'consciousness.decision_made')).toHaveLength(0);
    expect(e.problems().open).toHaveLength(1);
  });

  it('a resolution within 60 s raises the weight by 0.2·(1 − w) and emits learning_event', () => {
    const e = new ConsciousnessEngine();
    const w = e.weightOf('service_unhealthy', 'restart_service');
    e.step(health('pay', 'unhealthy'), 0);
    const out = e.step(health('pay', 'healthy'), 60 * S);
    const [learn] = ofType(out, 'consciousness.learning_event');
    expect(learn?.data).toMatchObject({
      kind: 'strategy',
      problem_kind: 'service_unhealthy',
      action: 'restart_service',
      success: true
    });
    const expected = w + 0.2 * (1 - w);
    expect(e.weightOf('service_unhealthy', 'restart_service')).toBeCloseTo(expected, 10);
    expect(learn?.data.kind === 'strategy' && learn.data.weight).toBeCloseTo(expected, 4);
    const resolved = e.problems().resolved[0];
    expect(resolved).toMatchObject({ status: 'resolved', outcome: 'success', resolvedAt: 60 * S });
    // reported once for persistence, in its final state
    expect(e.takeProblemChanges()).toEqual([
      expect.objectContaining({ id: resolved?.id, status: 'resolved', outcome: 'success' })
    ]);
    expect(e.takeProblemChanges()).toEqual([]);
  });

  it('a problem still open after 60 s is a failure (judged once, on tick): weight ← w − 0.2·w', () => {
    const e = new ConsciousnessEngine();
    const w = e.weightOf('service_unhealthy', 'restart_service');
    e.step(health('pay', 'unhealthy'), 0);
    expect(ofType(e.tick(60 * S), 'consciousness.learning_event')).toHaveLength(0);
    const [learn] = ofType(e.tick(60 * S + 1), 'consciousness.learning_event');
    expect(learn?.data).toMatchObject({ kind: 'strategy', success: false });
    expect(e.weightOf('service_unhealthy', 'restart_service')).toBeCloseTo(w * 0.8, 10);
    // the late resolution does not judge again
    const late = e.step(health('pay', 'healthy'), 90 * S);
    expect(ofType(late, 'consciousness.learning_event').filter((x) => x.data.kind === 'strategy')).toHaveLength(0);
    expect(e.problems().resolved[0]?.outcome).toBe('failure');
    // a late resolution with no tick in between is judged a failure at resolution
    const f = new ConsciousnessEngine();
    f.step(health('pay', 'unhealthy'), 0);
    const [lateLearn] = ofType(f.step(health('pay', 'healthy'), 61 * S), 'consciousness.learning_event');
    expect(lateLearn?.data).toMatchObject({ kind: 'strategy', success: false });
  });

  it('learned weights change the next decision', () => {
    const e = new ConsciousnessEngine();
    let t = 0;
    const actions: string[] = [];
    for (let i = 0; i < 4; i++) {
      const out = e.step(health('pay', 'unhealthy'), t);
      actions.push(ofType(out, 'consciousness.decision_made')[0]?.data.action ?? '');
      t += 61 * S;
      e.tick(t);
      e.step(health('pay', 'healthy'), t);
    }
    // restart_service fails (0.6 → 0.48), investigate (0.5) takes over and fails (→ 0.4), restart_service again
    expect(actions.slice(0, 3)).toEqual(['restart_service', 'investigate', 'restart_service']);
    expect(e.weightOf('service_unhealthy', 'restart_service')).toBeLessThan(0.48);
  });

  it('opens problems for unexpected stops, threats and resources above 0.95, and resolves them when the cause clears', () => {
    const e = new ConsciousnessEngine();
    const decisions = (out: EngineEvent[]) =>
      ofType(out, 'consciousness.decision_made').map((d) => `${d.data.kind}:${d.data.action}`);
    expect(
      decisions(
        e.step({ type: 'service.lifecycle.stopped', data: { service: 'x', reason: 'requested', exit_code: 0 } }, 0)
      )
    ).toEqual([]);
    expect(
      decisions(e.step({ type: 'service.lifecycle.stopped', data: { service: 'x', reason: 'oom', exit_code: 137 } }, 0))
    ).toEqual(['service_stopped:restart_service']);
    expect(
      decisions(
        e.step({ type: 'security.threat.detected', data: { threat_id: 't9', severity: 'critical', target: 'x' } }, 0)
      )
    ).toEqual(['security_threat:notify_operator']);
    expect(decisions(e.step({ type: 'system.resource.update', data: { cpu: 0.95, memory: 0.5 } }, 0))).toEqual([]);
    expect(
      decisions(e.step({ type: 'system.resource.update', data: { cpu: 0.5, memory: 0.5, disk: 0.99 } }, 0))
    ).toEqual(['resource_exhaustion:scale_out']);
    expect(e.snapshot(0).state.open_problems).toBe(3);
    e.step({ type: 'service.lifecycle.started', data: { service: 'x' } }, S);
    e.step({ type: 'security.threat.resolved', data: { threat_id: 't9' } }, S);
    e.step({ type: 'system.resource.update', data: { cpu: 0.5, memory: 0.5, disk: 0.95 } }, S);
    expect(e.problems().open).toHaveLength(0);
    expect(e.problems().resolved.map((p) => `${p.kind}:${p.outcome}`)).toEqual([
      'service_stopped:success',
      'security_threat:success',
      'resource_exhaustion:success'
    ]);
  });
});

describe('state_change', () => {
  it('emits when a value moves by ≥ 0.1 or focus/mode changes, at most once a second', () => {
    const e = new ConsciousnessEngine();
    const first = ofType(e.step(health('a', 'healthy'), 0), 'consciousness.state_change');
    expect(first).toHaveLength(1);
    // small moves: nothing
    expect(ofType(e.step(health('a', 'healthy'), 100), 'consciousness.state_change')).toHaveLength(0);
    // a big move inside the second: held back
    expect(ofType(e.step(health('b', 'unhealthy'), 500), 'consciousness.state_change')).toHaveLength(0);
    // once the second has passed, a tick emits it
    const later = ofType(e.tick(1000), 'consciousness.state_change');
    expect(later).toHaveLength(1);
    expect(later[0]?.data).toMatchObject({ focus: 'b', open_problems: 1 });
    expect(later[0]?.data.valence).toBeCloseTo(-0.2, 2);
    // nothing more while nothing moves
    expect(ofType(e.tick(1500), 'consciousness.state_change')).toHaveLength(0);
    expect(ofType(e.tick(2500), 'consciousness.state_change')).toHaveLength(0);
  });
});

describe('errors and determinism', () => {
  it('emits error for inputs it cannot use and keeps going', () => {
    const e = new ConsciousnessEngine();
    const unknown = e.step({ type: 'weather.report', data: {} }, 0);
    expect(unknown).toEqual([
      expect.objectContaining({
        type: 'consciousness.error',
        data: expect.objectContaining({ code: 'UNKNOWN_INPUT_TYPE' })
      })
    ]);
    const bad = e.step({ type: 'service.health.update', data: { service: 'a', status: 'on fire' } }, 0);
    expect(bad[0]?.data).toMatchObject({ code: 'INVALID_INPUT_DATA' });
    expect((bad[0]?.data as { message: string }).message).toContain('data.status');
    expect(e.snapshot(0).counters.errors).toBe(2);
    expect(e.step(health('a', 'healthy'), 1).length).toBeGreaterThan(0);
  });

  it('produces the same events for the same inputs and clock; every event is a valid envelope payload', () => {
    const run = () => {
      const e = new ConsciousnessEngine();
      const out: EngineEvent[] = [];
      const script = [
        health('a', 'degraded'),
        health('a', 'unhealthy'),
        { type: 'security.threat.detected', data: { threat_id: 't', severity: 'low' } },
        { type: 'user.request.received', data: { request_id: 'r', user: 'u', intent: 'x' } },
        health('a', 'healthy')
      ];
      script.forEach((input, i) => {
        out.push(...e.step(input, i * 700));
        out.push(...e.tick(i * 700 + 350));
      });
      out.push(...e.tick(200 * S));
      return out;
    };
    const a = run();
    expect(JSON.stringify(a)).toBe(JSON.stringify(run()));
    for (const ev of a) {
      const result = validateEnvelope({
        specversion: '1.0',
        id: 'x',
        source: 's',
        type: ev.type,
        time: new Date(ev.time).toISOString(),
        datacontenttype: 'application/json',
        data: ev.data
      });
      expect(result.ok, JSON.stringify(result)).toBe(true);
    }
  });

  it('treats an earlier clock value as the last one (time never runs backwards)', () => {
    const e = new ConsciousnessEngine();
    e.step(health('a', 'unhealthy'), 30 * S);
    e.step(health('b', 'healthy'), 0);
    expect(weight(e, 'a', 30 * S)).toBe(1);
    expect(DEFAULT_ENGINE_CONFIG.attention.halfLifeMs).toBe(30 * S);
  });
});
