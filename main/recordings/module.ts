/**
 * Recordings as a core module: the `recordings` service and the recordings.* procedures; pushes
 * recordings.updated (coalesced per recording) and recordings.progress.
 */
import type { ModuleFactory } from '../core/module';
import type { ResilienceManager } from '../resilience/breakers';
import { RESILIENCE_SERVICE } from '../resilience/module';
import { RecordingService, toRecordingPayload } from './service';
import { RecordingStore, type Recording } from './store';

export const RECORDINGS_SERVICE = 'recordings';

export const recordingsModule: ModuleFactory = (ctx) => {
  const store = new RecordingStore(ctx.db);
  // Updates of a busy live recording are coalesced: at most one push per recording every 250 ms.
  const pendingUpdates = new Map<number, Recording>();
  let flushTimer: NodeJS.Timeout | null = null;
  const flushUpdates = (): void => {
    flushTimer = null;
    for (const r of pendingUpdates.values()) ctx.events.emit('recordings.updated', toRecordingPayload(r));
    pendingUpdates.clear();
  };
  const service = new RecordingService({
    store,
    connection: () => ctx.nats.requireConnection(),
    breakers: (ctx.services.get(RESILIENCE_SERVICE) as ResilienceManager | undefined) ?? null,
    logger: ctx.logger.child({ part: 'recordings' }),
    onUpdated: (r) => {
      if (!ctx.events.hasListeners('recordings.updated')) return;
      pendingUpdates.set(r.id, r);
      flushTimer ??= setTimeout(flushUpdates, 250);
    },
    onProgress: (p) => ctx.events.emit('recordings.progress', p)
  });
  ctx.services.set(RECORDINGS_SERVICE, service);

  return {
    name: 'recordings',
    start() {
      const interrupted = store.markInterrupted();
      if (interrupted > 0)
        ctx.logger.info('recordings interrupted by the last stop were marked stopped', { interrupted });
    },
    async stop() {
      await service.close();
      if (flushTimer) clearTimeout(flushTimer);
      flushUpdates();
    },
    handlers: {
      'recordings.list': () => ({ recordings: store.list().map(toRecordingPayload) }),
      'recordings.start': async (input) => {
        const recording = input.range
          ? await service.recordRange(input.range, input.name ? { name: input.name } : {})
          : await service.startLive(input.filter ?? '>', {
              ...(input.name ? { name: input.name } : {}),
              ...(input.maxMessages ? { maxMessages: input.maxMessages } : {})
            });
        return toRecordingPayload(recording);
      },
      'recordings.stop': async (input) => toRecordingPayload(await service.stop(input.id)),
      'recordings.delete': (input) => ({ deleted: service.delete(input.id) }),
      'recordings.export': (input) =>
        service.exportToFile(
          input.recordingId !== undefined ? { recordingId: input.recordingId } : { range: input.range! },
          input.format,
          input.path
        ),
      'recordings.import': (input) => toRecordingPayload(service.importFile(input.path, input.name)),
      'recordings.replay': (input) =>
        service.replay(input.id, {
          speed: input.speed,
          subjectMap: input.subjectMap,
          ...(input.servers ? { servers: input.servers } : {})
        }),
      'recordings.cancelReplay': (input) => ({ cancelled: service.cancelReplay(input.replayId) })
    }
  };
};
