/**
 * The alert rules of docs/architecture.md §5: each has a stable id, a unit, default settings, and an evaluation
 * that turns one reading of {@link AlertInputs} into findings per target. A rule whose source is
 * absent returns null ("no data"): it neither fires nor resolves anything.
 */
import { ContractError, type AlertRuleId, type AlertSeverity, type RuleSetInput, type RuleValues } from '../contract';
import type { AlertInputs } from './inputs';
import { streamUsageRatio } from './metrics';

/** What a rule saw for one target. */
export interface Finding {
  /** Dedupe key together with the rule id: `connection`, a breaker name, `STREAM/consumer`, … */
  target: string;
  /** The measured value, in the rule's unit. */
  value: number;
  /** Whether the value is over the threshold (the alert fires once this has held for forSeconds). */
  over: boolean;
  /** Whether the value is at or over the critical threshold. */
  critical: boolean;
  message: string;
}

export type RuleUnit = 'seconds' | 'count' | 'ratio' | 'per_minute';

export interface RuleDefinition {
  id: AlertRuleId;
  title: string;
  description: string;
  unit: RuleUnit;
  defaults: RuleValues;
  /** Largest threshold that makes sense (ratios ≤ 1); none when unbounded. */
  maxThreshold?: number;
  /** Findings for every target seen, or null when the rule's source has no data. */
  evaluate(inputs: AlertInputs, values: RuleValues): Finding[] | null;
}

/** Whether `value` passes the threshold: strictly above, or at-or-above for `inclusive` rules. */
function over(value: number, threshold: number, inclusive = false): boolean {
  return inclusive ? value >= threshold : value > threshold;
}

function critical(value: number, values: RuleValues): boolean {
  return values.criticalThreshold !== null && value >= values.criticalThreshold;
}

function finding(target: string, value: number, values: RuleValues, message: string, inclusive = false): Finding {
  return { target, value, over: over(value, values.threshold, inclusive), critical: critical(value, values), message };
}

function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(1)} %`;
}

function ms(seconds: number): string {
  return `${(seconds * 1000).toFixed(1)} ms`;
}

const defaults = (
  threshold: number,
  severity: AlertSeverity,
  extra: Partial<Pick<RuleValues, 'criticalThreshold' | 'forSeconds'>> = {}
): RuleValues => ({
  enabled: true,
  threshold,
  criticalThreshold: extra.criticalThreshold ?? null,
  severity,
  forSeconds: extra.forSeconds ?? 0
});

export const ALERT_RULES: readonly RuleDefinition[] = [
  {
    id: 'database.unwritable',
    title: 'Database cannot write',
    description:
      'The SQLite database cannot be written (full disk, or less than 64 KiB free): nothing new is stored — outbox, alerts, engine state (1 = cannot write).',
    unit: 'count',
    defaults: defaults(0, 'CRITICAL'),
    evaluate(inputs, values) {
      if (!inputs.database) return null;
      const { writable, reason } = inputs.database;
      return [
        finding(
          'database',
          writable ? 0 : 1,
          values,
          writable
            ? 'the database can be written'
            : `the database cannot be written: ${reason ?? 'unknown reason'}; free space on its disk`
        )
      ];
    }
  },
  {
    id: 'nats.disconnected',
    title: 'NATS disconnected',
    description: 'The app has been trying to reach NATS for longer than the threshold (seconds).',
    unit: 'seconds',
    defaults: defaults(10, 'ERROR'),
    evaluate(inputs, values) {
      const { state, offlineSince } = inputs.connection;
      // "offline" means nothing is being tried (the operator disconnected, or auto-connect is off).
      const trying = state === 'connecting' || state === 'reconnecting' || state === 'disconnected';
      const since = offlineSince ? Date.parse(offlineSince) : NaN;
      const seconds = trying && Number.isFinite(since) ? Math.max(0, (inputs.now - since) / 1000) : 0;
      return [finding('connection', seconds, values, `NATS unreachable for ${seconds.toFixed(0)} s (state ${state})`)];
    }
  },
  {
    id: 'breaker.open',
    title: 'Circuit breaker open',
    description: 'A circuit breaker has opened after repeated failures; its operation is not attempted (1 = open).',
    unit: 'count',
    defaults: defaults(0, 'ERROR'),
    evaluate(inputs, values) {
      if (!inputs.breakers) return null;
      return inputs.breakers.map((b) =>
        finding(b.name, b.state === 'open' ? 1 : 0, values, `circuit breaker "${b.name}" is ${b.state}`)
      );
    }
  },
  {
    id: 'emergency.mode',
    title: 'Emergency mode',
    description: 'Emergency mode holds every breaker open: nothing is published until it is released (1 = on).',
    unit: 'count',
    defaults: defaults(0, 'WARNING'),
    evaluate(inputs, values) {
      if (inputs.emergency === null) return null;
      return [
        finding(
          'resilience',
          inputs.emergency ? 1 : 0,
          values,
          inputs.emergency ? 'emergency mode is on: every breaker is held open' : 'emergency mode is off'
        )
      ];
    }
  },
  {
    id: 'outbox.backlog',
    title: 'Outbox backlog',
    description: 'Messages waiting in the outbox (pending, processing, retrying) above the threshold.',
    unit: 'count',
    defaults: defaults(1000, 'WARNING', { criticalThreshold: 10_000 }),
    evaluate(inputs, values) {
      if (!inputs.outbox) return null;
      const o = inputs.outbox;
      const backlog = o.pending + o.processing + o.retrying;
      const age = o.oldestPendingAgeSeconds === null ? '' : `, oldest ${o.oldestPendingAgeSeconds.toFixed(0)} s old`;
      return [finding('outbox', backlog, values, `${backlog} messages waiting in the outbox${age}`)];
    }
  },
  {
    id: 'dlq.nonempty',
    title: 'Dead letters',
    description: 'Outbox rows that failed every attempt (the DLQ); retry or discard them.',
    unit: 'count',
    defaults: defaults(0, 'ERROR'),
    evaluate(inputs, values) {
      if (!inputs.outbox) return null;
      const dead = inputs.outbox.dead;
      return [
        finding('outbox', dead, values, `${dead} dead letters in the outbox: run "synos-cc dlq retry" or "dlq discard"`)
      ];
    }
  },
  {
    id: 'consumer.pending',
    title: 'Consumer pending',
    description: 'Messages not yet delivered to a durable consumer (num_pending) above the threshold.',
    unit: 'count',
    defaults: defaults(1000, 'WARNING'),
    evaluate(inputs, values) {
      if (!inputs.consumers) return null;
      return inputs.consumers.map((c) =>
        finding(
          `${c.stream}/${c.consumer}`,
          c.pending,
          values,
          `consumer ${c.consumer} on ${c.stream} has ${c.pending} messages pending`
        )
      );
    }
  },
  {
    id: 'consumer.ack_pending',
    title: 'Consumer ack pending',
    description: 'Messages delivered to a durable consumer and not acknowledged (num_ack_pending) above the threshold.',
    unit: 'count',
    defaults: defaults(500, 'WARNING'),
    evaluate(inputs, values) {
      if (!inputs.consumers) return null;
      return inputs.consumers.map((c) =>
        finding(
          `${c.stream}/${c.consumer}`,
          c.ackPending,
          values,
          `consumer ${c.consumer} on ${c.stream} has ${c.ackPending} messages awaiting ack`
        )
      );
    }
  },
  {
    id: 'stream.usage',
    title: 'Stream near its limits',
    description: 'A stream holds this share of its max_msgs or max_bytes (the larger); critical at the second level.',
    unit: 'ratio',
    maxThreshold: 1,
    defaults: defaults(0.8, 'WARNING', { criticalThreshold: 0.95 }),
    evaluate(inputs, values) {
      if (!inputs.streams) return null;
      return inputs.streams.map((s) => {
        const usage = streamUsageRatio(s);
        return finding(
          s.stream,
          usage,
          values,
          `stream ${s.stream} is at ${pct(usage)} of its limits (${s.messages} msgs, ${s.bytes} bytes)`,
          true
        );
      });
    }
  },
  {
    id: 'kv.usage',
    title: 'Key-value bucket near its max bytes',
    description:
      'A key-value bucket holds this share of its max bytes (buckets without a byte limit never fire); critical at the second level. Writes fail once it is full.',
    unit: 'ratio',
    maxThreshold: 1,
    defaults: defaults(0.8, 'WARNING', { criticalThreshold: 0.95 }),
    evaluate(inputs, values) {
      if (!inputs.streams) return null;
      // A bucket is the stream KV_<bucket>; its bytes count every kept revision and marker.
      return inputs.streams
        .filter((s) => s.stream.startsWith('KV_') && s.maxBytes > 0)
        .map((s) => {
          const usage = s.bytes / s.maxBytes;
          const bucket = s.stream.slice('KV_'.length);
          return finding(
            `kv:${bucket}`,
            usage,
            values,
            `key-value bucket ${bucket} is at ${pct(usage)} of its max bytes (${s.bytes} of ${s.maxBytes} bytes)`,
            true
          );
        });
    }
  },
  {
    id: 'publish.p99',
    title: 'Slow publishing',
    description: 'The 99th percentile of publish-to-PubAck latency over the last minute above the threshold (seconds).',
    unit: 'seconds',
    defaults: defaults(0.05, 'WARNING'),
    evaluate(inputs, values) {
      // Without recent publishes there is no latency to judge: not firing, so an old alert resolves.
      const p99 = inputs.publishP99Seconds;
      if (p99 === null)
        return [{ target: 'publisher', value: 0, over: false, critical: false, message: 'no recent publishes' }];
      return [
        finding('publisher', p99, values, `publish p99 latency is ${ms(p99)} (threshold ${ms(values.threshold)})`)
      ];
    }
  },
  {
    id: 'invalid.rate',
    title: 'Invalid messages',
    description: 'Received messages rejected as invalid during the last minute above the threshold.',
    unit: 'per_minute',
    defaults: defaults(10, 'WARNING'),
    evaluate(inputs, values) {
      if (inputs.invalidPerMinute === null) return null;
      const rate = inputs.invalidPerMinute;
      return [finding('inbound', rate, values, `${rate} invalid messages in the last minute`)];
    }
  },
  {
    id: 'engine.overload',
    title: 'Engine overloaded',
    description: "The engine's cognitive load stays above the threshold (0–1) for the set time.",
    unit: 'ratio',
    maxThreshold: 1,
    defaults: defaults(0.9, 'WARNING', { forSeconds: 30 }),
    evaluate(inputs, values) {
      if (!inputs.engine) return null;
      const load = inputs.engine.load;
      return [finding('engine', load, values, `engine load is ${pct(load)}`)];
    }
  },
  {
    id: 'server.unhealthy',
    title: 'NATS server unhealthy',
    description: "A NATS server's health check (HEALTHZ) reports a problem (1 = unhealthy).",
    unit: 'count',
    defaults: defaults(0, 'ERROR'),
    evaluate(inputs, values) {
      if (!inputs.servers) return null;
      return inputs.servers
        .filter((s) => s.healthy !== null)
        .map((s) =>
          finding(
            s.server,
            s.healthy ? 0 : 1,
            values,
            s.healthy
              ? `server ${s.server} is healthy`
              : `server ${s.server} is unhealthy: ${s.healthError ?? 'no reason given'}`
          )
        );
    }
  },
  {
    id: 'server.jetstream_storage',
    title: 'JetStream storage near its limit',
    description: "A server's JetStream file storage holds this share of its limit; critical at the second level.",
    unit: 'ratio',
    maxThreshold: 1,
    defaults: defaults(0.8, 'WARNING', { criticalThreshold: 0.95 }),
    evaluate(inputs, values) {
      if (!inputs.servers) return null;
      return inputs.servers
        .filter((s) => s.jetstreamStorageRatio !== null)
        .map((s) =>
          finding(
            s.server,
            s.jetstreamStorageRatio!,
            values,
            `server ${s.server} uses ${pct(s.jetstreamStorageRatio!)} of its JetStream storage`,
            true
          )
        );
    }
  },
  {
    id: 'server.slow_consumers',
    title: 'Slow consumers rising',
    description: 'A server counted more slow consumers since its previous sample than the threshold.',
    unit: 'count',
    defaults: defaults(0, 'WARNING'),
    evaluate(inputs, values) {
      if (!inputs.servers) return null;
      return inputs.servers
        .filter((s) => s.slowConsumersDelta !== null)
        .map((s) =>
          finding(
            s.server,
            s.slowConsumersDelta!,
            values,
            `server ${s.server} counted ${s.slowConsumersDelta} new slow consumers since its previous sample`
          )
        );
    }
  },
  {
    id: 'engine.no_leader',
    title: 'No engine running',
    description:
      'No core has held the engine lease for longer than the threshold, in lease TTLs (2 = twice engine.leaseTtlMs): nobody consumes the inbound events or decides.',
    unit: 'count',
    defaults: defaults(2, 'ERROR'),
    evaluate(inputs, values) {
      if (!inputs.leadership) return null;
      const { leaderlessSeconds, ttlSeconds } = inputs.leadership;
      const ttls = ttlSeconds > 0 ? leaderlessSeconds / ttlSeconds : 0;
      return [
        finding(
          'engine',
          Math.round(ttls * 100) / 100,
          values,
          `no core has held the engine lease for ${leaderlessSeconds.toFixed(1)} s (${ttls.toFixed(1)}× the ${ttlSeconds} s TTL): start synos-cc run or serve, or check that the cores reach NATS`
        )
      ];
    }
  }
];

const BY_ID = new Map<AlertRuleId, RuleDefinition>(ALERT_RULES.map((r) => [r.id, r]));

export function ruleDefinition(id: AlertRuleId): RuleDefinition {
  const rule = BY_ID.get(id);
  if (!rule) throw new ContractError('NOT_FOUND', `unknown alert rule "${id}"`);
  return rule;
}

/** The severity an alert has for a finding: the rule's, raised to CRITICAL at the critical level. */
export function severityFor(f: Finding, values: RuleValues): AlertSeverity {
  return f.critical ? 'CRITICAL' : values.severity;
}

/** Applies an edit to a rule's values, checking the combination; INVALID_INPUT says what to fix. */
export function applyRuleEdit(rule: RuleDefinition, current: RuleValues, edit: Omit<RuleSetInput, 'rule'>): RuleValues {
  const next: RuleValues = {
    enabled: edit.enabled ?? current.enabled,
    threshold: edit.threshold ?? current.threshold,
    criticalThreshold: edit.criticalThreshold !== undefined ? edit.criticalThreshold : current.criticalThreshold,
    severity: edit.severity ?? current.severity,
    forSeconds: edit.forSeconds ?? current.forSeconds
  };
  if (rule.maxThreshold !== undefined && next.threshold > rule.maxThreshold) {
    throw new ContractError(
      'INVALID_INPUT',
      `threshold of ${rule.id} is a ratio: give a value between 0 and ${rule.maxThreshold}`,
      {
        rule: rule.id
      }
    );
  }
  if (next.criticalThreshold !== null) {
    if (rule.maxThreshold !== undefined && next.criticalThreshold > rule.maxThreshold) {
      throw new ContractError('INVALID_INPUT', `criticalThreshold of ${rule.id} must be at most ${rule.maxThreshold}`, {
        rule: rule.id
      });
    }
    if (next.criticalThreshold < next.threshold) {
      throw new ContractError(
        'INVALID_INPUT',
        `criticalThreshold (${next.criticalThreshold}) of ${rule.id} must not be below threshold (${next.threshold}); raise it or set it to null`,
        { rule: rule.id }
      );
    }
  }
  return next;
}
