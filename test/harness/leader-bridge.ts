/**
 * A bridge that leads under `gate` on a test core of its own (own SQLite file), driven by hand:
 * its outputs go to a RecordingPublisher, its naks back off quickly. The shared-state tests give
 * each leader one and hand it messages fetched from a durable of their own.
 */
import type { Core } from '../../main/app/create-core';
import { ConsciousnessBridge } from '../../main/bridge/bridge';
import type { LeadershipGate } from '../../main/bridge/leadership-gate';
import type { BridgeOptions } from '../../main/bridge/options';
import { RecordingPublisher } from './recording-publisher';

export function leaderBridge(
  core: Core,
  gate: LeadershipGate,
  options: Partial<BridgeOptions> = {}
): { bridge: ConsciousnessBridge; publisher: RecordingPublisher } {
  const publisher = new RecordingPublisher();
  const bridge = new ConsciousnessBridge(
    core.context,
    { publisher, provisioning: null },
    { active: true, nakBaseDelayMs: 100, nakMaxDelayMs: 400, ...options }
  );
  bridge.useGate(gate);
  bridge.resumeLeading();
  return { bridge, publisher };
}
