/**
 * What each input type does to the engine: which target it draws attention to and how strongly,
 * the problems it opens or resolves, how it moves the emotion, and how it is summed up in memory.
 * Also the services' last known condition (health, running), which decides transitions.
 */
import type { EngineInputType, MessageData } from '../contract/messages';
import type { EngineConfig } from './config';
import type { Emotion } from './emotion';
import type { ProblemBook } from './problems';
import type { EngineEvent, ServiceCondition } from './types';

/** What one input does, before the shared bookkeeping (attention, memory, evaluation). */
export interface Effect {
  target: string;
  salience: number;
  reason: string;
  summary: string;
}

/** Services seen (bounded; the oldest-seen goes first) and their last known condition. */
export class ServiceConditions {
  readonly known = new Set<string>();
  readonly conditions = new Map<string, ServiceCondition>();

  constructor(private readonly maxKnown: number) {}

  condition(service: string): ServiceCondition {
    let c = this.conditions.get(service);
    if (!c) {
      // Bounded like the novelty set: the oldest-seen service's condition goes first.
      if (this.conditions.size >= this.maxKnown) {
        const oldest = this.conditions.keys().next().value;
        if (oldest !== undefined) this.conditions.delete(oldest);
      }
      c = { health: null, running: null };
      this.conditions.set(service, c);
    }
    return c;
  }

  /** Remembers a service; true when it was never seen before (curiosity rises). */
  notice(service: string): boolean {
    if (this.known.has(service)) return false;
    if (this.known.size >= this.maxKnown) {
      const oldest = this.known.values().next().value;
      if (oldest !== undefined) this.known.delete(oldest);
    }
    this.known.add(service);
    return true;
  }
}

/** Applies one validated input of `type` at time `t`; decisions and learning go to `out`. */
export function applyInput(
  config: EngineConfig,
  book: ProblemBook,
  emotion: Emotion,
  services: ServiceConditions,
  type: EngineInputType,
  data: unknown,
  t: number,
  out: EngineEvent[],
  cause: string | undefined
): Effect {
  const s = config.attention.salience;
  switch (type) {
    case 'service.lifecycle.started': {
      const d = data as MessageData<'service.lifecycle.started'>;
      if (services.notice(d.service)) emotion.novelty();
      const cond = services.condition(d.service);
      const wasDown = cond.running === false;
      cond.running = true;
      if (book.resolve('service_stopped', d.service, t, out, cause) || wasDown) emotion.recovery();
      return {
        target: d.service,
        salience: s.started,
        reason: `service.lifecycle.started: ${d.service} started`,
        summary: `${d.service} started${d.version ? ` (version ${d.version})` : ''}`
      };
    }
    case 'service.lifecycle.stopped': {
      const d = data as MessageData<'service.lifecycle.stopped'>;
      if (services.notice(d.service)) emotion.novelty();
      const cond = services.condition(d.service);
      cond.running = false;
      const expected =
        d.exit_code === 0 || (d.reason !== undefined && config.problems.expectedStopReasons.includes(d.reason));
      const why = `${d.service} stopped${d.reason ? ` (${d.reason})` : ''}${d.exit_code !== undefined ? ` with exit code ${d.exit_code}` : ''}`;
      if (!expected) {
        book.open('service_stopped', d.service, d.service, `${why}, unexpectedly`, t, out, cause);
        return {
          target: d.service,
          salience: s.stoppedUnexpectedly,
          reason: `service.lifecycle.stopped: ${why}, unexpectedly`,
          summary: why
        };
      }
      return {
        target: d.service,
        salience: s.stoppedExpectedly,
        reason: `service.lifecycle.stopped: ${why}`,
        summary: why
      };
    }
    case 'service.health.update': {
      const d = data as MessageData<'service.health.update'>;
      if (services.notice(d.service)) emotion.novelty();
      const cond = services.condition(d.service);
      const before = cond.health;
      cond.health = d.status;
      cond.running = true;
      const why = `${d.service} is ${d.status}${d.detail ? `: ${d.detail}` : ''}`;
      if (d.status === 'unhealthy') {
        // Alarm on the transition, not on every repeated report, or a chatty prober would pin valence at -1.
        if (before !== 'unhealthy') emotion.alarm();
        book.open('service_unhealthy', d.service, d.service, why, t, out, cause);
        return { target: d.service, salience: s.unhealthy, reason: `service.health.update: ${why}`, summary: why };
      }
      if (d.status === 'degraded') {
        return { target: d.service, salience: s.degraded, reason: `service.health.update: ${why}`, summary: why };
      }
      const cleared = book.resolve('service_unhealthy', d.service, t, out, cause);
      const restarted = book.resolve('service_stopped', d.service, t, out, cause);
      if (cleared || restarted || before === 'degraded') emotion.recovery();
      return { target: d.service, salience: s.healthy, reason: `service.health.update: ${why}`, summary: why };
    }
    case 'system.resource.update': {
      const d = data as MessageData<'system.resource.update'>;
      const peak = Math.max(d.cpu, d.memory, d.disk ?? 0);
      const which = peak === d.cpu ? 'cpu' : peak === d.memory ? 'memory' : 'disk';
      const why = `${which} at ${Math.round(peak * 100)}%`;
      const p = config.problems;
      if (peak > p.resourceOpenAbove) {
        book.open('resource_exhaustion', 'system', 'system', why, t, out, cause);
      } else if (peak <= p.resourceClearAtOrBelow) {
        if (book.resolve('resource_exhaustion', 'system', t, out, cause)) emotion.recovery();
      }
      const high = peak > config.attention.resourceHighAbove;
      return {
        target: 'system',
        salience: high ? s.resourceHigh : s.resourceNormal,
        reason: `system.resource.update: ${why}`,
        summary: `cpu ${Math.round(d.cpu * 100)}%, memory ${Math.round(d.memory * 100)}%${d.disk !== undefined ? `, disk ${Math.round(d.disk * 100)}%` : ''}`
      };
    }
    case 'user.request.received': {
      const d = data as MessageData<'user.request.received'>;
      const target = `user:${d.user}`;
      return {
        target,
        salience: s.userRequest,
        reason: `user.request.received: ${d.user} asks "${d.intent}"`,
        summary: `asked "${d.intent}"`
      };
    }
    case 'security.threat.detected': {
      const d = data as MessageData<'security.threat.detected'>;
      const target = d.target ?? 'system';
      const why = `${d.severity} threat ${d.threat_id} against ${target}${d.description ? `: ${d.description}` : ''}`;
      if (!book.openByCause.has(`security_threat|${d.threat_id}`)) emotion.alarm();
      book.open('security_threat', d.threat_id, target, why, t, out, cause);
      return { target, salience: s.threat, reason: `security.threat.detected: ${why}`, summary: why };
    }
    case 'security.threat.resolved': {
      const d = data as MessageData<'security.threat.resolved'>;
      const problem = book.openProblems.get(book.openByCause.get(`security_threat|${d.threat_id}`) ?? '');
      const target = d.target ?? problem?.target ?? 'system';
      if (book.resolve('security_threat', d.threat_id, t, out, cause)) emotion.recovery();
      return {
        target,
        salience: s.threatResolved,
        reason: `security.threat.resolved: threat ${d.threat_id} resolved`,
        summary: `threat ${d.threat_id} resolved`
      };
    }
    case 'security.auth.failure': {
      const d = data as MessageData<'security.auth.failure'>;
      const target = d.user ? `user:${d.user}` : 'system';
      const why = `authentication failure${d.user ? ` for ${d.user}` : ''}${d.source_ip ? ` from ${d.source_ip}` : ''}`;
      return { target, salience: s.authFailure, reason: `security.auth.failure: ${why}`, summary: why };
    }
    case 'security.policy.violation': {
      const d = data as MessageData<'security.policy.violation'>;
      const target = d.target ?? 'system';
      const why = `${d.actor} violated ${d.policy}${d.target ? ` on ${d.target}` : ''}`;
      return { target, salience: s.policyViolation, reason: `security.policy.violation: ${why}`, summary: why };
    }
  }
}
