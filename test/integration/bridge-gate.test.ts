/**
 * The bridge behind the leadership gate (real core, real SQLite; the gate is driven by hand): an
 * output is stamped with the term's epoch (envelope synosepoch and header Synos-Epoch) while the
 * lease runs, and nothing is handed to the publisher once the lease has run out — even before the
 * lease's own timers have told anyone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConsciousnessBridge } from '../../main/bridge/bridge';
import type { Core } from '../../main/app/create-core';
import type { LeadershipGate } from '../../main/bridge/leadership-gate';
import type { EngineEvent } from '../../main/engine/engine';
import { createTestCore } from '../harness/core';
import { RecordingPublisher } from '../harness/recording-publisher';

let core: Core | null = null;
afterEach(async () => {
  await core?.stop();
  core = null;
});

function decision(time: number): EngineEvent {
  return {
    type: 'consciousness.decision_made',
    data: {
      problem_id: 'p-1',
      kind: 'service_unhealthy',
      action: 'restart_service',
      confidence: 0.6,
      rationale: 'r',
      target: 'api'
    },
    time,
    priority: 'high'
  } as EngineEvent;
}

/**
 * Puts engine events through the bridge's output path as an input's step would: collected into
 * the open batch, committed, then handed to the publisher.
 */
function emit(bridge: ConsciousnessBridge, event: EngineEvent): void {
  (bridge as unknown as { collectOutputs(e: EngineEvent[], cause: null): void }).collectOutputs([event], null);
  bridge.commitBatch();
}

describe('bridge leadership gate', () => {
  it('stamps the epoch while leading and publishes nothing once the lease has run out', async () => {
    const publisher = new RecordingPublisher();
    core = createTestCore();
    // A bridge of its own on the core's kernel, handed a publisher that records what it is given.
    const bridge = new ConsciousnessBridge(core.context, { publisher, provisioning: null }, { active: true });
    let validUntil = Date.now() + 60_000;
    const gate: LeadershipGate = {
      isActive: () => Date.now() < validUntil,
      epoch: () => 42,
      currentRole: () => 'active',
      onChange: () => () => undefined
    };
    bridge.useGate(gate);
    expect(bridge.leading).toBe(false); // closed until the shared state is loaded
    bridge.resumeLeading();
    expect(bridge.leading).toBe(true);

    emit(bridge, decision(Date.now()));
    await bridge.flushOutbound();
    expect(publisher.messages.length).toBe(2); // its own subject and the orchestrator forward
    for (const m of publisher.messages) {
      expect(m.headers).toEqual({ 'Synos-Epoch': '42' });
      expect(JSON.parse(new TextDecoder().decode(m.payload)).synosepoch).toBe(42);
    }

    // The lease runs out; no listener has been told (the timers have not run).
    validUntil = Date.now() - 1;
    expect(bridge.leading).toBe(false);
    emit(bridge, decision(Date.now()));
    await bridge.flushOutbound();
    expect(publisher.messages.length).toBe(2);
  });
});
