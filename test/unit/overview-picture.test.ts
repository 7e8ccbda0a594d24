import { describe, expect, it } from 'vitest';
import { ENGINE_OUTPUT_TYPES, type EngineOutputType } from '../../main/contract/messages';
import {
  assemblePicture,
  pendingGrows,
  RateMeter,
  subjectMatches,
  type EngineReading,
  type PictureReadings
} from '../../main/overview/picture';
import type { JetStreamSample } from '../../main/nats/inspection/sampler';

const sample: JetStreamSample = {
  at: 1000,
  streams: [
    {
      name: 'ORCHESTRATOR_EVENTS',
      messages: 10,
      bytes: 100,
      maxMsgs: 100_000,
      maxBytes: -1,
      subjects: ['orchestrator.>'],
      lastSeq: 10
    },
    {
      name: 'HEALTH_METRICS',
      messages: 95,
      bytes: 100,
      maxMsgs: 100,
      maxBytes: -1,
      subjects: ['health.>', 'metrics.>'],
      lastSeq: 95
    },
    {
      name: 'CONSCIOUSNESS_EVENTS',
      messages: 0,
      bytes: 0,
      maxMsgs: -1,
      maxBytes: -1,
      subjects: ['consciousness.>'],
      lastSeq: 0
    }
  ],
  consumers: [
    {
      stream: 'ORCHESTRATOR_EVENTS',
      name: 'consciousness_bridge_service',
      numPending: 0,
      numAckPending: 0,
      filter: 'orchestrator.service.>'
    },
    {
      stream: 'ORCHESTRATOR_EVENTS',
      name: 'orchestrator_service',
      numPending: 30,
      numAckPending: 0,
      filter: 'orchestrator.consciousness.>'
    },
    { stream: 'HEALTH_METRICS', name: 'health_monitor', numPending: 5, numAckPending: 0, filter: 'health.>' }
  ]
};

function engine(overrides: Partial<EngineReading> = {}): EngineReading {
  const outputSubjects = new Map<EngineOutputType, string[]>();
  for (const type of ENGINE_OUTPUT_TYPES)
    outputSubjects.set(type, [type, `orchestrator.consciousness.${type.split('.')[1]}`]);
  return {
    running: true,
    leading: true,
    mode: 'normal',
    durables: [
      { stream: 'ORCHESTRATOR_EVENTS', durable: 'consciousness_bridge_service', bound: true, lastError: null }
    ],
    outputSubjects,
    ...overrides
  };
}

function readings(overrides: Partial<PictureReadings> = {}): PictureReadings {
  return {
    now: 2000,
    sample,
    engine: engine(),
    services: [],
    heartbeats: [],
    pendingHistory: new Map(),
    rate: () => null,
    ...overrides
  };
}

describe('RateMeter', () => {
  it('gives the rate over the window, none before two readings, and starts over when a counter goes down', () => {
    const m = new RateMeter(5000);
    m.record('a', 0, 0);
    expect(m.rate('a')).toBeNull();
    m.record('a', 1000, 10);
    expect(m.rate('a')).toBe(10);
    for (let t = 2000; t <= 10_000; t += 1000) m.record('a', t, 10 + (t / 1000 - 1) * 2);
    // The last 5 s rose by 2 a second; the early burst has left the window.
    expect(m.rate('a')).toBeCloseTo(2, 5);
    m.record('a', 11_000, 3);
    expect(m.rate('a')).toBeNull();
    m.retain(new Set());
    expect(m.rate('a')).toBeNull();
  });
});

describe('picture pieces', () => {
  it('matches subjects against filters with wildcards', () => {
    expect(subjectMatches('orchestrator.consciousness.decision', 'orchestrator.consciousness.>')).toBe(true);
    expect(subjectMatches('orchestrator.service.started', 'orchestrator.*.started')).toBe(true);
    expect(subjectMatches('orchestrator', 'orchestrator.>')).toBe(false);
    expect(subjectMatches('health.a.b', 'health.*')).toBe(false);
  });

  it('marks pending as growing only when it rose at the last sample and over the window', () => {
    expect(pendingGrows(undefined)).toBe(false);
    expect(pendingGrows([5])).toBe(false);
    expect(pendingGrows([5, 6])).toBe(true);
    expect(pendingGrows([9, 5, 6])).toBe(false);
    expect(pendingGrows([5, 6, 6])).toBe(false);
  });
});

describe('assemblePicture', () => {
  it('colours services by what they said: stopped and unhealthy red, degraded and stale amber', () => {
    const p = assemblePicture(
      readings({
        services: [
          { service: 'a', health: 'healthy', running: true },
          { service: 'b', health: 'healthy', running: false },
          { service: 'c', health: 'degraded', running: true }
        ],
        heartbeats: [
          { service: 'd', instance: 'd-1', status: 'healthy', detail: null, subject: 'health.d', stale: true },
          { service: 'e', instance: 'e-1', status: 'unhealthy', detail: 'disk', subject: 'health.e', stale: false }
        ]
      })
    );
    const health = Object.fromEntries(p.nodes.filter((n) => n.kind === 'service').map((n) => [n.label, n.health]));
    expect(health).toEqual({ a: 'ok', b: 'critical', c: 'warning', d: 'warning', e: 'critical' });
    expect(p.nodes.find((n) => n.id === 'service:b')?.status).toBe('stopped');
    expect(p.nodes.find((n) => n.id === 'service:e')).toMatchObject({ stream: 'HEALTH_METRICS', subject: 'health.e' });
    // A stream at 95% of its message limit is amber.
    expect(p.nodes.find((n) => n.id === 'stream:HEALTH_METRICS')?.health).toBe('warning');
  });

  it('wires durables into the engine, outputs into the consumers reading them, and other consumers to their stream', () => {
    const p = assemblePicture(
      readings({
        pendingHistory: new Map([['ORCHESTRATOR_EVENTS/orchestrator_service', [10, 20, 30]]]),
        rate: (key) => (key === 'output:consciousness.decision_made' ? 2 : null)
      })
    );
    const ids = new Set(p.edges.map((e) => e.id));
    expect(ids).toContain('stream:ORCHESTRATOR_EVENTS->consumer:ORCHESTRATOR_EVENTS/consciousness_bridge_service');
    expect(ids).toContain('consumer:ORCHESTRATOR_EVENTS/consciousness_bridge_service->engine');
    expect(ids).toContain('output:consciousness.decision_made->consumer:ORCHESTRATOR_EVENTS/orchestrator_service');
    expect(ids).not.toContain('stream:ORCHESTRATOR_EVENTS->consumer:ORCHESTRATOR_EVENTS/orchestrator_service');
    expect(ids).toContain('stream:HEALTH_METRICS->consumer:HEALTH_METRICS/health_monitor');
    expect(ids).toContain('output:consciousness.decision_made->stream:CONSCIOUSNESS_EVENTS');
    // Outputs do not loop back into the engine's own input stream.
    expect(ids).not.toContain('output:consciousness.decision_made->stream:ORCHESTRATOR_EVENTS');
    expect(p.edges.find((e) => e.id === 'engine->output:consciousness.decision_made')?.msgsPerSec).toBe(2);
    expect(p.nodes.find((n) => n.id === 'consumer:ORCHESTRATOR_EVENTS/orchestrator_service')).toMatchObject({
      pending: 30,
      pendingGrowing: true,
      health: 'warning'
    });
  });

  it('shows an unbound durable and the engine that cannot consume it as critical', () => {
    const p = assemblePicture(
      readings({
        engine: engine({
          durables: [
            {
              stream: 'ORCHESTRATOR_EVENTS',
              durable: 'consciousness_bridge_service',
              bound: false,
              lastError: 'consumer not found'
            }
          ]
        })
      })
    );
    expect(p.nodes.find((n) => n.id === 'engine')?.health).toBe('critical');
    expect(p.nodes.find((n) => n.id === 'consumer:ORCHESTRATOR_EVENTS/consciousness_bridge_service')?.status).toContain(
      'consumer not found'
    );
  });

  it('with no sample and no services, says what would fill it; without an engine, says so', () => {
    const p = assemblePicture(readings({ sample: null, engine: null }));
    expect(p.nodes).toEqual([]);
    expect(p.notes.join('\n')).toMatch(/No JetStream sample yet/);
    expect(p.notes.join('\n')).toMatch(/synos-cc simulate/);
    expect(p.notes.join('\n')).toMatch(/runs no engine/);
  });

  it('holds 200 services and 50 consumers, every edge between two of its nodes', () => {
    const consumers = Array.from({ length: 50 }, (_, i) => ({
      stream: 'HEALTH_METRICS',
      name: `reader_${i}`,
      numPending: i,
      numAckPending: 0,
      filter: null
    }));
    const p = assemblePicture(
      readings({
        sample: { ...sample, consumers: [...sample.consumers, ...consumers] },
        services: Array.from({ length: 200 }, (_, i) => ({
          service: `svc-${i}`,
          health: 'healthy' as const,
          running: true
        }))
      })
    );
    expect(p.nodes.filter((n) => n.kind === 'service')).toHaveLength(200);
    expect(p.nodes.filter((n) => n.kind === 'consumer')).toHaveLength(53);
    const ids = new Set(p.nodes.map((n) => n.id));
    expect(ids.size).toBe(p.nodes.length);
    expect(p.edges.every((e) => ids.has(e.source) && ids.has(e.target))).toBe(true);
    expect(new Set(p.edges.map((e) => e.id)).size).toBe(p.edges.length);
  });
});
