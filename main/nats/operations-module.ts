/**
 * JetStream operations as a core module: provisioning on connect (the `provisioning` service other
 * other areas await before binding consumers), inspection of every stream and consumer, the message
 * browser, purge/delete behind confirm, the snapshot cache that answers while disconnected, and the
 * core's one JetStream sampler (read by the monitoring area too).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import {
  ContractError,
  type AccountOverview,
  type ConsumerList,
  type ProvisionReport,
  type StreamDetail,
  type StreamList
} from '../contract';
import { backoffDelayMs, type BackoffPolicy } from '../core/backoff';
import type { CoreContext, CoreModule } from '../core/module';
import { DEFAULT_MONITORING_SETTINGS } from '../monitoring/settings';
import { MessageBrowser } from './messages';
import { toNatsContractError, featureTable } from './connection';
import {
  StreamInspector,
  type StreamRecord,
  JetStreamSampler,
  type JetStreamSample,
  type JetStreamSamplerService,
  type SampledConsumer,
  SnapshotStore
} from './inspection';
import { describeReport, provision, type ProvisionOptions } from './topology';

export type { JetStreamSamplerService } from './inspection';

/** What other modules (the engine bridge) use: await ensure() before binding durable consumers. */
export interface ProvisioningService {
  /**
   * Provisions once per connection (memoised per NatsConnection) and resolves with the report, or
   * with null when provisioning is disabled (`provision: false`, `--no-provision`).
   * Rejects with NOT_CONNECTED while there is no connection, or with the provisioning failure.
   */
  ensure(): Promise<ProvisionReport | null>;
}

/** Runs provisioning for a connection at most once, retrying after a failure. */
class ProvisioningRunner implements ProvisioningService {
  private readonly runs = new WeakMap<NatsConnection, Promise<ProvisionReport>>();

  constructor(private readonly ctx: CoreContext) {}

  options(input: { replicas?: number | undefined; duplicateWindowMs?: number | undefined } = {}): ProvisionOptions {
    return {
      replicas: input.replicas ?? this.ctx.config.topology.replicas,
      duplicateWindowMs: input.duplicateWindowMs ?? this.ctx.config.topology.duplicateWindowMs
    };
  }

  ensure(): Promise<ProvisionReport | null> {
    if (!this.ctx.config.provision) return Promise.resolve(null);
    let nc: NatsConnection;
    try {
      nc = this.ctx.nats.requireConnection();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.ensureFor(nc);
  }

  ensureFor(nc: NatsConnection): Promise<ProvisionReport> {
    const existing = this.runs.get(nc);
    if (existing) return existing;
    const run = this.run(nc, this.options());
    this.runs.set(nc, run);
    // A failed run is forgotten so the next ensure() (or the next connection) tries again.
    run.catch(() => this.runs.delete(nc));
    return run;
  }

  /**
   * Forgets this connection's run: after nats.js reconnects the same connection to a restarted
   * server, memory streams (PRIORITY_EVENTS) are gone and must be provisioned again.
   */
  forget(nc: NatsConnection): void {
    this.runs.delete(nc);
  }

  /** An explicit apply (streams.provision): becomes this connection's run. */
  apply(nc: NatsConnection, options: ProvisionOptions): Promise<ProvisionReport> {
    const run = this.run(nc, options);
    this.runs.set(nc, run);
    run.catch(() => this.runs.delete(nc));
    return run;
  }

  private async run(nc: NatsConnection, options: ProvisionOptions): Promise<ProvisionReport> {
    const logger = this.ctx.logger.child({ part: 'provisioning' });
    let report: ProvisionReport;
    try {
      report = await provision(nc, options);
    } catch (error) {
      const typed = error instanceof ContractError ? error : toNatsContractError(error, [nc.getServer()]);
      logger.error('provisioning failed', { code: typed.code, error: typed.message });
      throw typed;
    }
    const { summary } = report;
    logger.info('provisioned streams and consumers', { ...summary, server: report.serverVersion });
    if (summary.blocked > 0 || summary.failed > 0) {
      this.ctx.notices.add(
        'warning',
        'provisioning.blocked',
        `Provisioning could not apply everything: ${describeReport(report)
          .filter((l) => l.includes('blocked') || l.includes('failed'))
          .join('; ')}`,
        { summary }
      );
    }
    this.ctx.events.emit('streams.provisioned', report);
    return report;
  }
}

/**
 * How often the sampler refreshes the snapshot cache while connected, unless config.json sets
 * `monitoring.jetstreamSampleIntervalMs`. Other areas may ask the shared sampler for a shorter
 * interval (JetStreamSamplerService.requestInterval); the shortest wins.
 */
export const SAMPLE_INTERVAL_MS = DEFAULT_MONITORING_SETTINGS.jetstreamSampleIntervalMs;

/** Waits before provisioning is tried again after a failure on the same connection: 1 s doubling up to 15 s. */
export const PROVISION_RETRY: BackoffPolicy = { initialMs: 1000, maxMs: 15_000 };

/** Errors after which the cache answers instead (the connection is gone or going). */
const OFFLINE_CODES = new Set(['NOT_CONNECTED', 'NATS_UNREACHABLE', 'TIMEOUT', 'TRANSPORT_CLOSED']);

interface Tools {
  inspector: StreamInspector;
  browser: MessageBrowser;
}

/** The JetStream operations module: provisioning, inspection, browser and the snapshot cache. */
export interface OperationsModule extends CoreModule {
  /** Awaited before binding durable consumers (the engine bridge, the outbox's replay). */
  provisioning: ProvisioningService;
  /** The core's one JetStream sampler (the monitoring area reads it too). */
  sampler: JetStreamSamplerService;
}

export function createOperationsModule(ctx: CoreContext): OperationsModule {
  const logger = ctx.logger.child({ part: 'streams' });
  const runner = new ProvisioningRunner(ctx);
  const service: ProvisioningService = { ensure: () => runner.ensure() };
  const snapshots = new SnapshotStore(ctx.db);
  const tools = new WeakMap<NatsConnection, Tools>();
  let unsubscribe: (() => void) | null = null;

  function toolsFor(nc: NatsConnection): Tools {
    let t = tools.get(nc);
    if (!t) {
      t = { inspector: new StreamInspector(nc), browser: new MessageBrowser(nc) };
      tools.set(nc, t);
    }
    return t;
  }

  /** Runs a live read; when offline (or the read dies with the connection) answers from the cache. */
  async function liveOrCached<T>(live: (t: Tools) => Promise<T>, cached: () => T | null, what: string): Promise<T> {
    const nc = ctx.nats.connection();
    if (nc) {
      try {
        return await live(toolsFor(nc));
      } catch (error) {
        const code = error instanceof ContractError ? error.code : null;
        const fallback =
          code !== null && OFFLINE_CODES.has(code) && ctx.nats.status().state !== 'connected' ? cached() : null;
        if (fallback) return fallback;
        throw error;
      }
    }
    const fallback = cached();
    if (fallback) return fallback;
    const status = ctx.nats.status();
    throw new ContractError(
      'NOT_CONNECTED',
      `not connected to NATS (state: ${status.state}) and no snapshot of ${what} has been taken yet`,
      {
        state: status.state,
        lastError: status.lastError,
        hint: status.hint ?? 'Connect once; the streams view is remembered for offline use.'
      }
    );
  }

  function streamList(records: StreamRecord[], time: string, cached: boolean): StreamList {
    return { cached, snapshotTime: time, streams: records.map((r) => r.stream) };
  }

  async function refreshStreams(t: Tools): Promise<StreamList> {
    const records = await t.inspector.listStreams();
    const now = new Date();
    snapshots.saveStreams(records, now);
    const list = streamList(records, now.toISOString(), false);
    ctx.events.emit('streams.snapshot', list);
    return list;
  }

  async function refreshConsumers(t: Tools, stream: string): Promise<ConsumerList> {
    const consumers = await t.inspector.listConsumers(stream);
    const now = new Date();
    snapshots.saveConsumers(stream, consumers, now);
    return { cached: false, snapshotTime: now.toISOString(), stream, consumers };
  }

  async function refreshAccount(t: Tools): Promise<AccountOverview> {
    const account = await t.inspector.account();
    const server = ctx.nats.status().serverInfo;
    const now = new Date();
    snapshots.saveAccount({ ...account, server }, now);
    return { cached: false, snapshotTime: now.toISOString(), server, ...account };
  }

  /**
   * One sample: streams, every stream's consumers (one list per stream that has any) and the
   * account, into the cache and the series; the streams and consumers go to the sampler's listeners.
   */
  async function takeSample(nc: NatsConnection): Promise<JetStreamSample> {
    const t = toolsFor(nc);
    const list = await refreshStreams(t);
    const consumers: SampledConsumer[] = [];
    for (const s of list.streams) {
      if (s.consumerCount === 0) continue;
      for (const c of (await refreshConsumers(t, s.name)).consumers) {
        consumers.push({
          stream: c.stream,
          name: c.name,
          numPending: c.numPending,
          numAckPending: c.numAckPending,
          filter: c.filter,
          deliveredSeq: c.delivered.streamSeq
        });
      }
    }
    try {
      await refreshAccount(t);
    } catch (error) {
      // The account overview is the streams view's; the streams and consumers are still a sample.
      logger.debug('account sample failed', { error: error instanceof Error ? error.message : String(error) });
    }
    return {
      at: Date.now(),
      streams: list.streams.map((s) => ({
        name: s.name,
        messages: s.messages,
        bytes: s.bytes,
        maxMsgs: s.maxMsgs,
        maxBytes: s.maxBytes,
        subjects: s.subjects,
        lastSeq: s.lastSeq
      })),
      consumers
    };
  }

  const sampler = new JetStreamSampler({
    take: takeSample,
    connection: () => ctx.nats.connection(),
    intervalMs: ctx.config.monitoring.jetstreamSampleIntervalMs,
    logger
  });

  /** A sample after connect or reconnect; a failure is logged, the timer tries again. */
  function sample(): void {
    sampler.sampleNow().catch((error: unknown) => {
      logger.debug('stream sample failed', { error: error instanceof Error ? error.message : String(error) });
    });
  }

  function streamDetail(record: StreamRecord, time: string, cached: boolean): StreamDetail {
    return {
      cached,
      snapshotTime: time,
      stream: record.stream,
      config: record.config,
      state: record.state,
      cluster: record.cluster
    };
  }

  let stopped = false;
  /** Pending provisioning retries (one per connection that failed to provision). */
  const retries = new Set<NodeJS.Timeout>();

  return {
    name: 'operations',
    provisioning: service,
    sampler,
    start() {
      const provisionThenSample = (nc: NatsConnection, attempt = 1): void => {
        if (!ctx.config.provision) {
          sample();
          return;
        }
        // JetStream may not be ready yet (a cluster still electing its meta leader, a server still
        // recovering its store): a failed run, or one that could not create everything, is tried
        // again with back-off while this connection lasts, instead of waiting for a reconnect that
        // may never come.
        const retryLater = (): void => {
          if (stopped || ctx.nats.connection() !== nc) return;
          const delayMs = backoffDelayMs(attempt, PROVISION_RETRY);
          logger.warn('provisioning will be tried again', { attempt, inMs: delayMs });
          const timer = setTimeout(() => {
            retries.delete(timer);
            if (stopped || ctx.nats.connection() !== nc) return;
            runner.forget(nc);
            provisionThenSample(nc, attempt + 1);
          }, delayMs);
          timer.unref();
          retries.add(timer);
        };
        // Sample after provisioning so the first snapshot already shows the provisioned streams.
        runner.ensureFor(nc).then(
          (report) => {
            sample();
            if (report.summary.failed > 0) retryLater();
          },
          () => {
            sample();
            retryLater();
          }
        );
      };
      const offConnect = ctx.nats.onConnect(provisionThenSample);
      let previous = ctx.nats.status().state;
      const offStatus = ctx.nats.onStatus((status) => {
        const reconnected = previous === 'reconnecting' && status.state === 'connected';
        previous = status.state;
        const nc = ctx.nats.connection();
        if (!reconnected || !nc) return;
        runner.forget(nc);
        provisionThenSample(nc);
      });
      unsubscribe = () => {
        offConnect();
        offStatus();
      };
      sampler.start();
    },
    async stop() {
      stopped = true;
      for (const timer of retries) clearTimeout(timer);
      retries.clear();
      unsubscribe?.();
      // A sample still running writes to the database, which closes after the modules stop.
      await sampler.stop();
    },
    handlers: {
      'streams.provision': (input) => runner.apply(ctx.nats.requireConnection(), runner.options(input)),
      'streams.drift': (input) => provision(ctx.nats.requireConnection(), { ...runner.options(input), check: true }),
      'streams.list': () =>
        liveOrCached(
          (t) => refreshStreams(t),
          () => {
            const snap = snapshots.latestStreams();
            return snap ? streamList(snap.value, snap.time, true) : null;
          },
          'the streams'
        ),
      'streams.info': ({ stream }) =>
        liveOrCached(
          async (t) => {
            const record = await t.inspector.streamInfo(stream);
            const now = new Date();
            snapshots.saveStream(record, now);
            return streamDetail(record, now.toISOString(), false);
          },
          () => {
            const snap = snapshots.latestStream(stream);
            return snap ? streamDetail(snap.value, snap.time, true) : null;
          },
          `stream ${stream}`
        ),
      'consumers.list': ({ stream }) =>
        liveOrCached(
          (t) => refreshConsumers(t, stream),
          () => {
            const snap = snapshots.latestConsumers(stream);
            return snap ? { cached: true, snapshotTime: snap.time, stream, consumers: snap.value } : null;
          },
          `the consumers of ${stream}`
        ),
      'streams.account': () =>
        liveOrCached(
          (t) => refreshAccount(t),
          () => {
            const snap = snapshots.latestAccount();
            if (!snap) return null;
            const { server, ...account } = snap.value;
            return {
              cached: true,
              snapshotTime: snap.time,
              server: (server ?? null) as AccountOverview['server'],
              ...account
            };
          },
          'the JetStream account'
        ),
      'consumers.pause': async ({ stream, consumer, until }) => {
        const summary = await toolsFor(ctx.nats.requireConnection()).inspector.pauseConsumer(
          stream,
          consumer,
          new Date(until)
        );
        logger.info('consumer paused', { stream, consumer, until: summary.pauseUntil ?? until });
        return summary;
      },
      'consumers.resume': async ({ stream, consumer }) => {
        const summary = await toolsFor(ctx.nats.requireConnection()).inspector.resumeConsumer(stream, consumer);
        logger.info('consumer resumed', { stream, consumer });
        return summary;
      },
      'streams.features': async () => {
        const caps = await toolsFor(ctx.nats.requireConnection()).inspector.capabilities();
        return { ...caps, features: featureTable(caps) };
      },
      'streams.purge': async ({ stream, subject, keep }) => {
        const purged = await toolsFor(ctx.nats.requireConnection()).inspector.purge(stream, { subject, keep });
        logger.info('stream purged', { stream, subject, keep, purged });
        return { stream, purged };
      },
      'streams.deleteMessage': async ({ stream, seq, erase }) => {
        const deleted = await toolsFor(ctx.nats.requireConnection()).inspector.deleteMessage(
          stream,
          seq,
          erase ?? false
        );
        if (!deleted) throw new ContractError('NOT_FOUND', `stream ${stream} has no message ${seq} to delete`);
        logger.info('message deleted', { stream, seq });
        return { stream, seq, deleted };
      },
      'streams.browse': ({ stream, from, subject, limit, maxPayloadBytes }) =>
        toolsFor(ctx.nats.requireConnection()).browser.browse(stream, { from, subject, limit, maxPayloadBytes }),
      'streams.message': ({ stream, seq }) => toolsFor(ctx.nats.requireConnection()).browser.message(stream, seq),
      'streams.series': ({ stream, consumer, since, limit }) => ({
        points: snapshots.series({ stream, consumer, sinceMs: since ? Date.parse(since) : undefined, limit })
      })
    }
  };
}
