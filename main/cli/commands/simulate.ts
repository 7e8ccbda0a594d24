/**
 * `synos-cc simulate`: plays the orchestrator and the security side so a bare NATS comes alive.
 * Publishes valid service lifecycle/health, resource, user-request and security traffic at a
 * chosen rate with scripted incidents (a service degrading, failing and recovering; a crash and
 * restart; resource spikes; threats; bursts of user requests), and consumes
 * `orchestrator.consciousness.>` through the `orchestrator_service` durable with acks, as the
 * orchestrator would, printing what it sees.
 */
import { randomUUID } from 'node:crypto';
import { jetstream, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Command } from 'commander';
import {
  DEFAULT_INBOUND_MAPPING,
  SECURITY_EVENT_TYPES,
  validateEnvelope,
  type MessageData,
  type MessageType
} from '../../contract/messages';
import { provision } from '../../nats/topology';
import {
  connectOrThrow,
  globalsOf,
  openCore,
  parseIntOption,
  parseNumberOption,
  untilSignal,
  withCore
} from '../context';
import { newMessageId } from '../../core/message-id';

const SERVICE_NAMES = [
  'auth',
  'payments',
  'search',
  'billing',
  'inventory',
  'notifications',
  'gateway',
  'scheduler',
  'reports',
  'storage'
];

/** The subject each simulated message type goes out on: the inbound mapping reversed; security events on their own type. */
const SUBJECT_OF: Partial<Record<MessageType, string>> = {
  ...Object.fromEntries(Object.entries(DEFAULT_INBOUND_MAPPING).map(([subject, type]) => [type, subject])),
  ...Object.fromEntries(SECURITY_EVENT_TYPES.map((type) => [type, type]))
};

export interface SimulationOptions {
  /** Background messages per second. */
  rate: number;
  /** Seconds; 0 runs until the signal aborts. */
  durationS: number;
  services: number;
  /** Seconds between incidents (0: none). */
  incidentEveryS: number;
  /** When the first incident starts (ms after start). */
  firstIncidentAfterMs?: number;
  /** Consume orchestrator.consciousness.> through the orchestrator_service durable. */
  consume: boolean;
  /** Provision streams and consumers first (idempotent). */
  provision: boolean;
  /** Seed of the traffic's pseudo-random choices (same seed, same script). */
  seed: number;
  signal?: AbortSignal;
}

export interface SimulationEvent {
  kind: 'incident' | 'seen';
  time: number;
  /** incident: what happens; seen: the orchestrator subject. */
  subject: string;
  text: string;
  /** For seen messages: the envelope. */
  envelope?: { id: string; type: string; data: unknown };
  /** For incidents: the service (or `system`) involved. */
  target?: string;
}

export interface SimulationReport {
  published: number;
  publishFailures: number;
  consumed: number;
  invalidSeen: number;
  bySubject: Record<string, number>;
  incidents: number;
}

/** Small deterministic PRNG (mulberry32) so a seed replays the same script. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Scheduled {
  at: number;
  type: MessageType;
  data: unknown;
}

function serviceNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    i < SERVICE_NAMES.length
      ? SERVICE_NAMES[i]!
      : `${SERVICE_NAMES[i % SERVICE_NAMES.length]}-${Math.floor(i / SERVICE_NAMES.length) + 1}`
  );
}

/** One line describing an engine event as the orchestrator receives it. */
export function describeSeen(type: string, data: unknown): string {
  const d = data as Record<string, unknown>;
  const n = (v: unknown) => (typeof v === 'number' ? v.toFixed(2) : String(v));
  switch (type) {
    case 'consciousness.state_change':
      return `state: focus=${d.focus ?? '-'} valence=${n(d.valence)} arousal=${n(d.arousal)} confidence=${n(d.confidence)} load=${n(d.load)} mode=${d.mode} open=${d.open_problems}`;
    case 'consciousness.attention_shift':
      return `attention: ${d.from ?? '-'} -> ${d.to ?? '-'} (${n(d.weight)}) ${d.reason}`;
    case 'consciousness.memory_update':
      return `memory: ${d.op} ${d.key}`;
    case 'consciousness.decision_made':
      return `decision: ${d.action} for ${d.target ?? '?'} (${d.kind}, confidence ${n(d.confidence)}) [${d.problem_id}]`;
    case 'consciousness.learning_event':
      return d.kind === 'mode'
        ? `learning: mode ${d.from} -> ${d.to}`
        : `learning: ${d.action} on ${d.problem_kind} ${d.success ? 'succeeded' : 'failed'}; weight now ${n(d.weight)}`;
    case 'consciousness.error':
      return `engine error ${d.code}: ${d.message}`;
    default:
      return `${type}: ${JSON.stringify(data)}`;
  }
}

/**
 * Runs the simulation on a connection until the duration passes or the signal aborts.
 * `onEvent` receives each incident and each message seen on orchestrator.consciousness.>.
 */
export async function runSimulation(
  nc: NatsConnection,
  options: SimulationOptions,
  onEvent: (event: SimulationEvent) => void
): Promise<SimulationReport> {
  if (options.provision) await provision(nc);
  const js: JetStreamClient = jetstream(nc);
  const random = prng(options.seed);
  const services = serviceNames(Math.max(1, options.services));
  const status = new Map<string, 'healthy' | 'degraded' | 'unhealthy' | 'down'>(services.map((s) => [s, 'healthy']));
  const report: SimulationReport = {
    published: 0,
    publishFailures: 0,
    consumed: 0,
    invalidSeen: 0,
    bySubject: {},
    incidents: 0
  };
  const start = Date.now();
  const queue: Scheduled[] = [];
  let cpuSpike = false;
  let incidentNo = 0;
  let requestNo = 0;
  let threatNo = 0;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

  const schedule = (delayMs: number, type: MessageType, data: unknown): void => {
    queue.push({ at: Date.now() + delayMs, type, data });
  };
  const incident = (target: string, text: string): void => {
    report.incidents++;
    onEvent({ kind: 'incident', time: Date.now(), subject: 'incident', text, target });
  };

  // Scripted incidents, in turn. Durations scale with the interval so short runs still recover.
  const scripts: Array<(span: number) => void> = [
    (span) => {
      const svc = pick(services.filter((s) => status.get(s) === 'healthy')) ?? services[0]!;
      incident(svc, `${svc} degrading, failing, then recovering`);
      status.set(svc, 'degraded');
      schedule(0, 'service.health.update', { service: svc, status: 'degraded', detail: 'p99 latency above 2 s' });
      schedule(span * 0.15, 'service.health.update', {
        service: svc,
        status: 'unhealthy',
        detail: 'readiness probe failed 3 times'
      });
      setTimeout(() => status.set(svc, 'unhealthy'), span * 0.15).unref();
      setTimeout(() => status.set(svc, 'healthy'), span * 0.6).unref();
      schedule(span * 0.6, 'service.health.update', { service: svc, status: 'healthy', detail: 'recovered' });
    },
    (span) => {
      incident('system', 'resource spike: cpu at 97%');
      cpuSpike = true;
      schedule(0, 'system.resource.update', { cpu: 0.97, memory: 0.71, disk: 0.44 });
      setTimeout(() => (cpuSpike = false), span * 0.4).unref();
      schedule(span * 0.4, 'system.resource.update', { cpu: 0.35, memory: 0.6, disk: 0.44 });
    },
    (span) => {
      const svc = pick(services);
      const id = `t-${++threatNo}-${randomUUID().slice(0, 8)}`;
      incident(svc, `threat ${id} against ${svc}, resolved later`);
      schedule(0, 'security.threat.detected', {
        threat_id: id,
        severity: pick(['high', 'critical'] as const),
        target: svc,
        category: 'intrusion',
        description: 'port scan followed by login attempts',
        source_ip: `203.0.113.${Math.floor(random() * 250) + 1}`
      });
      schedule(span * 0.5, 'security.threat.resolved', {
        threat_id: id,
        target: svc,
        resolution: 'source blocked at the firewall'
      });
    },
    (span) => {
      const svc = pick(services.filter((s) => status.get(s) === 'healthy')) ?? services[0]!;
      incident(svc, `${svc} crashes and is restarted`);
      status.set(svc, 'down');
      schedule(0, 'service.lifecycle.stopped', { service: svc, reason: 'crashed', exit_code: 137 });
      setTimeout(() => status.set(svc, 'healthy'), span * 0.3).unref();
      schedule(span * 0.3, 'service.lifecycle.started', {
        service: svc,
        instance: `${svc}-${Math.floor(random() * 9) + 1}`,
        version: '2.4.1'
      });
    },
    () => {
      incident('users', 'a burst of user requests');
      for (let i = 0; i < 5; i++) {
        schedule(i * 100, 'user.request.received', {
          request_id: `r-${++requestNo}`,
          user: pick(['alice', 'bob', 'carol']),
          intent: pick(['show failing services', 'restart payments', 'why is search slow?']),
          priority: 'high'
        });
      }
    }
  ];

  /**
   * Background traffic, shaped like a real orchestrator's so attention stays meaningful: each
   * service reports its health every few seconds (every second while it is unwell), users and
   * the security side speak now and then, and resource samples fill the rest of the rate.
   */
  const lastHealth = new Map<string, number>();
  const healthDue = (now: number): Scheduled[] => {
    const out: Scheduled[] = [];
    for (const svc of services) {
      const s = status.get(svc);
      if (s === 'down') continue;
      const every = s === 'healthy' ? 5000 : 1000;
      if (now - (lastHealth.get(svc) ?? start - random() * 5000) < every) continue;
      lastHealth.set(svc, now);
      out.push({
        at: now,
        type: 'service.health.update',
        data: { service: svc, status: s === 'degraded' || s === 'unhealthy' ? s : 'healthy' }
      });
    }
    return out;
  };
  const occasional = (stepMs: number): Scheduled[] => {
    const out: Scheduled[] = [];
    if (random() < stepMs / 10_000) {
      out.push({
        at: 0,
        type: 'user.request.received',
        data: {
          request_id: `r-${++requestNo}`,
          user: pick(['alice', 'bob', 'carol', 'dave']),
          intent: pick(['list services', 'show logs', 'deploy status'])
        }
      });
    }
    if (random() < stepMs / 20_000) {
      out.push({
        at: 0,
        type: 'security.auth.failure',
        data: {
          user: pick(['mallory', 'eve', 'bob']),
          source_ip: `198.51.100.${Math.floor(random() * 250) + 1}`,
          method: 'password',
          reason: 'bad password'
        }
      });
    }
    if (random() < stepMs / 30_000) {
      out.push({
        at: 0,
        type: 'security.policy.violation',
        data: {
          policy: 'no-root-containers',
          actor: 'deploy-bot',
          target: pick(services),
          detail: 'container runs as uid 0',
          severity: 'medium'
        }
      });
    }
    return out;
  };
  const resourceSample = (): Scheduled => {
    const cpu = cpuSpike ? 0.96 + random() * 0.03 : 0.2 + random() * 0.4;
    return {
      at: 0,
      type: 'system.resource.update',
      data: { cpu: Math.round(cpu * 1000) / 1000, memory: Math.round((0.4 + random() * 0.3) * 1000) / 1000, disk: 0.44 }
    };
  };

  const encoder = new TextEncoder();
  const publish = async (type: MessageType, data: unknown): Promise<void> => {
    const subject = SUBJECT_OF[type];
    if (!subject) return;
    const id = newMessageId();
    const env = {
      specversion: '1.0',
      id,
      source: type.startsWith('security.') ? 'synos/security-simulator' : 'synos/orchestrator-simulator',
      type,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data
    };
    try {
      await js.publish(subject, encoder.encode(JSON.stringify(env)), { msgID: id });
      report.published++;
    } catch {
      report.publishFailures++;
    }
  };

  // The orchestrator side: consume what the engine tells it, with acks.
  let messages: ConsumerMessages | null = null;
  if (options.consume) {
    const consumer = await js.consumers.get('ORCHESTRATOR_EVENTS', 'orchestrator_service');
    messages = await consumer.consume({
      callback: (m) => {
        report.consumed++;
        report.bySubject[m.subject] = (report.bySubject[m.subject] ?? 0) + 1;
        const checked = validateEnvelope(m.data, { subject: m.subject });
        if (checked.ok) {
          const env = checked.envelope;
          onEvent({
            kind: 'seen',
            time: Date.now(),
            subject: m.subject,
            text: describeSeen(env.type, env.data),
            envelope: { id: env.id, type: env.type, data: env.data }
          });
        } else {
          report.invalidSeen++;
          onEvent({
            kind: 'seen',
            time: Date.now(),
            subject: m.subject,
            text: `invalid (${checked.reason}): ${checked.message}`
          });
        }
        m.ack();
      }
    });
  }

  // Every service announces itself first.
  for (const svc of services) {
    await publish('service.lifecycle.started', {
      service: svc,
      instance: `${svc}-1`,
      version: '2.4.1'
    } satisfies MessageData<'service.lifecycle.started'>);
  }

  const spanMs = Math.max(2000, options.incidentEveryS * 1000);
  let nextIncident = start + (options.firstIncidentAfterMs ?? Math.min(spanMs, 5000));
  const endAt = options.durationS > 0 ? start + options.durationS * 1000 : Infinity;
  let sent = 0;
  const stepMs = 50;
  while (Date.now() < endAt && !options.signal?.aborted) {
    const now = Date.now();
    if (options.incidentEveryS > 0 && now >= nextIncident) {
      scripts[incidentNo++ % scripts.length]!(spanMs);
      nextIncident += spanMs;
    }
    const due = queue.filter((q) => q.at <= now);
    for (const q of due) queue.splice(queue.indexOf(q), 1);
    const target = Math.floor(((now - start) / 1000) * options.rate);
    const batch: Array<Promise<void>> = due.map((q) => publish(q.type, q.data));
    for (const b of [...healthDue(now), ...occasional(stepMs)]) {
      batch.push(publish(b.type, b.data));
      sent++;
    }
    // Resource samples keep pace with the rate; a slow server makes them catch up in bounded batches.
    for (let i = 0; sent < target && i < Math.max(1, options.rate); i++, sent++) {
      const b = resourceSample();
      batch.push(publish(b.type, b.data));
    }
    await Promise.all(batch);
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, stepMs);
      options.signal?.addEventListener('abort', done, { once: true });
    });
  }
  // Give the engine's last reactions a moment to arrive before we stop consuming.
  if (messages) {
    await new Promise((r) => setTimeout(r, 500));
    await Promise.resolve(messages.close()).catch(() => undefined);
  }
  return report;
}

function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(
      'play the orchestrator and security side: publish realistic traffic with scripted incidents and print what the engine answers'
    )
    .option('--rate <n>', 'background messages per second', parseIntOption('--rate', 1, 100_000), 20)
    .option('--duration <s>', 'seconds to run (0: until Ctrl+C)', parseNumberOption('--duration', 0, 86_400 * 7), 0)
    .option('--services <n>', 'number of simulated services', parseIntOption('--services', 1, 1000), 5)
    .option(
      '--incident-every <s>',
      'seconds between scripted incidents (0: none)',
      parseNumberOption('--incident-every', 0, 86_400),
      20
    )
    .option('--seed <n>', 'seed of the pseudo-random traffic', parseIntOption('--seed', 0, 2 ** 31 - 1), 1)
    .option('--no-consume', 'do not consume orchestrator.consciousness.> (publish only)')
    .option('--no-provision', 'do not provision streams and consumers first')
    .option('--json', 'print one JSON object per line instead of text')
    .action(
      async (
        opts: {
          rate: number;
          duration: number;
          services: number;
          incidentEvery: number;
          seed: number;
          consume: boolean;
          provision: boolean;
          json?: boolean;
        },
        command: Command
      ) => {
        const core = openCore(globalsOf(command), { quiet: true, autoConnect: false });
        await withCore(core, async () => {
          await connectOrThrow(core);
          const nc = core.context.nats.requireConnection();
          const abort = new AbortController();
          void untilSignal().then(() => abort.abort());
          const print = (e: SimulationEvent): void => {
            if (opts.json) {
              process.stdout.write(
                JSON.stringify({
                  time: new Date(e.time).toISOString(),
                  kind: e.kind,
                  subject: e.subject,
                  text: e.text,
                  ...(e.envelope ? { envelope: e.envelope } : {})
                }) + '\n'
              );
            } else if (e.kind === 'incident') {
              process.stdout.write(`${formatTime(e.time)} >> incident: ${e.text}\n`);
            } else {
              process.stdout.write(`${formatTime(e.time)} ${e.subject.padEnd(38)} ${e.text}\n`);
            }
          };
          if (!opts.json) {
            process.stdout.write(
              `simulating ${opts.services} services at ${opts.rate} msg/s${opts.incidentEvery > 0 ? `, an incident every ${opts.incidentEvery} s` : ''}${opts.duration > 0 ? ` for ${opts.duration} s` : ' until Ctrl+C'}\n`
            );
          }
          const report = await runSimulation(
            nc,
            {
              rate: opts.rate,
              durationS: opts.duration,
              services: opts.services,
              incidentEveryS: opts.incidentEvery,
              consume: opts.consume,
              provision: opts.provision,
              seed: opts.seed,
              signal: abort.signal
            },
            print
          );
          if (opts.json) {
            process.stdout.write(JSON.stringify({ kind: 'report', ...report }) + '\n');
          } else {
            process.stdout.write(
              `published ${report.published} (${report.publishFailures} failed), ${report.incidents} incidents; consumed ${report.consumed} from orchestrator.consciousness.>\n`
            );
            for (const [subject, n] of Object.entries(report.bySubject).sort())
              process.stdout.write(`  ${subject.padEnd(38)} ${n}\n`);
          }
        });
      }
    );
}
