/**
 * The servers area as a core module: samples every NATS server (system account or monitoring URL,
 * see probe.ts) on a timer in long-running cores, keeps the samples in SQLite for the charts and
 * the offline view, computes rates between samples, and pushes each sample on `servers.sample`.
 * One-shot commands sample when asked and run no timer.
 */
import type { ServerSummary, ServersOverview } from '../contract';
import type { CoreContext, CoreModule } from '../core/module';
import { ServerProbe, sortConnections, toSummary } from './probe';
import { ServerHistory } from './store';

export interface ServersService {
  /** The newest sample taken (null before the first). */
  last(): ServersOverview | null;
  /** Takes a sample now (one at a time; callers arriving together share it). */
  sample(): Promise<ServersOverview>;
}

interface Counters {
  atMs: number;
  inMsgs: number;
  outMsgs: number;
  inBytes: number;
  outBytes: number;
  slowConsumers: number;
}

/** Per-second rate between two counter readings; null across a counter reset (server restart). */
function rate(now: number, before: number, seconds: number): number | null {
  if (seconds <= 0 || now < before) return null;
  return (now - before) / seconds;
}

export interface ServersModule extends CoreModule {
  /** The last sample of every server (the alert rules read it). */
  servers: ServersService;
}

export function createServersModule(ctx: CoreContext): ServersModule {
  const settings = ctx.config.monitoring;
  const history = new ServerHistory(ctx.db);
  const probe = new ServerProbe({
    connection: () => ctx.nats.connection(),
    monitorUrl: settings.serverMonitorUrl
  });
  const logger = ctx.logger.child({ part: 'servers' });
  const previous = new Map<string, Counters>();
  let last: ServersOverview | null = null;
  let running: Promise<ServersOverview> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const withRates = (base: ReturnType<typeof toSummary>, nowMs: number): ServerSummary => {
    const prev = previous.get(base.id);
    const seconds = prev ? (nowMs - prev.atMs) / 1000 : 0;
    const rates =
      prev && seconds > 0
        ? (() => {
            const r = {
              inMsgs: rate(base.inMsgs, prev.inMsgs, seconds),
              outMsgs: rate(base.outMsgs, prev.outMsgs, seconds),
              inBytes: rate(base.inBytes, prev.inBytes, seconds),
              outBytes: rate(base.outBytes, prev.outBytes, seconds)
            };
            return r.inMsgs === null || r.outMsgs === null || r.inBytes === null || r.outBytes === null
              ? null
              : { inMsgs: r.inMsgs, outMsgs: r.outMsgs, inBytes: r.inBytes, outBytes: r.outBytes };
          })()
        : null;
    const slowConsumersDelta = prev ? Math.max(0, base.slowConsumers - prev.slowConsumers) : null;
    previous.set(base.id, {
      atMs: nowMs,
      inMsgs: base.inMsgs,
      outMsgs: base.outMsgs,
      inBytes: base.inBytes,
      outBytes: base.outBytes,
      slowConsumers: base.slowConsumers
    });
    return { ...base, rates, slowConsumersDelta };
  };

  const takeSample = async (): Promise<ServersOverview> => {
    const result = await probe.probe();
    const nowMs = Date.now();
    const at = new Date(nowMs).toISOString();
    const servers = result.servers.map((raw) => withRates(toSummary(raw, at), nowMs));
    servers.sort((a, b) => a.name.localeCompare(b.name));
    const overview: ServersOverview = {
      source: result.source,
      sourceLabel: result.sourceLabel,
      hint: result.hint,
      servers,
      cached: false,
      snapshotTime: at
    };
    if (servers.length > 0) {
      try {
        history.record(overview, nowMs);
      } catch (error) {
        logger.warn('could not store the servers sample', { error });
      }
    }
    last = overview;
    ctx.events.emit('servers.sample', overview);
    return overview;
  };

  const sample = (): Promise<ServersOverview> => {
    running ??= takeSample().finally(() => {
      running = null;
    });
    return running;
  };

  /** The answer when nothing can be read now: the last stored overview, marked cached. */
  const cachedOr = (fresh: ServersOverview): ServersOverview => {
    if (fresh.source !== 'none' || ctx.nats.connection()) return fresh;
    const kept = history.lastOverview();
    if (!kept) return fresh;
    return {
      ...kept.overview,
      cached: true,
      snapshotTime: new Date(kept.timeMs).toISOString(),
      hint: fresh.hint
    };
  };

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      void sample()
        .catch((error: unknown) => logger.warn('servers sample failed', { error }))
        .finally(schedule);
    }, settings.serverSampleIntervalMs);
    timer.unref?.();
  };

  const service: ServersService = { last: () => last, sample };

  return {
    name: 'servers',
    servers: service,
    start() {
      // One-shot commands sample on demand; long-running cores keep the history going.
      if (ctx.config.autoConnect) schedule();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    handlers: {
      'servers.overview': async (input) => {
        const fresh =
          !input.refresh &&
          last &&
          Date.now() - Date.parse(last.snapshotTime ?? '') < settings.serverSampleIntervalMs / 2
            ? last
            : await sample();
        return cachedOr(fresh);
      },
      'servers.connections': async (input) => {
        const sort = input.sort ?? 'pending';
        const answer = await probe.connections(sort, input.limit ?? 100, input.serverId);
        return { ...answer, connections: sortConnections(answer.connections, sort) };
      },
      'servers.ping': () => probe.pingAll(),
      'servers.series': (input) => ({
        samples: history.samples(Date.now() - (input.sinceMs ?? 86_400_000), input.serverId)
      })
    }
  };
}
