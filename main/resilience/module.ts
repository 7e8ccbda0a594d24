/**
 * The durability area as a core module: builds the outbox, the breakers and the replay manager,
 * offers the outbox as the core's OutboundPublisher (the composition root hands it to every area
 * that publishes), and serves the outbox / DLQ / breaker procedures.
 */
import { isDiskFullError } from '../contract';
import { randomUUID } from 'node:crypto';
import type { OutboxEntryPayload, OutboxStatsPayload } from '../contract';
import type { CoreContext, CoreModule } from '../core/module';
import type { ProvisioningService } from '../nats/operations-module';
import { ResilienceManager, processOwnerId } from './breakers';
import { OutboxPublisher } from './outbox-publisher';
import { OutboxStore, type OutboxEntry } from './outbox-store';
import { ReplayManager } from './replay-manager';

/** The part of the metrics registry the replay manager feeds. */
export interface PublishMetrics {
  recordPublish(stream: string, seconds: number): void;
  recordPublishFailure(reason: string): void;
}

/** Shared key of the drain rate limit in `resilience_control`. */
export const RATE_LIMIT_KEY = 'rate_limit';

/** Completed rows are kept this long, and at most this many, for the outbox view. */
const PRUNE = { maxAgeMs: 24 * 60 * 60 * 1000, maxCount: 100_000, everyMs: 60_000 };

export function toEntryPayload(entry: OutboxEntry): OutboxEntryPayload {
  return {
    ...entry,
    nextAttemptAt: new Date(entry.nextAttemptAt).toISOString(),
    createdAt: new Date(entry.createdAt).toISOString(),
    updatedAt: new Date(entry.updatedAt).toISOString()
  };
}

export function buildOutboxStats(store: OutboxStore, replay: ReplayManager | null): OutboxStatsPayload {
  const now = Date.now();
  const stats = store.stats();
  const r = replay?.getStats();
  return {
    counts: stats.counts,
    oldestUndeliveredAt: stats.oldestUndeliveredAt === null ? null : new Date(stats.oldestUndeliveredAt).toISOString(),
    oldestUndeliveredAgeMs: stats.oldestUndeliveredAt === null ? null : Math.max(0, now - stats.oldestUndeliveredAt),
    inFlight: r?.inFlight ?? 0,
    draining: r?.draining ?? false,
    rateLimitPerSec: r?.rateLimitPerSec ?? null,
    deliveredTotal: r?.deliveredTotal ?? 0,
    duplicatesTotal: r?.duplicatesTotal ?? 0,
    time: new Date(now).toISOString()
  };
}

export function parseRateLimit(value: string | null): number | null {
  if (value === null) return null;
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : null;
}

/** What the durability area needs from the areas built before it. */
export interface DurabilityDeps {
  /** Provisioning runs before the outbox is drained into the streams. */
  provisioning: ProvisioningService;
  /** Where each delivery's latency and failures are recorded (the monitoring area's registry). */
  metrics: PublishMetrics;
}

/** The durability area's public face. */
export interface DurabilityModule extends CoreModule {
  /** The core's one OutboundPublisher: every outbound message is an outbox row first. */
  publisher: OutboxPublisher;
  outbox: OutboxStore;
  resilience: ResilienceManager;
  replay: ReplayManager;
}

export function createDurabilityModule(ctx: CoreContext, deps: DurabilityDeps): DurabilityModule {
  const owner = processOwnerId(randomUUID().slice(0, 8));
  const store = new OutboxStore(ctx.db, { owner });
  const resilience = new ResilienceManager({ db: ctx.db, logger: ctx.logger, owner });
  const { metrics, provisioning } = deps;
  const replay = new ReplayManager({
    store,
    resilience,
    nats: ctx.nats,
    logger: ctx.logger,
    ready: () => provisioning.ensure(),
    observer: {
      published: (stream, seconds) => metrics.recordPublish(stream, seconds),
      failed: (reason) => metrics.recordPublishFailure(reason)
    }
  });
  const publisher = new OutboxPublisher(store, {
    onCommitted: () => replay.wake(),
    writeWithin: (messages) => replay.writeWithin(messages)
  });

  let timer: NodeJS.Timeout | null = null;
  const cleanups: Array<() => void> = [];
  let lastPrune = Date.now();
  let statsDirty = true;
  let lastStatsKey = '';

  const tick = (): void => {
    try {
      replay.setRateLimit(parseRateLimit(resilience.readShared(RATE_LIMIT_KEY)));
      if (Date.now() - lastPrune > PRUNE.everyMs) {
        lastPrune = Date.now();
        const pruned = store.prune(PRUNE);
        if (pruned > 0) ctx.logger.debug('pruned completed outbox rows', { pruned });
      }
      if (statsDirty && ctx.events.hasListeners('outbox.stats')) {
        statsDirty = false;
        const stats = buildOutboxStats(store, replay);
        const key = JSON.stringify([stats.counts, stats.inFlight, stats.draining, stats.rateLimitPerSec]);
        if (key !== lastStatsKey) {
          lastStatsKey = key;
          ctx.events.emit('outbox.stats', stats);
        }
      }
    } catch (error) {
      ctx.logger.warn('outbox housekeeping failed', { error });
    }
  };

  return {
    name: 'durability',
    publisher,
    outbox: store,
    resilience,
    replay,
    start() {
      resilience.start();
      replay.setRateLimit(parseRateLimit(resilience.readShared(RATE_LIMIT_KEY)));
      cleanups.push(resilience.onChange((report) => ctx.events.emit('resilience.breakers', report)));
      cleanups.push(replay.onSettled(() => (statsDirty = true)));
      let previous = ctx.nats.status().state;
      cleanups.push(
        ctx.nats.onStatus((status) => {
          if (status.state === 'connected' && previous !== 'connected') resilience.record('connect', { ok: true });
          if (status.state === 'disconnected' && status.lastError) {
            resilience.record('connect', { ok: false, error: new Error(status.lastError.message) });
          }
          previous = status.state;
          statsDirty = true;
        })
      );
      // A database opened read-only (full disk) is only read: nothing is claimed or delivered.
      if (!ctx.databaseReadOnly) {
        try {
          replay.start();
        } catch (error) {
          // The disk filled up after the database was opened: this process only reads (the
          // outbox, alerts) and a core with room delivers the rows later.
          if (!isDiskFullError(error)) throw error;
          ctx.logger.warn('the disk is full: this process does not deliver the outbox', { error });
        }
      }
      timer = setInterval(tick, 500);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      publisher.close();
      await replay.stop();
      resilience.stop();
      for (const cleanup of cleanups.splice(0)) cleanup();
    },
    handlers: {
      'outbox.stats': () => buildOutboxStats(store, replay),
      'outbox.list': (input) => ({ entries: store.list(input.status, input.limit, input.offset).map(toEntryPayload) }),
      'outbox.setRateLimit': (input) => {
        resilience.writeShared(RATE_LIMIT_KEY, input.perSecond === null ? '' : String(input.perSecond));
        replay.setRateLimit(input.perSecond);
        return { perSecond: input.perSecond };
      },
      'dlq.list': (input) => ({
        entries: store.list('dead', input.limit, input.offset).map(toEntryPayload),
        total: store.stats().counts.dead
      }),
      'dlq.retry': (input) => {
        const count = store.retryDead('all' in input ? { all: true } : { ids: input.ids });
        statsDirty = true;
        if (count > 0) replay.wake();
        return { count };
      },
      'dlq.discard': (input) => {
        statsDirty = true;
        return { count: store.discardDead('all' in input ? { all: true } : { ids: input.ids }) };
      },
      'resilience.breakers': () => resilience.report(),
      'resilience.emergency': (input) => {
        const report = resilience.setEmergency(input.active, input.reason);
        if (!input.active) replay.wake();
        return report;
      }
    }
  };
}
