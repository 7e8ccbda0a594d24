/**
 * Last resort for the long-running commands (`run`, `serve`): an error no listener caught is logged
 * with its origin and stack instead of ending the engine, the bridge and the outbox with it. Every
 * boundary catches its own errors; this only keeps a stray rejection of a library (a watch that ends
 * during a cluster election, say) from taking the whole core down.
 */
import type { Logger } from '../core/logger';

export function keepRunningOnUncaught(logger: Logger, command: string): void {
  const onUncaught = (error: unknown, origin: string): void =>
    logger.error(`uncaught error; ${command} keeps running`, {
      error,
      origin,
      stack: error instanceof Error ? error.stack?.split('\n').slice(0, 8).join(' | ') : undefined
    });
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', (reason) => onUncaught(reason, 'unhandledRejection'));
}
