/**
 * The bridge's transactional inbox against a real nats-server and a real core (all modules, the
 * SQLite outbox included): an input whose id is committed is acked without stepping the engine
 * again, outputs carry ids derived from their input, and while the database cannot write no
 * inbound message is acked or terminated — valid and invalid ones are nak'ed, consumption pauses until a
 * write probe succeeds (no nak loop using up max_deliver), and once
 * the database writes again each yields its outputs and its invalid record exactly once.
 */
import { type JetStreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import type { ConsciousnessBridge } from '../../main/bridge/bridge';
import { inputDigest } from '../../main/bridge/inbox';
import { derivedMessageId } from '../../main/core/message-id';
import type { Core } from '../../main/app/create-core';
import { provision } from '../../main/nats/topology/provisioning';
import { bridgeDurableFor } from '../harness/bridge-durables';
import { createTestCore } from '../harness/core';
import { useServerAndClient } from '../harness/server-and-core';
import { tempDir, waitFor } from '../harness/temp';
import { encodeEnvelope } from '../harness/envelope';

const encoder = new TextEncoder();

const envelope = (id: string, type: string, data: unknown): Uint8Array =>
  encodeEnvelope(type, data, { id, source: 'test/inbox' });

const FAST = { active: true, tickIntervalMs: 50, nakBaseDelayMs: 100, nakMaxDelayMs: 400 };

async function startCore(url: string): Promise<{ core: Core; bridge: ConsciousnessBridge }> {
  const core = createTestCore({ servers: [url], dataDir: tempDir(), bridge: FAST });
  await core.start();
  await core.api.invoke('connection.connect', {});
  await waitFor(async () => (await core.api.invoke('bridge.status', {})).consumers.every((c) => c.bound), {
    timeoutMs: 20_000,
    message: 'all inbound consumers bound'
  });
  return { core, bridge: core.app.engine.bridge };
}

/** Envelopes stored on a subject, with their Nats-Msg-Id. */
async function storedOn(jsm: JetStreamManager, stream: string, subject: string) {
  const info = await jsm.streams.info(stream, { subjects_filter: subject });
  const out: Array<{ envelope: { id: string; data: Record<string, unknown> }; msgId: string | undefined }> = [];
  if (info.state.messages === 0) return out;
  for (let s = info.state.first_seq; s <= info.state.last_seq; s++) {
    const m = await jsm.streams.getMessage(stream, { seq: s }).catch(() => null);
    if (!m || m.subject !== subject) continue;
    out.push({ envelope: m.json(), msgId: m.header?.get('Nats-Msg-Id') });
  }
  return out;
}

describe('bridge inbox: exactly-once decisions and no ack while the database cannot write', () => {
  const env = useServerAndClient({ prepare: ({ nc }) => provision(nc) });

  it('a committed input published again is acked without a second decision; output ids derive from the input', async () => {
    const { core } = await startCore(env.server.url);
    try {
      const id = 'inbox-dup-1';
      const body = envelope(id, 'service.health.update', { service: 'dup-svc', status: 'unhealthy' });
      const firstAck = await env.js.publish('orchestrator.service.health', body);
      const first = await waitFor(
        async () => {
          const found = await storedOn(env.jsm, 'CONSCIOUSNESS_EVENTS', 'consciousness.decision_made');
          return found.find((d) => d.envelope.data.target === 'dup-svc') ?? null;
        },
        { message: 'a decision for dup-svc' }
      );
      // The same CloudEvent again, as a new stream message (a producer retrying without Nats-Msg-Id).
      await env.js.publish('orchestrator.service.health', body);
      await waitFor(async () => (await core.api.invoke('bridge.status', {})).inbound.duplicates === 1, {
        message: 'the second copy recognised as a duplicate'
      });
      // The ack goes out after the commit on the core's own connection: the server sees it a moment later.
      await waitFor(
        async () =>
          (await env.jsm.consumers.info('ORCHESTRATOR_EVENTS', bridgeDurableFor('orchestrator.service.health')))
            .num_ack_pending === 0,
        { message: 'the duplicate acknowledged' }
      );
      const decisions = (await storedOn(env.jsm, 'CONSCIOUSNESS_EVENTS', 'consciousness.decision_made')).filter(
        (d) => d.envelope.data.target === 'dup-svc'
      );
      expect(decisions).toHaveLength(1);
      // Its id is the one derived from the input (durable, source, id), its stream time and its place.
      const input = await env.jsm.streams.getMessage('ORCHESTRATOR_EVENTS', { seq: firstAck.seq });
      const digest = inputDigest(`consciousness_bridge_service\u0000test/inbox\u0000${id}`);
      const time = Math.floor(Date.parse(input!.time.toISOString()));
      const outputs = (await core.api.invoke('engine.events', { limit: 50 })).filter((e) =>
        e.subjects.includes('consciousness.decision_made')
      );
      const index = [...Array(10).keys()].find(
        (i) =>
          derivedMessageId(digest, time, `${i}\u0000consciousness.decision_made\u0000consciousness.decision_made`) ===
          first.msgId
      );
      expect(index, 'the decision id is derived from its input').not.toBeUndefined();
      expect(first.msgId).toBe(first.envelope.id);
      expect(outputs.map((o) => o.id)).toContain(first.msgId);
    } finally {
      await core.stop();
    }
  });

  it('while the database cannot write, valid and invalid messages are nak’ed, not acked or terminated; afterwards each counts once', async () => {
    const { core, bridge } = await startCore(env.server.url);
    const db = core.context.db;
    try {
      db.pragma('query_only = ON');
      const firstSeq = (
        await env.js.publish(
          'orchestrator.service.health',
          envelope('inbox-ro-1', 'service.health.update', { service: 'ro-svc', status: 'unhealthy' })
        )
      ).seq;
      await env.js.publish('orchestrator.service.health', encoder.encode('not json {'));
      await waitFor(async () => (await core.api.invoke('bridge.status', {})).inbound.naks >= 1, {
        message: 'the batch nak’ed'
      });
      // Consumption pauses instead of pulling, failing and nak'ing again (which would use up the
      // durables' max_deliver): several failed write probes later, nothing more was delivered.
      await waitFor(() => bridge.databasePause().paused && bridge.databasePause().failedProbes >= 3, {
        timeoutMs: 15_000,
        message: 'consumption paused, three write probes failed'
      });
      const paused = await core.api.invoke('bridge.status', {});
      expect(
        paused.consumers.every((c) => !c.bound && /paused: the database cannot be written/.test(c.lastError ?? ''))
      ).toBe(true);
      const naksWhilePaused = paused.inbound.naks;
      await waitFor(() => bridge.databasePause().failedProbes >= 5, { timeoutMs: 15_000, message: 'two more probes' });
      const during = await core.api.invoke('bridge.status', {});
      expect(during.inbound.naks).toBe(naksWhilePaused);
      expect(during.inbound.accepted).toBe(0);
      expect(during.inbound.invalid).toBe(0);
      const pending = await env.jsm.consumers.info(
        'ORCHESTRATOR_EVENTS',
        bridgeDurableFor('orchestrator.service.health')
      );
      // Neither acked nor terminated: the consumer's ack floor is still below both.
      expect(pending.ack_floor.stream_seq).toBeLessThan(firstSeq);
      expect(pending.num_ack_pending + pending.num_pending).toBeGreaterThanOrEqual(2);
      expect(bridge.engine.problems().open.some((p) => p.target === 'ro-svc')).toBe(false);

      db.pragma('query_only = OFF');
      await waitFor(
        async () => {
          const s = await core.api.invoke('bridge.status', {});
          return s.inbound.accepted === 1 && s.inbound.invalid === 1;
        },
        // A message the server handed to a pull that was closing for the pause comes back after
        // the durable's ack_wait (30 s), not at once.
        { timeoutMs: 45_000, message: 'the valid message accepted and the invalid one terminated' }
      );
      const invalid = await core.api.invoke('bridge.invalidMessages', {});
      expect(invalid.counts).toEqual({ not_json: 1 });
      expect(invalid.items).toHaveLength(1);
      const decisions = await waitFor(
        async () => {
          const found = (await storedOn(env.jsm, 'CONSCIOUSNESS_EVENTS', 'consciousness.decision_made')).filter(
            (d) => d.envelope.data.target === 'ro-svc'
          );
          return found.length > 0 ? found : null;
        },
        { message: 'the decision for ro-svc' }
      );
      expect(decisions).toHaveLength(1);
      const after = await env.jsm.consumers.info(
        'ORCHESTRATOR_EVENTS',
        bridgeDurableFor('orchestrator.service.health')
      );
      expect(after.num_ack_pending + after.num_pending).toBe(0);
    } finally {
      db.pragma('query_only = OFF');
      await core.stop();
    }
  });
});
