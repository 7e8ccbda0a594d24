import { DEFAULT_NATS_URL } from '../core/config';
import type { CoreContext, CoreModule } from '../core/module';
import { MessagingService } from './messaging';
import { importNatsContexts, natsConfigDir } from './natscli-contexts';
import { ProfileStore, testConnection } from './profiles';
import { TailService } from './tail';

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
        const target = input.profile
          ? profiles.draftTarget(input.profile, input.id)
          : profiles.target(input.id as string);
        return testConnection(target, { timeoutMs: input.timeoutMs, name: `${ctx.config.nats.name} profile test` });
      },
      'profiles.importContexts': (input) => {
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
