/**
 * At least one valid `data` per message type ({@link EXAMPLES}), which the tests validate and the
 * simulator and the generated documentation use.
 */
import { type Envelope, type MessageData, type MessageType } from './message-schemas';

// ---------------------------------------------------------------------------------------------
// Examples (valid data per type), used by the tests and the simulator's documentation
// ---------------------------------------------------------------------------------------------

/** At least one valid `data` per message type. */
export const EXAMPLES: { readonly [T in MessageType]: readonly MessageData<T>[] } = {
  'consciousness.state_change': [
    {
      focus: 'payments',
      valence: -0.2,
      arousal: 0.5,
      confidence: 0.5,
      curiosity: 0.6,
      load: 0.42,
      mode: 'adaptive',
      open_problems: 1
    },
    {
      focus: null,
      valence: 0,
      arousal: 0.3,
      confidence: 0.5,
      curiosity: 0.5,
      load: 0,
      mode: 'adaptive',
      open_problems: 0
    }
  ],
  'consciousness.attention_shift': [
    { from: null, to: 'payments', weight: 1, reason: 'service.health.update: payments is unhealthy' },
    { from: 'payments', to: null, weight: 0.19, reason: 'attention on payments decayed below 0.2' }
  ],
  'consciousness.memory_update': [
    { op: 'store', key: 'payments', touches: 1 },
    { op: 'promote', key: 'payments', touches: 3 },
    { op: 'evict', key: 'user:alice' }
  ],
  'consciousness.decision_made': [
    {
      problem_id: 'p-17',
      kind: 'service_unhealthy',
      action: 'restart_service',
      confidence: 0.6,
      rationale: 'restart_service has the highest learned weight for service_unhealthy (0.60)',
      target: 'payments'
    }
  ],
  'consciousness.learning_event': [
    { kind: 'mode', from: 'adaptive', to: 'focused' },
    {
      kind: 'strategy',
      problem_kind: 'service_unhealthy',
      action: 'restart_service',
      success: true,
      weight: 0.68,
      problem_id: 'p-17'
    }
  ],
  'consciousness.error': [{ code: 'INVALID_INPUT_DATA', message: 'service.health.update: status: Invalid option' }],
  'service.lifecycle.started': [
    { service: 'payments', instance: 'payments-1', version: '2.4.1' },
    { service: 'search' }
  ],
  'service.lifecycle.stopped': [
    { service: 'payments', reason: 'crashed', exit_code: 137 },
    { service: 'search', reason: 'requested', exit_code: 0 }
  ],
  'service.health.update': [
    { service: 'payments', status: 'unhealthy', detail: 'readiness probe failed 3 times' },
    { service: 'payments', status: 'healthy' }
  ],
  'system.resource.update': [
    { cpu: 0.42, memory: 0.61, disk: 0.3 },
    { cpu: 0.97, memory: 0.5 }
  ],
  'user.request.received': [{ request_id: 'r-1001', user: 'alice', intent: 'show failing services', priority: 'high' }],
  'security.auth.failure': [
    { user: 'mallory', source_ip: '203.0.113.7', method: 'password', reason: 'bad password', attempts: 5 }
  ],
  'security.threat.detected': [
    {
      threat_id: 't-42',
      severity: 'high',
      target: 'payments',
      category: 'intrusion',
      description: 'port scan from 203.0.113.7',
      source_ip: '203.0.113.7'
    }
  ],
  'security.threat.resolved': [{ threat_id: 't-42', target: 'payments', resolution: 'source blocked at the firewall' }],
  'security.policy.violation': [
    {
      policy: 'no-root-containers',
      actor: 'deploy-bot',
      target: 'search',
      detail: 'container runs as uid 0',
      severity: 'medium'
    }
  ],
  'health.heartbeat': [
    { service: 'control_center', instance: 'workstation-1', status: 'healthy', version: '0.1.0', uptime_s: 120 }
  ],
  'metrics.summary': [
    {
      service: 'control_center',
      instance: 'workstation-1',
      window_s: 30,
      inbound: {
        received: 1500,
        accepted: 1498,
        invalid: 2,
        invalid_by_reason: { not_json: 2 },
        naks: 0,
        rate_per_s: 50
      },
      outbound: { published: 40, failed: 0, dropped: 0 },
      engine: {
        focus: 'payments',
        valence: -0.1,
        arousal: 0.4,
        confidence: 0.5,
        curiosity: 0.5,
        load: 0.55,
        mode: 'adaptive',
        open_problems: 1,
        events_emitted: 20,
        errors: 0
      },
      rss_bytes: 123_456_789
    }
  ],
  'alert.notification': [
    {
      rule: 'nats_disconnected',
      severity: 'ERROR',
      state: 'firing',
      target: 'nats://127.0.0.1:4222',
      message: 'NATS disconnected for more than 10 s',
      since: '2026-01-01T00:00:00.000Z',
      value: 12,
      threshold: 10
    }
  ]
};

/** A complete example envelope for a type (tests, docs). */
export function exampleEnvelope<T extends MessageType>(type: T, index = 0): Envelope<MessageData<T>> {
  const data = EXAMPLES[type][index];
  if (data === undefined) throw new RangeError(`no example ${index} for ${type}`);
  return {
    specversion: '1.0',
    id: `example-${type}-${index}`,
    source: 'synos/examples',
    type,
    time: '2026-01-01T00:00:00.000Z',
    datacontenttype: 'application/json',
    data
  };
}
