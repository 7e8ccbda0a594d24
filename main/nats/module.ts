import { ContractError } from '../contract';
import { DEFAULT_NATS_URL } from '../core/config';
import { issueKeyUploadTicket } from '../core/key-upload';
import type { CoreContext, CoreModule } from '../core/module';
import { MessagingService, TailService } from './messages';
import { importNatsContexts, keyFileName, natsConfigDir, ProfileStore, testConnection } from './connection';

/**
 * connection.* and profiles.* procedures and the connection-state event. The active profile is
 * used at start unless servers, credentials or TLS were given explicitly (flags, NATS_URL, config).
 */
export interface ConnectionModule extends CoreModule {
  /** The saved connection profiles (recordings replay to one by id). */
  profiles: ProfileStore;
}

export function createConnectionModule(ctx: CoreContext): ConnectionModule {
  let unsubscribe: (() => void) | null = null;
  const profiles = new ProfileStore(ctx.db, ctx.secrets);
  const explicit = (): boolean =>
    ctx.config.nats.explicit || Object.keys(ctx.config.nats.auth).length > 0 || ctx.config.nats.tls !== null;
  return {
    name: 'connection',
    profiles,
    start() {
      unsubscribe = ctx.nats.onStatus((status) => ctx.events.emit('connection.state', status));
      try {
        const sealed = profiles.sealUrlCredentials();
        if (sealed > 0)
          ctx.logger.info('credentials moved out of profile server URLs and sealed', { profiles: sealed });
      } catch (error) {
        ctx.logger.warn('could not move credentials out of profile server URLs', { error });
      }
      // Profiles of an older version named key files by path: their content is imported once.
      try {
        for (const r of profiles.importKeyPaths()) {
          if (r.outcome === 'imported') {
            ctx.logger.info('profile key file imported into the secret store; the file is not read again', {
              profile: r.profile,
              kind: r.kind,
              file: r.file,
              sha256: r.sha256
            });
          } else {
            ctx.logger.warn('profile key file could not be imported: pick it again in the profile', {
              profile: r.profile,
              kind: r.kind,
              file: r.file,
              reason: r.reason
            });
          }
        }
      } catch (error) {
        ctx.logger.warn('could not import the key files of profiles saved with paths', { error });
      }
      const activeId = profiles.activeId();
      if (activeId && !explicit()) {
        try {
          ctx.nats.useTarget(profiles.target(activeId));
        } catch (error) {
          ctx.notices.add(
            'error',
            'profiles.active-unusable',
            `The active connection profile cannot be used (${(error as Error).message}); using the configured servers.`
          );
        }
      }
    },
    stop() {
      unsubscribe?.();
    },
    handlers: {
      'connection.status': () => ctx.nats.status(),
      'connection.connect': (input) => {
        if (input.profileId) {
          const target = profiles.target(input.profileId);
          profiles.setActive(input.profileId);
          return ctx.nats.connect({ target });
        }
        if (input.local) return ctx.nats.connectLocal();
        return ctx.nats.connect(input.servers ? { servers: input.servers } : {});
      },
      'connection.disconnect': () => ctx.nats.disconnect(),
      'profiles.list': () => ({ profiles: profiles.list(), activeProfileId: profiles.activeId() }),
      'profiles.get': (input) => profiles.get(input.id),
      'profiles.save': (input) => profiles.save(input),
      'profiles.delete': (input) => ({ deleted: profiles.delete(input.id) }),
      'profiles.setActive': (input) => ({ activeProfileId: profiles.setActive(input.id) }),
      'profiles.test': (input) => {
        let target;
        try {
          target = input.profile ? profiles.draftTarget(input.profile, input.id) : profiles.target(input.id as string);
        } catch (error) {
          // A key file missing (pick it again) is the outcome of the test, not a failed call.
          if (!(error instanceof ContractError) || error.code !== 'CONFIG_INVALID') throw error;
          const hint = (error.details as { hint?: unknown } | undefined)?.hint;
          return {
            ok: false,
            server: null,
            serverInfo: null,
            rttMs: null,
            durationMs: 0,
            error: error.toShape(),
            hint: typeof hint === 'string' ? hint : null
          };
        }
        return testConnection(target, { timeoutMs: input.timeoutMs, name: `${ctx.config.nats.name} profile test` });
      },
      'profiles.pickKeyFile': async (input) => {
        if (!ctx.fileChooser) {
          throw new ContractError('UNAVAILABLE', 'choosing a key file with a dialog needs the desktop app', {
            hint: 'In the browser, use Choose… (an upload); on the command line, give the path (--creds, --nkey, --tls-*).'
          });
        }
        const chosen = await ctx.fileChooser.choose({ purpose: 'key', keyKind: input.kind }, ctx.grants);
        if (!chosen) return { cancelled: true, key: null };
        const { path } = ctx.grants.resolve(chosen.grant, 'read');
        ctx.grants.revoke(chosen.grant);
        return { cancelled: false, key: profiles.picks.addFromPath(input.kind, path) };
      },
      'profiles.keyUpload': (input) =>
        issueKeyUploadTicket((content, name) => profiles.picks.add(input.kind, content, keyFileName(name, input.kind))),
      'profiles.importContexts': (input, call) => {
        // A directory named by a window or a socket would let it make the core read the key files any
        // natscli context there names; only the CLI (the user's own shell) may point elsewhere.
        if (input.configDir !== undefined && (call.transport === 'ipc' || call.transport === 'ws')) {
          throw new ContractError(
            'INVALID_INPUT',
            `the natscli directory is read from its default place on this machine (${natsConfigDir()}); to import from another one run \`synos-cc profiles import-contexts --dir DIR\``,
            { field: 'configDir' }
          );
        }
        const configDir = input.configDir ?? natsConfigDir();
        const contexts = importNatsContexts(profiles, configDir, DEFAULT_NATS_URL);
        const selected = contexts.find((c) => c.selected && c.profileId !== null);
        if (input.activateSelected && selected?.profileId) profiles.setActive(selected.profileId);
        return { configDir, contexts, activeProfileId: profiles.activeId() };
      }
    }
  };
}

/** Live tails (tail.*, the tail.messages event) and publish/request (messages.*). */
export interface MessagingModule extends CoreModule {
  messaging: MessagingService;
}

export function createMessagingModule(ctx: CoreContext): MessagingModule {
  const tails = new TailService(
    ctx.nats,
    (batch, sessionId) => ctx.events.emit('tail.messages', batch, sessionId),
    ctx.logger.child({ part: 'tail' })
  );
  const messaging = new MessagingService(ctx.nats);
  return {
    name: 'messaging',
    messaging,
    stop() {
      tails.close();
    },
    handlers: {
      'tail.start': (input, call) =>
        tails.start({
          subject: input.subject,
          capacity: input.capacity,
          previewBytes: input.previewBytes,
          ...(call.sessionId ? { sessionId: call.sessionId } : {}),
          ...(call.signal ? { signal: call.signal } : {})
        }),
      'tail.stop': (input, call) => ({ stopped: tails.stop(input.id, call.sessionId) }),
      'tail.pause': (input, call) => tails.pause(input.id, call.sessionId),
      'tail.resume': (input, call) => tails.resume(input.id, call.sessionId),
      'tail.list': (_input, call) => ({ tails: tails.list(call.sessionId) }),
      'tail.read': (input, call) => tails.read(input.id, input.afterSeq, call.sessionId),
      'messages.publish': (input) => messaging.publish(input),
      'messages.request': (input) => messaging.request(input)
    }
  };
}
