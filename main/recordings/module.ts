/**
 * Recordings as a core module: the recording service and the recordings.* procedures; pushes
 * recordings.updated (coalesced per recording) and recordings.progress.
 */
import fs from 'node:fs';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { ContractError, type RecordingFilePayload } from '../contract';
import type { CoreContext, CoreModule } from '../core/module';
import { buildConnectOptions } from '../nats/connection';
import type { ProfileStore } from '../nats/connection';
import type { ResilienceManager } from '../resilience/breakers';
import { EXPORTS_FOLDER, folderPath, RECORDINGS_FOLDER } from './files';
import { RecordingService, toRecordingPayload } from './service';
import { RecordingStore, type Recording } from './store';

export interface RecordingsDeps {
  /** Replay to a saved connection profile by id. */
  profiles: ProfileStore;
  /** Replays and range recordings go through the core's breakers. */
  breakers: ResilienceManager;
}

export interface RecordingsModule extends CoreModule {
  recordings: RecordingService;
}

export function createRecordingsModule(ctx: CoreContext, deps: RecordingsDeps): RecordingsModule {
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
    dataDir: ctx.config.dataDir,
    grants: ctx.grants,
    maxImportBytes: ctx.config.recordings.maxImportBytes,
    connection: () => ctx.nats.requireConnection(),
    connectProfile: async (profileId) => {
      const target = deps.profiles.target(profileId);
      return connect({
        ...buildConnectOptions(
          { name: 'synos-control-center replay', connectTimeoutMs: 10_000, auth: target.auth, tls: target.tls },
          target.servers
        ),
        reconnect: false
      });
    },
    breakers: deps.breakers,
    logger: ctx.logger.child({ part: 'recordings' }),
    onUpdated: (r) => {
      if (!ctx.events.hasListeners('recordings.updated')) return;
      pendingUpdates.set(r.id, r);
      flushTimer ??= setTimeout(flushUpdates, 250);
    },
    onProgress: (p) => ctx.events.emit('recordings.progress', p),
    onImportProgress: (p) => ctx.events.emit('recordings.importProgress', p)
  });

  return {
    name: 'recordings',
    recordings: service,
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
        service.exportTo(
          input.recordingId !== undefined ? { recordingId: input.recordingId } : { range: input.range! },
          input.format,
          input.grant !== undefined ? { grant: input.grant } : input.file !== undefined ? { file: input.file } : {}
        ),
      'recordings.import': async (input) =>
        toRecordingPayload(
          await service.importFile(
            input.grant !== undefined ? { grant: input.grant } : { file: input.file! },
            input.name
          )
        ),
      'recordings.files': () => ({ files: listFiles(ctx.config.dataDir), maxImportBytes: service.maxImportBytes }),
      'recordings.chooseFile': async (input) => {
        if (!ctx.fileChooser) {
          throw new ContractError('UNAVAILABLE', 'there is no file dialog here (web mode or the command line)', {
            hint: 'In the browser, upload the file (Open or drop it on the Recordings view); on the command line, give its path.'
          });
        }
        const chosen = await ctx.fileChooser.choose(
          {
            purpose: input.purpose,
            ...(input.format ? { format: input.format } : {}),
            ...(input.suggestedName ? { suggestedName: input.suggestedName } : {})
          },
          ctx.grants
        );
        return { grant: chosen?.grant ?? null, name: chosen?.name ?? null };
      },
      'recordings.replay': (input) =>
        service.replay(input.id, {
          speed: input.speed,
          subjectMap: input.subjectMap,
          ...(input.servers ? { servers: input.servers } : {}),
          ...(input.profileId ? { profileId: input.profileId } : {})
        }),
      'recordings.cancelReplay': (input) => ({ cancelled: service.cancelReplay(input.replayId) })
    }
  };
}

/** Regular files of the recordings/ and exports/ folders, newest first. */
function listFiles(dataDir: string): RecordingFilePayload[] {
  const files: RecordingFilePayload[] = [];
  for (const folder of [RECORDINGS_FOLDER, EXPORTS_FOLDER] as const) {
    const dir = folderPath(dataDir, folder);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isFile() || entry.name.startsWith('.')) continue;
      try {
        const stat = fs.lstatSync(path.join(dir, entry.name));
        files.push({ folder, name: entry.name, bytes: stat.size, modifiedAt: stat.mtime.toISOString() });
      } catch {
        // Removed between the listing and the stat: not listed.
      }
    }
  }
  return files.sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt));
}
