/**
 * The monitoring area: Prometheus metrics (the registry the composition root builds first and
 * hands to every area that records; /metrics when a port is configured), the sampled time series of the Metrics view, and the alert rules evaluated on a
 * timer and on connection changes. Alert transitions are stored, pushed on `alerts.transition`,
 * raised as desktop notifications (ERROR, CRITICAL) and published on `alert.<severity>.<rule>`
 * through the core's OutboundPublisher — the SQLite outbox — so those raised offline go out later.
 */
import os from 'node:os';
import {
  ContractError,
  isDiskFullError,
  type AlertRuleId,
  type AlertSeverity,
  type MetricsSample,
  type MetricsSnapshot,
  type RuleValues
} from '../contract';
import { AlertDataSchema, alertSubject } from '../contract/messages';
import type { CoreContext, CoreModule } from '../core/module';
import type { MessagePriority, OutboundMessage, OutboundPublisher } from '../core/outbound';
import { RingBuffer } from '../core/ring-buffer';
import { AlertEngine } from './alert-engine';
import { applyRuleEdit, ruleDefinition } from './alert-rules';
import { AlertStore, type StoredTransition } from './alert-store';
import { MonitoringSources, type AlertInputs, type MonitoringSourceDeps } from './inputs';
import { type MetricsRegistry, streamUsageRatio } from './metrics';
import { startMetricsServer, type MetricsServer } from './metrics-server';
import { DEFAULT_MONITORING_SETTINGS } from './settings';

export interface MonitoringOptions {
  /** How often every rule is evaluated (ms). Connection changes also trigger an evaluation. */
  evaluateIntervalMs: number;
  /** How often a metrics sample is taken and pushed (ms); config.json `monitoring.metricsSampleIntervalMs`. */
  sampleIntervalMs: number;
  /**
   * How often streams and consumers should be read from JetStream (ms). The operations module's
   * shared sampler reads them for the whole core, at the shortest interval any area asks for; from
   * config.json `monitoring.jetstreamSampleIntervalMs`, so a slower configured sample is not
   * undone by this area asking for the default.
   */
  snapshotIntervalMs: number;
  /** Samples kept for the Metrics view (900 × 2 s = 30 minutes). */
  seriesCapacity: number;
  /** Resolved alerts are deleted after maxAgeMs, and beyond the newest maxResolved. */
  retention: { maxAgeMs: number; maxResolved: number };
  cleanupIntervalMs: number;
  /** Window of the publish p99 and the samples it needs before the rule judges it. */
  p99WindowMs: number;
  p99MinSamples: number;
  /** Export prom-client's process/Node.js metrics too. */
  defaultMetrics: boolean;
  /** Rule values from the configuration (under the operator's stored edits). */
  rules: Partial<Record<AlertRuleId, Partial<RuleValues>>>;
}

export const DEFAULT_MONITORING_OPTIONS: MonitoringOptions = {
  evaluateIntervalMs: 5000,
  sampleIntervalMs: DEFAULT_MONITORING_SETTINGS.metricsSampleIntervalMs,
  // The same as the streams view's (SAMPLE_INTERVAL_MS): one shared sample serves both.
  snapshotIntervalMs: DEFAULT_MONITORING_SETTINGS.jetstreamSampleIntervalMs,
  seriesCapacity: 900,
  retention: { maxAgeMs: 30 * 24 * 60 * 60 * 1000, maxResolved: 10_000 },
  cleanupIntervalMs: 60 * 60 * 1000,
  p99WindowMs: 60_000,
  p99MinSamples: 20,
  defaultMetrics: true,
  rules: {}
};

const PRIORITY: Record<AlertSeverity, MessagePriority> = {
  INFO: 'low',
  WARNING: 'normal',
  ERROR: 'high',
  CRITICAL: 'critical'
};
const NOTIFY = new Set<AlertSeverity>(['ERROR', 'CRITICAL']);
const PUBLISH_BATCH = 100;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The `alert.notification` message announcing one transition. */
export function alertMessage(stored: StoredTransition, source: string): OutboundMessage {
  const { alert, transition } = stored;
  const state =
    transition.kind === 'resolved'
      ? 'resolved'
      : transition.kind === 'acknowledged' || (alert.acknowledgedAt !== null && alert.acknowledgedAt <= transition.at)
        ? 'acknowledged'
        : 'firing';
  const data = AlertDataSchema.parse({
    rule: alert.rule,
    severity: transition.severity,
    state,
    target: truncate(alert.target, 500),
    message: truncate(transition.message, 4000),
    since: alert.since,
    ...(transition.value !== null ? { value: transition.value } : {}),
    ...(alert.threshold !== null ? { threshold: alert.threshold } : {})
  });
  const envelope = {
    specversion: '1.0',
    id: stored.messageId,
    source,
    type: 'alert.notification',
    time: transition.at,
    datacontenttype: 'application/json',
    priority: PRIORITY[transition.severity],
    data: { ...data, alert_id: alert.id, transition: transition.kind }
  };
  return {
    id: stored.messageId,
    subject: alertSubject(transition.severity, alert.rule),
    payload: new TextEncoder().encode(JSON.stringify(envelope)),
    priority: PRIORITY[transition.severity]
  };
}

/** What the monitoring area offers other parts (and tests). */
export interface Monitoring {
  metrics: MetricsRegistry;
  engine: AlertEngine;
  store: AlertStore;
  /** Evaluates every rule now. */
  evaluate(): StoredTransition[];
  /** Hands transitions not yet published to the publisher now. */
  flush(): Promise<void>;
  /** Reads streams and consumers from JetStream now, through the core's shared sampler. */
  sampleJetStream(): Promise<void>;
  inputs(): AlertInputs;
  /** Where /metrics is served, or null. */
  endpoint(): string | null;
}

/**
 * Rule values from the config file, checked like an operator's edit; a bad one is CONFIG_INVALID
 * naming the rule, so a typo never silently disables an alert.
 */
function configuredRules(
  rules: Partial<Record<AlertRuleId, Partial<RuleValues>>>
): Partial<Record<AlertRuleId, Partial<RuleValues>>> {
  for (const [id, values] of Object.entries(rules) as Array<[AlertRuleId, Partial<RuleValues>]>) {
    const rule = ruleDefinition(id);
    try {
      applyRuleEdit(rule, rule.defaults, values);
    } catch (error) {
      throw new ContractError('CONFIG_INVALID', `config file: alerts.rules.${id}: ${(error as Error).message}`, {
        rule: id
      });
    }
  }
  return rules;
}

/** What the monitoring area needs from the areas built before it. */
export interface MonitoringDeps extends MonitoringSourceDeps {
  /** The registry every area records to (built first by the composition root). */
  metrics: MetricsRegistry;
  /** The core's outbox publisher: alert transitions go out as outbox rows. */
  publisher: OutboundPublisher;
}

export interface MonitoringModule extends CoreModule {
  monitoring: Monitoring;
}

export function createMonitoringModule(
  ctx: CoreContext,
  deps: MonitoringDeps,
  overrides: Partial<MonitoringOptions> = {}
): MonitoringModule {
  // The config file may set the intervals and rule values; the factory's overrides (tests) win.
  const options: MonitoringOptions = {
    ...DEFAULT_MONITORING_OPTIONS,
    evaluateIntervalMs: ctx.config.alerts?.evaluateIntervalMs ?? DEFAULT_MONITORING_OPTIONS.evaluateIntervalMs,
    sampleIntervalMs: ctx.config.monitoring.metricsSampleIntervalMs,
    snapshotIntervalMs: ctx.config.monitoring.jetstreamSampleIntervalMs,
    ...overrides,
    rules: { ...configuredRules(ctx.config.alerts?.rules ?? {}), ...overrides.rules }
  };
  const logger = ctx.logger.child({ part: 'monitoring' });
  const { metrics, publisher } = deps;
  const store = new AlertStore(ctx.db);
  const sources = new MonitoringSources(
    ctx,
    metrics,
    {
      snapshotIntervalMs: options.snapshotIntervalMs,
      p99WindowMs: options.p99WindowMs,
      p99MinSamples: options.p99MinSamples
    },
    deps
  );
  const source = `synos-control-center/${os.hostname()}`;

  /** The newest `seriesCapacity` samples, oldest first: the Metrics view's time series. */
  const series = new RingBuffer<MetricsSample>(options.seriesCapacity);
  let lastSample: { at: number; totals: ReturnType<MetricsRegistry['totals']> } | null = null;
  const timers: NodeJS.Timeout[] = [];
  const unsubscribers: Array<() => void> = [];
  let server: MetricsServer | null = null;
  let stopped = false;
  let flushing: Promise<void> | null = null;
  let flushAgain = false;
  let lastFlushError: string | null = null;
  /** Transitions this core reported itself; others (e.g. `synos-cc alerts ack`) are noticed by id. */
  const reportedHere = new Set<number>();
  let lastSeenTransition = 0;

  const report = (stored: StoredTransition): void => {
    reportedHere.add(stored.transition.id);
    ctx.events.emit('alerts.transition', { transition: stored.transition, alert: stored.alert });
    const kind = stored.transition.kind;
    if ((kind === 'fired' || kind === 'escalated') && NOTIFY.has(stored.transition.severity) && ctx.notifier) {
      try {
        ctx.notifier.notify({
          title: `${stored.transition.severity}: ${ruleDefinition(stored.alert.rule).title}`,
          body: stored.transition.message,
          severity: stored.transition.severity
        });
      } catch (error) {
        logger.warn('desktop notification failed', { error });
      }
    }
    scheduleFlush();
  };

  const engine = new AlertEngine({
    store,
    read: () => sources.read(),
    logger,
    onTransition: report,
    configured: options.rules
  });

  /** Publishes stored transitions not yet handed over, oldest first; retried on the next tick on failure. */
  const flushOnce = async (): Promise<void> => {
    for (;;) {
      const batch = store.unpublished(PUBLISH_BATCH);
      if (batch.length === 0) return;
      const messages: OutboundMessage[] = [];
      const ids: number[] = [];
      for (const stored of batch) {
        try {
          messages.push(alertMessage(stored, source));
        } catch (error) {
          // A row that cannot become a valid message would block every later one: skip it, loudly.
          logger.error('alert transition cannot be published; skipped', { transition: stored.transition.id, error });
        }
        ids.push(stored.transition.id);
      }
      await publisher.publishMany(messages);
      store.markPublished(ids, new Date().toISOString());
      if (batch.length < PUBLISH_BATCH) return;
    }
  };

  const flush = async (): Promise<void> => {
    if (flushing) {
      flushAgain = true;
      return flushing;
    }
    flushing = (async () => {
      do {
        flushAgain = false;
        try {
          await flushOnce();
          lastFlushError = null;
        } catch (error) {
          // A failing hand-over (the outbox cannot write: a full disk) repeats every interval: say it once per cause.
          const message = error instanceof Error ? error.message : String(error);
          if (message !== lastFlushError) logger.warn('publishing alert transitions failed; will retry', { error });
          lastFlushError = message;
          return;
        }
      } while (flushAgain && !stopped);
    })().finally(() => {
      flushing = null;
    });
    return flushing;
  };

  function scheduleFlush(): void {
    if (!stopped) void flush();
  }

  /** Pushes transitions recorded by another process on this data directory (the CLI's `alerts ack`). */
  const noticeExternal = (): void => {
    for (;;) {
      const rows = store.transitionsAfter(lastSeenTransition, 500);
      for (const stored of rows) {
        lastSeenTransition = Math.max(lastSeenTransition, stored.transition.id);
        if (reportedHere.delete(stored.transition.id)) continue;
        ctx.events.emit('alerts.transition', { transition: stored.transition, alert: stored.alert });
      }
      if (rows.length < 500) break;
    }
    for (const id of reportedHere) if (id <= lastSeenTransition) reportedHere.delete(id);
  };

  // While the disk is full even the alert saying so cannot be stored: it is raised as a notice
  // instead (pushed to every client, kept in memory), once per episode.
  let diskFullNoticed = false;
  const evaluate = (): StoredTransition[] => {
    if (stopped) return [];
    try {
      const out = engine.evaluate();
      diskFullNoticed = false;
      noticeExternal();
      metrics.setActiveAlerts(store.activeBySeverity());
      scheduleFlush();
      return out;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (isDiskFullError(error) || code === 'SQLITE_READONLY' || code === 'SQLITE_IOERR') {
        if (!diskFullNoticed) {
          diskFullNoticed = true;
          const message = `The database cannot be written (${(error as Error).message}): alert database.unwritable could not be stored. Free space on the disk of ${ctx.config.dataDir}.`;
          ctx.notices.add('error', 'database.unwritable', message);
          logger.error('DISK_FULL: the database cannot be written; alerts wait until it can', { error });
        }
        return [];
      }
      logger.error('alert evaluation failed; retrying at the next interval', { error });
      return [];
    }
  };

  let evaluateSoon: NodeJS.Timeout | null = null;
  const requestEvaluation = (): void => {
    if (evaluateSoon || stopped) return;
    evaluateSoon = setTimeout(() => {
      evaluateSoon = null;
      evaluate();
    }, 50);
    evaluateSoon.unref();
  };

  /** After a rule edit the operator expects to see its effect now, not at the next JetStream sample. */
  const reevaluateWithFreshData = (): void => {
    if (ctx.nats.connection()) void sources.sampleJetStream().finally(requestEvaluation);
    else requestEvaluation();
  };

  const sample = (): MetricsSample => {
    const now = Date.now();
    const inputs = sources.read(now);
    metrics.setOutbox(inputs.outbox);
    metrics.setBreakers(inputs.breakers, inputs.emergency);
    metrics.setEngine(inputs.engine);
    const totals = metrics.totals();
    const dt = lastSample ? Math.max(0.001, (now - lastSample.at) / 1000) : 0;
    const rate = (key: 'published' | 'received' | 'invalid'): number =>
      lastSample && dt > 0 ? Math.max(0, (totals[key] - lastSample.totals[key]) / dt) : 0;
    const latency = metrics.publishLatency(options.p99WindowMs);
    const o = inputs.outbox;
    const point: MetricsSample = {
      time: new Date(now).toISOString(),
      connected: inputs.connection.state === 'connected',
      publishedPerSecond: rate('published'),
      receivedPerSecond: rate('received'),
      invalidPerSecond: rate('invalid'),
      publishP50Seconds: latency.p50,
      publishP99Seconds: latency.p99,
      handlerP99Seconds: metrics.handlerP99(options.p99WindowMs),
      outboxBacklog: o ? o.pending + o.processing + o.retrying : null,
      outboxDead: o ? o.dead : null,
      breakersOpen: inputs.breakers
        ? inputs.breakers.filter((b) => b.state === 'open' || b.state === 'isolated').length
        : null,
      engineLoad: inputs.engine?.load ?? null,
      engineValence: inputs.engine?.valence ?? null
    };
    lastSample = { at: now, totals };
    series.push(point);
    ctx.events.emit('metrics.sample', point);
    return point;
  };

  const snapshot = (seriesLimit?: number): MetricsSnapshot => {
    const inputs = sources.read();
    const bySeverity = store.activeBySeverity();
    const at = sources.snapshotAt();
    const limit = seriesLimit ?? options.seriesCapacity;
    return {
      time: new Date(inputs.now).toISOString(),
      endpoint: server?.url ?? null,
      sampleIntervalMs: options.sampleIntervalMs,
      connection: inputs.connection,
      totals: (({ published, received, invalid }) => ({ published, received, invalid }))(metrics.totals()),
      current: series.at(series.size - 1) ?? null,
      outbox: inputs.outbox,
      breakers: inputs.breakers,
      emergency: inputs.emergency,
      consumers: inputs.consumers,
      streams: inputs.streams?.map((s) => ({ ...s, usage: streamUsageRatio(s) })) ?? null,
      snapshotAt: at === null ? null : new Date(at).toISOString(),
      engine: inputs.engine,
      alerts: { active: Object.values(bySeverity).reduce((a, b) => a + b, 0), bySeverity },
      series: limit === 0 ? [] : [...series].slice(-limit)
    };
  };

  const monitoring: Monitoring = {
    metrics,
    engine,
    store,
    evaluate,
    flush,
    sampleJetStream: () => sources.sampleJetStream(),
    inputs: () => sources.read(),
    endpoint: () => server?.url ?? null
  };

  const every = (ms: number, fn: () => void): void => {
    const timer = setInterval(fn, ms);
    timer.unref();
    timers.push(timer);
  };

  return {
    name: 'monitoring',
    monitoring,
    async start() {
      lastSeenTransition = store.lastTransitionId();
      sources.start();
      let lastState = ctx.nats.status().state;
      unsubscribers.push(
        ctx.nats.onStatus((status) => {
          // Status updates also carry RTT and server info: act on state changes only.
          if (status.state === lastState) return;
          lastState = status.state;
          requestEvaluation();
          // Back online: hand over what waited.
          if (status.state === 'connected') scheduleFlush();
        })
      );
      if (ctx.config.metricsPort !== null) {
        server = await startMetricsServer({ metrics, port: ctx.config.metricsPort, logger });
      }
      sample();
      every(options.sampleIntervalMs, () => {
        try {
          sample();
        } catch (error) {
          logger.error('metrics sample failed', { error });
        }
      });
      every(options.evaluateIntervalMs, evaluate);
      const cleanup = (): void => {
        try {
          const deleted = store.cleanup(options.retention);
          if (deleted > 0) logger.info('old resolved alerts deleted', { deleted });
        } catch (error) {
          logger.warn('alert retention cleanup failed', { error });
        }
      };
      cleanup();
      every(options.cleanupIntervalMs, cleanup);
      requestEvaluation();
    },
    async stop() {
      stopped = true;
      for (const timer of timers.splice(0)) clearInterval(timer);
      if (evaluateSoon) clearTimeout(evaluateSoon);
      for (const off of unsubscribers.splice(0)) off();
      sources.stop();
      // Whatever is already being handed to the outbox finishes before the database closes.
      if (flushing) await flushing;
      if (server) await server.close();
      server = null;
    },
    handlers: {
      'alerts.list': (input) => store.list(input),
      'alerts.history': (input) => store.history(input.id),
      'alerts.acknowledge': (input) => {
        const alert = engine.acknowledge(input.id, input.by ?? 'operator');
        metrics.setActiveAlerts(store.activeBySeverity());
        return alert;
      },
      'alerts.rules': () => engine.settings(),
      'alerts.rules.set': (input) => {
        const setting = engine.setRule(input);
        reevaluateWithFreshData();
        return setting;
      },
      'alerts.rules.reset': (input) => {
        const setting = engine.resetRule(input.rule);
        reevaluateWithFreshData();
        return setting;
      },
      'metrics.snapshot': (input) => snapshot(input.seriesLimit),
      'metrics.text': async () => ({ contentType: metrics.contentType, text: await metrics.text() })
    }
  };
}
