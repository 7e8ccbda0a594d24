/**
 * The system picture as a core module: listens to the JetStream sampler (stream and consumer
 * counters, pending) and the bridge's event bus (inputs per service, outputs per type), turns the
 * counters into live rates, and assembles the picture (./picture.ts) on request and — while a
 * client watches `overview.picture` — pushes it at most once a second. The newest live picture is
 * kept in SQLite (every few seconds) so the Overview shows it, marked cached, while NATS is down.
 */
import type { SystemPicture } from '../contract';
import { ENGINE_OUTPUT_TYPES, type EngineOutputType } from '../contract/messages';
import type { CoreContext, CoreModule } from '../core/module';
import { RingBuffer } from '../core/ring-buffer';
import type { Database, Migration } from '../store/database';
import type { ConsciousnessBridge } from '../bridge/bridge';
import type { JetStreamSample, JetStreamSamplerService } from '../nats/inspection';
import { assemblePicture, consumerId, outputId, RateMeter, streamId, type EngineReading } from './picture';

/** Schema of the overview area (ids 2300–2349). */
export const OVERVIEW_MIGRATIONS: readonly Migration[] = [
  {
    id: '2300',
    description: 'the newest system picture of the Overview, for the offline view',
    sql: `CREATE TABLE overview_picture (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            time_ms INTEGER NOT NULL,
            body TEXT NOT NULL
          );`
  }
];

/** The newest live picture, one row. */
export class PictureStore {
  private readonly put;
  private readonly get;

  constructor(db: Database) {
    this.put = db.prepare(
      `INSERT INTO overview_picture (id, time_ms, body) VALUES (1, ?, ?)
       ON CONFLICT (id) DO UPDATE SET time_ms = excluded.time_ms, body = excluded.body`
    );
    this.get = db.prepare<[], { time_ms: number; body: string }>(
      'SELECT time_ms, body FROM overview_picture WHERE id = 1'
    );
  }

  save(picture: SystemPicture, timeMs: number): void {
    this.put.run(timeMs, JSON.stringify(picture));
  }

  /** The stored picture, marked cached with the time it was taken; null when none was kept. */
  latest(): SystemPicture | null {
    const row = this.get.get();
    if (!row) return null;
    const picture = JSON.parse(row.body) as SystemPicture;
    return { ...picture, cached: true, snapshotTime: new Date(row.time_ms).toISOString() };
  }
}

export interface OverviewSettings {
  /** How often the picture is pushed while watched (ms; at least 1000). */
  pushIntervalMs: number;
  /** The JetStream sampling interval asked for while the picture is watched. */
  sampleIntervalMs: number;
  /** Live pictures are stored at most this often. */
  storeIntervalMs: number;
  /** Window of the live rates. */
  rateWindowMs: number;
}

export const DEFAULT_OVERVIEW_SETTINGS: OverviewSettings = {
  pushIntervalMs: 1000,
  sampleIntervalMs: 2000,
  storeIntervalMs: 5000,
  rateWindowMs: 10_000
};

/** Samples of pending kept per consumer for the "growing" mark. */
const PENDING_SAMPLES = 3;

/** What the picture is drawn from (main/app/compose.ts hands them over). */
export interface OverviewDeps {
  bridge: ConsciousnessBridge;
  sampler: JetStreamSamplerService;
}

export function createOverviewModule(
  ctx: CoreContext,
  deps: OverviewDeps,
  options: Partial<OverviewSettings> = {}
): CoreModule {
  const settings = { ...DEFAULT_OVERVIEW_SETTINGS, ...options };
  const pushEvery = Math.max(1000, settings.pushIntervalMs);
  const logger = ctx.logger.child({ part: 'overview' });
  const store = new PictureStore(ctx.db);
  // Bus counters rise by a second's inputs; sampled counters every sample: rates over a window.
  const live = new RateMeter(settings.rateWindowMs);
  const sampled = new RateMeter(Math.max(settings.rateWindowMs, settings.sampleIntervalMs * 2 + 500));
  const counts = new Map<string, number>();
  const pendingHistory = new Map<string, RingBuffer<number>>();
  let sample: JetStreamSample | null = null;
  let timer: NodeJS.Timeout | null = null;
  let withdrawInterval: (() => void) | null = null;
  let lastStored = 0;
  let wasConnected = false;
  const offs: Array<() => void> = [];

  const { bridge, sampler } = deps;
  const bump = (key: string): void => {
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };

  const onSample = (s: JetStreamSample): void => {
    sample = s;
    const keep = new Set<string>();
    for (const stream of s.streams) {
      if (stream.lastSeq === undefined) continue;
      keep.add(streamId(stream.name));
      sampled.record(streamId(stream.name), s.at, stream.lastSeq);
    }
    const seen = new Set<string>();
    for (const c of s.consumers) {
      const key = `${c.stream}/${c.name}`;
      seen.add(key);
      if (c.deliveredSeq !== undefined) {
        keep.add(consumerId(c.stream, c.name));
        sampled.record(consumerId(c.stream, c.name), s.at, c.deliveredSeq);
      }
      const history = pendingHistory.get(key) ?? new RingBuffer<number>(PENDING_SAMPLES);
      history.push(c.numPending);
      pendingHistory.set(key, history);
    }
    for (const key of pendingHistory.keys()) if (!seen.has(key)) pendingHistory.delete(key);
    sampled.retain(keep);
  };

  /** Every counter the bridge keeps, read into the live meter (once per push period). */
  const readCounters = (now: number): void => {
    const b = bridge;
    // Every output shows a rate (0 until the engine emits one), not "unknown".
    for (const type of ENGINE_OUTPUT_TYPES) if (!counts.has(outputId(type))) counts.set(outputId(type), 0);
    for (const [key, n] of counts) live.record(key, now, n);
    for (const [service, n] of b.heartbeatCounts()) live.record(`heartbeat:${service}`, now, n);
    for (const c of b.status().consumers) live.record(`durable:${c.stream}/${c.durable}`, now, c.received);
  };

  const engineReading = (b: ConsciousnessBridge): EngineReading => {
    const status = b.status();
    const prefix = b.options.outputSubjectPrefix;
    const outputSubjects = new Map<EngineOutputType, string[]>();
    for (const type of ENGINE_OUTPUT_TYPES) {
      const mapped = b.options.outboundMapping[type];
      outputSubjects.set(type, mapped ? [prefix + type, prefix + mapped] : [prefix + type]);
    }
    return {
      running: status.running && b.active,
      leading: b.leading,
      mode: b.engine.snapshot(b.options.clock()).state.mode ?? null,
      durables: status.consumers.map((c) => ({
        stream: c.stream,
        durable: c.durable,
        bound: c.bound,
        lastError: c.lastError
      })),
      outputSubjects
    };
  };

  const build = (now = Date.now()): SystemPicture => {
    return assemblePicture({
      now,
      sample,
      engine: engineReading(bridge),
      services: bridge.engine.handover(now).services,
      heartbeats: bridge.servicesHealth().map((h) => ({
        service: h.service,
        instance: h.instance,
        status: h.status,
        detail: h.detail,
        subject: h.subject,
        stale: h.stale
      })),
      pendingHistory,
      rate: (key) => (key.startsWith('stream:') || key.startsWith('consumer:') ? sampled.rate(key) : live.rate(key))
    });
  };

  const cachedOrEmpty = (): SystemPicture => {
    flush();
    return store.latest() ?? emptyOffline;
  };
  const emptyOffline: SystemPicture = {
    cached: true,
    snapshotTime: null,
    nodes: [],
    edges: [],
    notes: [
      'NATS is unreachable and no picture has been kept yet: connect (Settings → profiles) and the picture fills in and is remembered for the next outage.'
    ]
  };

  /** The newest live picture not yet stored (stored every few seconds, and at once when NATS goes away). */
  let unsaved: { picture: SystemPicture; at: number } | null = null;
  const save = (picture: SystemPicture, at: number): void => {
    lastStored = at;
    unsaved = null;
    try {
      store.save(picture, at);
    } catch (error) {
      logger.warn('could not store the system picture', { error });
    }
  };
  const keep = (picture: SystemPicture, now: number): void => {
    if (picture.nodes.length === 0) return;
    if (now - lastStored < settings.storeIntervalMs) unsaved = { picture, at: now };
    else save(picture, now);
  };
  const flush = (): void => {
    if (unsaved) save(unsaved.picture, unsaved.at);
  };

  const tick = (): void => {
    const now = Date.now();
    readCounters(now);
    const watched = ctx.events.hasListeners('overview.picture');
    if (watched && !withdrawInterval) withdrawInterval = sampler.requestInterval(settings.sampleIntervalMs);
    if (!watched && withdrawInterval) {
      withdrawInterval();
      withdrawInterval = null;
    }
    const connected = ctx.nats.connection() !== null;
    if (connected) {
      const picture = build(now);
      keep(picture, now);
      if (watched) ctx.events.emit('overview.picture', picture);
    } else if (wasConnected && watched) {
      // Gone offline: the watchers switch to the kept picture, marked cached.
      ctx.events.emit('overview.picture', cachedOrEmpty());
    }
    wasConnected = connected;
  };

  return {
    name: 'overview',
    start() {
      offs.push(
        sampler.onSample(onSample),
        bridge.bus.on('input', ({ envelope, stream }) => {
          const service = (envelope.data as { service?: unknown } | null)?.service;
          if (typeof service === 'string') bump(`input:${service}\u0000${stream}`);
        }),
        bridge.bus.on('output', ({ type }) => bump(outputId(type)))
      );
      if (ctx.config.autoConnect) {
        timer = setInterval(tick, pushEvery);
        timer.unref();
      }
    },
    stop() {
      flush();
      if (timer) clearInterval(timer);
      timer = null;
      withdrawInterval?.();
      withdrawInterval = null;
      for (const off of offs.splice(0)) off();
    },
    handlers: {
      'overview.picture': async () => {
        if (!ctx.nats.connection()) return cachedOrEmpty();
        if (!sample) {
          try {
            await sampler.sampleNow();
          } catch (error) {
            logger.debug('picture sample failed', { error: error instanceof Error ? error.message : String(error) });
          }
        }
        const now = Date.now();
        readCounters(now);
        const picture = build(now);
        keep(picture, now);
        return picture;
      }
    }
  };
}
