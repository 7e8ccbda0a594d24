/**
 * Puts the bridge behind the leader lease: while this core leads, the bridge binds the inbound
 * durables and publishes engine outputs; the moment the lease is lost (or stepped down) both stop
 * together. A new term first restores the state the previous leader shared, then consumes.
 */
import type { CoreContext } from '../core/module';
import type { ConsciousnessBridge } from '../bridge/bridge';
import { LEADERSHIP_SERVICE, type LeadershipGate } from './gate';

export interface BridgeLeadershipLink {
  start(): void;
  stop(): void;
}

/** Null when this core has no lease (one-shot commands, tests without the leadership module). */
export function linkBridgeToLeadership(ctx: CoreContext, bridge: ConsciousnessBridge): BridgeLeadershipLink | null {
  const gate = ctx.services.get(LEADERSHIP_SERVICE) as LeadershipGate | undefined;
  if (!gate || !bridge.active) return null;
  bridge.useGate(gate);
  const logger = ctx.logger.child({ part: 'leadership' });
  let unsubscribe: (() => void) | null = null;
  let term = 0;

  const activate = async (): Promise<void> => {
    const mine = ++term;
    const restore = ctx.services.get('engine.sharedState') as
      { restoreInto?: (b: ConsciousnessBridge) => Promise<void> } | undefined;
    if (restore?.restoreInto) {
      try {
        await restore.restoreInto(bridge);
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
      unsubscribe = gate.onChange((change) => {
        if (change.role === 'active') void activate();
        else {
          term++;
          bridge.stopLeading();
        }
      });
      if (gate.isActive()) void activate();
    },
    stop() {
      unsubscribe?.();
      unsubscribe = null;
    }
  };
}
