/**
 * Decision provenance against a real nats-server and a real core (all modules, the SQLite outbox
 * included): a published input that makes the engine decide is explained by `engine.why` with
 * that input's stream sequence and the outputs' PubAck sequences, as JetStream stored them; an
 * input delivered again (JetStream redelivering it after naks, or the same CloudEvent published a
 * second time) writes no second provenance; and `synos-cc engine why` prints the same, as JSON and
 * as text, with NOT_FOUND and exit 1 for an id no decision has.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BRIDGE_SETTINGS } from '../../main/bridge/settings';
import type { DecisionWhy } from '../../main/contract';
import type { Core } from '../../main/app/create-core';
import { provision } from '../../main/nats/topology/provisioning';
import { useServerAndCore } from '../harness/server-and-core';
import { runCliSync } from '../harness/cli';
import { tempDir, waitFor } from '../harness/temp';
import { bridgeDurableFor } from '../harness/bridge-durables';
import { encodeEnvelope } from '../harness/envelope';

const envelope = (id: string, type: string, data: unknown): Uint8Array =>
  encodeEnvelope(type, data, { id, source: 'test/why' });

const FAST = { active: true, tickIntervalMs: 50, nakBaseDelayMs: 100, nakMaxDelayMs: 400 };
/** The bridge durable the inputs of this file are delivered on. */
const DURABLE = bridgeDurableFor('orchestrator.service.health');

async function allInboundBound(core: Core): Promise<void> {
  await waitFor(async () => (await core.api.invoke('bridge.status', {})).consumers.every((c) => c.bound), {
    timeoutMs: 20_000,
    message: 'all inbound consumers bound'
  });
}

function provenanceRows(core: Core, target: string): number {
  return (
    core.context.db
      .prepare<[string], { n: number }>(
        `SELECT count(*) AS n FROM engine_decision_provenance WHERE json_extract(decision, '$.target') = ?`
      )
      .get(target)?.n ?? 0
  );
}

/**
 * The open problem's id for a target, once the engine has decided on it and that decision is
 * committed (its provenance is written in the same transaction): the engine shows the problem as
 * soon as it stepped the input, a moment before the commit.
 */
async function decisionFor(core: Core, target: string, timeoutMs = 10_000): Promise<string> {
  return waitFor(
    async () => {
      const problems = await core.api.invoke('engine.problems', { status: 'all', limit: 100 });
      const id = problems.find((p) => p.target === target)?.id ?? null;
      return id !== null && provenanceRows(core, target) > 0 ? id : null;
    },
    { timeoutMs, message: `a committed decision for ${target}` }
  );
}

describe('engine why: decisions explain themselves from what was recorded with them', () => {
  const dataDir = tempDir();
  const env = useServerAndCore({ prepare: ({ nc }) => provision(nc), core: { dataDir, bridge: FAST } });
  beforeAll(() => allInboundBound(env.core));

  it('returns the published input with its stream seq and every output with the seq JetStream acknowledged', async () => {
    const ack = await env.js.publish(
      'orchestrator.service.health',
      envelope('why-1', 'service.health.update', { service: 'why-svc', status: 'unhealthy', detail: 'probe failed' })
    );
    const id = await decisionFor(env.core, 'why-svc');
    const why = await waitFor(
      async () => {
        const w = await env.core.api.invoke('engine.why', { id });
        return w.outputs.every((o) => o.state === 'published') ? w : null;
      },
      { message: 'every output of the input published' }
    );
    expect(why.decisionId).toBe(id);
    expect(why.inputs).toHaveLength(1);
    expect(why.inputs[0]).toMatchObject({
      id: 'why-1',
      source: 'test/why',
      type: 'service.health.update',
      subject: 'orchestrator.service.health',
      stream: ack.stream,
      seq: ack.seq,
      durable: DURABLE,
      deliveryCount: 1
    });
    expect(why.decision).toMatchObject({ kind: 'service_unhealthy', target: 'why-svc', action: why.strategy.action });
    expect(why.strategy.kind).toBe('service_unhealthy');
    expect(why.strategy.weight).toBeCloseTo(why.decision.confidence, 3);
    expect(why.strategy.alternatives.map((a) => a.action)).not.toContain(why.strategy.action);
    expect(why.state.attention.map((a) => a.target)).toContain('why-svc');
    expect(why.state.state.open_problems).toBeGreaterThanOrEqual(1);

    // The decision itself is among the outputs, on its own subject and the orchestrator forward.
    const decision = why.outputs.filter((o) => o.type === 'consciousness.decision_made');
    expect(decision.map((o) => o.subject).sort()).toEqual(
      ['consciousness.decision_made', DEFAULT_BRIDGE_SETTINGS.outboundMapping['consciousness.decision_made']].sort()
    );
    expect(decision.map((o) => o.id)).toContain(why.messageId);
    // Each output's seq is where JetStream stored the message with that Nats-Msg-Id.
    for (const o of why.outputs) {
      expect(o.seq, `${o.subject} has a PubAck seq`).not.toBeNull();
      const stored = await env.jsm.streams.getMessage(o.stream!, { seq: o.seq! });
      expect(stored?.header?.get('Nats-Msg-Id')).toBe(o.id);
      expect(stored?.subject).toBe(o.subject);
    }
    // The decision's message id finds it too.
    expect((await env.core.api.invoke('engine.why', { id: why.messageId })).decisionId).toBe(id);
  });

  it('the same CloudEvent published again is acked from the inbox and writes no second provenance', async () => {
    const body = envelope('why-dup', 'service.health.update', { service: 'why-dup-svc', status: 'unhealthy' });
    const first = await env.js.publish('orchestrator.service.health', body);
    const id = await decisionFor(env.core, 'why-dup-svc');
    const before = (await env.core.api.invoke('bridge.status', {})).inbound.duplicates;
    const second = await env.js.publish('orchestrator.service.health', body);
    // Recognised (counted when handled), then acked once its batch committed: the next test makes
    // commits fail, and must not fail this batch's.
    await waitFor(
      async () => {
        const duplicates = (await env.core.api.invoke('bridge.status', {})).inbound.duplicates;
        const consumer = await env.jsm.consumers.info(second.stream, DURABLE);
        return duplicates === before + 1 && consumer.ack_floor.stream_seq >= second.seq;
      },
      { message: 'the second copy recognised as a duplicate and acked' }
    );
    expect(provenanceRows(env.core, 'why-dup-svc')).toBe(1);
    expect((await env.core.api.invoke('engine.why', { id })).inputs[0]?.seq).toBe(first.seq);
  });

  it(
    'an input JetStream redelivers (nak’ed while the database could not write) is explained once, by the delivery that committed',
    { timeout: 90_000 },
    async () => {
      const db = env.core.context.db;
      try {
        db.pragma('query_only = ON');
        const naks = (await env.core.api.invoke('bridge.status', {})).inbound.naks;
        const ack = await env.js.publish(
          'orchestrator.service.health',
          envelope('why-redelivered', 'service.health.update', { service: 'why-re-svc', status: 'unhealthy' })
        );
        // The failed commit naks the input and pauses consumption; it is redelivered once the database
        // can be written again (the bridge's write probe resumes it). Waited for by the input's own
        // delivery too, not only by the counters: any other batch whose commit fails meanwhile naks
        // and pauses as well, possibly before this input was delivered at all.
        await waitFor(
          async () => {
            const status = await env.core.api.invoke('bridge.status', {});
            const consumer = await env.jsm.consumers.info(ack.stream, DURABLE);
            return (
              consumer.delivered.stream_seq >= ack.seq &&
              status.inbound.naks >= naks + 1 &&
              status.consumers.every((c) => !c.bound)
            );
          },
          { message: 'the input delivered, nak’ed, and consumption paused' }
        );
        db.pragma('query_only = OFF');
        // Redelivered after the nak's delay, or after ack_wait for a message a closing pull still held.
        const id = await decisionFor(env.core, 'why-re-svc', 60_000);
        const why = await env.core.api.invoke('engine.why', { id });
        expect(why.inputs[0]?.seq).toBe(ack.seq);
        expect(why.inputs[0]?.deliveryCount).toBeGreaterThan(1);
        expect(provenanceRows(env.core, 'why-re-svc')).toBe(1);
      } finally {
        db.pragma('query_only = OFF');
      }
    }
  );

  it('the timeline holds each decision with its input, attention shifts, inputs by family and the load series', async () => {
    const ack = await env.js.publish(
      'orchestrator.service.health',
      envelope('why-timeline', 'service.health.update', { service: 'why-tl-svc', status: 'unhealthy' })
    );
    const id = await decisionFor(env.core, 'why-tl-svc');
    const timeline = await waitFor(
      async () => {
        const t = await env.core.api.invoke('engine.timeline', { minutes: 10 });
        return t.events.some((e) => e.decisionId === id && e.input !== null) ? t : null;
      },
      { message: 'the decision on the timeline, with its input once committed' }
    );
    const decision = timeline.events.find((e) => e.kind === 'decision' && e.decisionId === id)!;
    expect(decision.input).toEqual({ family: 'service', stream: 'ORCHESTRATOR_EVENTS', seq: ack.seq });
    expect(decision.label).toContain('why-tl-svc');
    // The first input of this file moved the focus from nothing to its service.
    expect(timeline.events.some((e) => e.kind === 'attention' && e.label.startsWith('nothing → why-svc'))).toBe(true);
    // Oldest first, inside the window.
    const times = timeline.events.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(times.every((t) => t >= Date.parse(timeline.from) && t <= Date.parse(timeline.to))).toBe(true);
    // Every input of this file so far was a service health update, each counted once (the duplicate and the naks not).
    const counted = timeline.inputs.reduce((n, b) => n + b.service, 0);
    expect(counted).toBe((await env.core.api.invoke('bridge.status', {})).inbound.accepted - 1);
    expect(timeline.inputs.every((b) => b.security === 0 && b.system === 0 && b.user === 0)).toBe(true);
    expect(timeline.inputsSince).not.toBeNull();
    expect(timeline.series.length).toBeGreaterThan(0);
    expect(timeline.series.every((p) => p.load >= 0 && p.load <= 1 && p.mode >= 0 && p.mode <= 2)).toBe(true);
  });

  it('synos-cc engine why prints it as JSON and as text; an unknown id is NOT_FOUND with exit 1', async () => {
    const ack = await env.js.publish(
      'orchestrator.service.health',
      envelope('why-cli', 'service.health.update', { service: 'why-cli-svc', status: 'unhealthy' })
    );
    const id = await decisionFor(env.core, 'why-cli-svc');
    await waitFor(
      async () => (await env.core.api.invoke('engine.why', { id })).outputs.every((o) => o.state === 'published'),
      { message: 'the outputs published' }
    );
    // Read from the data directory while the core runs on it.
    const json = runCliSync(['engine', 'why', id, '--json', '--data', dataDir]);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const why = JSON.parse(json.stdout) as DecisionWhy;
    expect(why.decisionId).toBe(id);
    expect(why.inputs[0]).toMatchObject({ id: 'why-cli', stream: 'ORCHESTRATOR_EVENTS', seq: ack.seq });
    expect(why.outputs.length).toBeGreaterThan(0);
    expect(why.outputs.every((o) => o.state === 'published' && o.seq !== null)).toBe(true);

    const text = runCliSync(['engine', 'why', id, '--data', dataDir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`decision ${id}`);
    expect(text.stdout).toContain(`ORCHESTRATOR_EVENTS seq ${ack.seq}`);
    expect(text.stdout).toMatch(/strategy: \w+ for service_unhealthy, learned weight \d\.\d{3}/);
    const decisionRow = text.stdout.split('\n').find((l) => l.startsWith('decision_made') && l.includes('published'));
    const decisionOut = why.outputs.find((o) => o.subject === 'consciousness.decision_made')!;
    expect(decisionRow).toContain(String(decisionOut.seq));

    const missing = runCliSync(['engine', 'why', 'p-nope-1', '--data', dataDir]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('error: NOT_FOUND: no decision "p-nope-1"');
  });
});
