/**
 * Puts the bridge behind the leader lease: while this core leads, the bridge binds the inbound
 * durables and publishes engine outputs; the moment the lease is lost (or stepped down) both stop
 * together. A new term first restores the state the previous leader shared, then consumes.
 */
import type { CoreContext } from '../core/module';
import type { ConsciousnessBridge } from '../bridge/bridge';
import type { BridgeLeadershipLink, LeadershipGate } from '../bridge/leadership-gate';
import type { SharedEngineStateStore } from './shared-state';
import { ObserverFeed } from './observer-feed';

/** The lease and the state it shares; both null when this core takes no part (one-shot commands). */
export interface LeadershipParts {
  gate: LeadershipGate | null;
  shared: SharedEngineStateStore | null;
}

/** Null when this core has no lease (one-shot commands) or the bridge does not run the engine. */
export function linkBridgeToLeadership(
  ctx: CoreContext,
  bridge: ConsciousnessBridge,
  parts: LeadershipParts
): BridgeLeadershipLink | null {
  const { gate, shared } = parts;
  if (!gate || !bridge.active) return null;
  bridge.useGate(gate);
  const logger = ctx.logger.child({ part: 'leadership' });
  let unsubscribe: (() => void) | null = null;
  let term = 0;
  const feed = new ObserverFeed(ctx.nats, gate, bridge, logger);

  const activate = async (): Promise<void> => {
    const mine = ++term;
    if (shared) {
      try {
        await shared.restoreInto(bridge);
      } catch (error) {
        logger.error('cannot load the shared engine state; continuing from this core’s own copy', { error });
      }
    }
    if (mine !== term || !gate.isActive()) return;
    logger.info('running the engine: consuming the inbound durables', { epoch: gate.epoch() });
    bridge.resumeLeading();
  };

  return {
    start() {
      shared?.attach(bridge);
      feed.start();
      unsubscribe = gate.onChange((change) => {
        if (change.role === 'active') void activate();
        else {
          term++;
          bridge.stopLeading();
        }
      });
      if (gate.isActive()) void activate();
    },
    async stop() {
      unsubscribe?.();
      unsubscribe = null;
      await feed.stop();
      // The last state of this term, for whoever leads next (the lease is released after this).
      await shared?.write().catch((error) => logger.warn('writing the final shared engine state failed', { error }));
      shared?.detach();
    }
  };
}

export type { BridgeLeadershipLink };
