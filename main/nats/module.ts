import type { ModuleFactory } from '../core/module';

/** connection.* procedures and the connection-state event. */
export const connectionModule: ModuleFactory = (ctx) => {
  let unsubscribe: (() => void) | null = null;
  return {
    name: 'connection',
    start() {
      unsubscribe = ctx.nats.onStatus((status) => ctx.events.emit('connection.state', status));
    },
    stop() {
      unsubscribe?.();
    },
    handlers: {
      'connection.status': () => ctx.nats.status(),
      'connection.connect': (input) => ctx.nats.connect(input.servers ? { servers: input.servers } : {}),
      'connection.disconnect': () => ctx.nats.disconnect()
    }
  };
};
