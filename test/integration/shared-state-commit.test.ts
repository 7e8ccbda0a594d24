/**
 * The shared engine state a next leader restores never runs ahead of what the leader committed.
 * Real nats-server (the KV bucket, the inbound stream and its redeliveries), real SQLite; the
 * bridges are driven by hand with messages fetched from a durable of their own, so the window the
 * test needs is reached deterministically instead of by load:
 *
 * - an input is stepped into the open batch (its problem open in the engine) and the shared state
 *   is written before that batch commits;
 * - a batch of MAX_BATCH forces its commit in the middle of a read, which resolves a write's wait
 *   for the commit, and the next message is stepped before the write's continuation runs.
 *
 * That batch's commit then fails (the database is made read-only, `query_only`): the input is
 * nak'ed and never committed, exactly as when the leader is killed with SIGKILL before the commit.
 * The shared state must not hold its problem; a next leader restores it and, when JetStream
 * redelivers the input, makes its decision (with the problem restored as open the decision was
 * skipped: lost for good).
 *
 * The first case fails when write() reads the engine without waiting for the commit; the second
 * when it waits for one commit only instead of until nothing stepped is uncommitted.
 *
 * The other way round, a core's engine never goes back to an older term's shared state: a leader
 * that closed a problem and whose lease lapsed before its state reached the bucket keeps its
 * engine when the term resumes, and what the watch delivers of the older term (before or after it
 * took over) never replaces it; otherwise the closed problem is open again and the service's next
 * failure gets no decision.
 */
import { AckPolicy, type JsMsg } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../main/app/create-core';
import type { InboundConsumerSpec } from '../../main/bridge/inbound';
import { MAX_BATCH } from '../../main/bridge/inbound-batch';
import type { LeadershipGate } from '../../main/bridge/leadership-gate';
import type { EngineHandover } from '../../main/engine/engine';
import { SharedEngineStateStore, STATE_BUCKET } from '../../main/leadership/shared-state';
import { createLogger } from '../../main/core/logger';
import { provision } from '../../main/nats/topology/provisioning';
import { createTestCore } from '../harness/core';
import { encodeEnvelope } from '../harness/envelope';
import { useServerAndClient } from '../harness/server-and-core';
import { waitFor } from '../harness/temp';
import { leaderBridge } from '../harness/leader-bridge';

const SUBJECT = 'orchestrator.service.health';
const DURABLE = 'shared_state_commit_test';
const SPEC: InboundConsumerSpec = {
  stream: 'ORCHESTRATOR_EVENTS',
  durable: DURABLE,
  family: 'orchestrator',
  filter: SUBJECT
};

/**
 * A lease under `epoch`, held until the test lets it lapse (`active = false`) and resumed the same
 * way (the lease's own timing is not under test here; bridge-link restores on a resume).
 */
function lease(epoch: number): LeadershipGate & { active: boolean } {
  return {
    active: true,
    isActive() {
      return this.active;
    },
    epoch() {
      return this.active ? epoch : null;
    },
    currentRole() {
      return this.active ? 'active' : 'standby';
    },
    onChange: () => () => undefined
  };
}

const cores: Core[] = [];
afterEach(async () => {
  for (const core of cores.splice(0)) {
    core.context.db.pragma('query_only = OFF');
    await core.stop();
  }
});

/**
 * Lets pending promise continuations run without leaving the current turn of the event loop: no
 * timer, I/O or setImmediate callback (the group commit) runs in between.
 */
async function drainMicrotasks(): Promise<void> {
  for (let i = 0; i < 100; i++) await Promise.resolve();
}

describe('the shared engine state holds only committed steps', () => {
  const env = useServerAndClient({
    prepare: async ({ nc, jsm }) => {
      await provision(nc);
      await jsm.consumers.add('ORCHESTRATOR_EVENTS', {
        durable_name: DURABLE,
        filter_subject: SUBJECT,
        ack_policy: AckPolicy.Explicit,
        ack_wait: 60_000_000_000
      });
    }
  });

  let run = 0;

  /** A leader's bridge and its shared-state store on a core of its own (own SQLite file). */
  async function leader(group: string, epoch: number) {
    // The failed commit is logged as an error: kept here (and asserted), not printed.
    const logged: string[] = [];
    const core = createTestCore({ logger: createLogger({ level: 'error', write: (line) => logged.push(line) }) });
    cores.push(core);
    const gate = lease(epoch);
    const { bridge, publisher } = leaderBridge(core, gate);
    const shared = new SharedEngineStateStore({ connection: () => env.nc }, gate, {
      group,
      replicas: 1,
      logger: createLogger({ level: 'error' })
    });
    // attach() hands the store its bridge; its timers and bus listener are not wanted here: every
    // write below is the test's own call.
    shared.attach(bridge);
    shared.detach();
    return { core, bridge, shared, publisher, logged, gate };
  }

  /** Publishes service health updates and fetches them from the test's durable, unacknowledged. */
  async function deliver(updates: Array<{ service: string; status: 'healthy' | 'unhealthy' }>): Promise<JsMsg[]> {
    for (const u of updates)
      await env.js.publish(SUBJECT, encodeEnvelope('service.health.update', u, { idPrefix: `det-${run}` }));
    const consumer = await env.js.consumers.get('ORCHESTRATOR_EVENTS', DURABLE);
    const msgs: JsMsg[] = [];
    while (msgs.length < updates.length) {
      const batch = await consumer.fetch({ max_messages: updates.length - msgs.length, expires: 5000 });
      for await (const m of batch) msgs.push(m);
    }
    return msgs;
  }

  async function storedHandover(group: string): Promise<EngineHandover | null> {
    const kv = await new Kvm(env.nc).open(STATE_BUCKET);
    const entry = await kv.get(`${group}.handover`);
    if (!entry || entry.operation !== 'PUT') return null;
    return (entry.json() as { value: EngineHandover | null }).value;
  }

  /**
   * The next leader restores the shared state and is handed the input JetStream redelivers (the
   * failed commit nak'ed it): it must make the input's decision, once.
   */
  async function nextLeaderDecides(group: string, target: string): Promise<void> {
    const next = await leader(group, 2);
    await next.shared.restoreInto(next.bridge);
    const consumer = await env.js.consumers.get('ORCHESTRATOR_EVENTS', DURABLE);
    const redelivered = await waitFor(async () => consumer.next({ expires: 2000 }), {
      timeoutMs: 30_000,
      message: `the redelivery of the uncommitted input for ${target}`
    });
    expect(redelivered.info.deliveryCount).toBeGreaterThan(1);
    expect((redelivered.json() as { data: { service: string } }).data.service).toBe(target);
    next.bridge.handleMessage(redelivered, SPEC);
    await next.bridge.whenCommitted();
    await next.bridge.flushOutbound();
    expect(
      next.publisher.decisionsFor(target),
      'the next leader decides on the redelivered input (a restored open problem would swallow the decision)'
    ).toHaveLength(1);
  }

  it('a write between an input’s step and its commit hands on nothing of that input', async () => {
    run++;
    const group = `det-step-${run}`;
    const target = `svc-step-${run}`;
    const first = await leader(group, 1);
    const [input] = await deliver([{ service: target, status: 'unhealthy' }]);
    // The bucket is opened and the empty state shared first, so the write below reads at once.
    await first.shared.write();

    const db = first.core.context.db;
    db.pragma('query_only = ON'); // this batch's commit fails, as if the leader died before it
    first.bridge.handleMessage(input!, SPEC);
    expect(first.bridge.engine.problems().open.map((p) => p.target)).toEqual([target]); // stepped, not committed
    await first.shared.write();

    // The commit failed: the input was nak'ed and the engine rebuilt from the database.
    expect(first.logged.join('\n')).toContain('could not commit inbound messages');
    expect(first.bridge.databasePause().paused).toBe(true);
    expect(first.bridge.engine.problems().open).toEqual([]);
    const handover = await storedHandover(group);
    expect
      .soft(
        (handover?.openProblems ?? []).map((p) => p.target),
        'the shared state holds a problem whose input was never committed'
      )
      .not.toContain(target);
    db.pragma('query_only = OFF');

    await nextLeaderDecides(group, target);
  });

  it('a commit forced by a full batch mid-read does not let the next message’s step into the write', async () => {
    run++;
    const group = `det-full-${run}`;
    const target = `svc-full-${run}`;
    const first = await leader(group, 1);
    // MAX_BATCH healthy updates fill the batch; the last message, in the same read, opens a problem.
    const updates = Array.from({ length: MAX_BATCH }, (_, i) => ({
      service: `svc-full-${run}-ok-${i}`,
      status: 'healthy' as const
    }));
    const msgs = await deliver([...updates, { service: target, status: 'unhealthy' }]);
    await first.shared.write();

    const db = first.core.context.db;
    // One message stepped, then the write starts and waits for that batch's commit.
    first.bridge.handleMessage(msgs[0]!, SPEC);
    const writing = first.shared.write();
    await drainMicrotasks();
    expect(first.bridge.hasUncommitted()).toBe(true);
    // The rest of the read, in one turn: the batch reaches MAX_BATCH and commits (resolving the
    // write's wait), then the last message is stepped into a new batch before the write goes on.
    for (const m of msgs.slice(1, MAX_BATCH)) first.bridge.handleMessage(m, SPEC);
    expect(first.bridge.hasUncommitted()).toBe(false); // the forced commit landed
    db.pragma('query_only = ON'); // the next batch's commit fails, as if the leader died before it
    first.bridge.handleMessage(msgs[MAX_BATCH]!, SPEC);
    expect(first.bridge.engine.problems().open.map((p) => p.target)).toEqual([target]);
    await writing;

    expect(first.logged.join('\n')).toContain('could not commit inbound messages');
    expect(first.bridge.databasePause().paused).toBe(true);
    expect(first.bridge.engine.problems().open).toEqual([]);
    const handover = await storedHandover(group);
    expect
      .soft(
        (handover?.openProblems ?? []).map((p) => p.target),
        'the shared state holds a problem whose input was never committed'
      )
      .not.toContain(target);
    db.pragma('query_only = OFF');

    // The forced commit's inputs were committed and acknowledged: only the last one comes back.
    await nextLeaderDecides(group, target);
  });

  it('a late write of the previous term does not keep this term from sharing its state', async () => {
    run++;
    const group = `det-late-${run}`;
    const target = `svc-late-${run}`;
    const previous = await leader(group, 1);
    const fail = async (service: string) => {
      const [failed] = await deliver([{ service, status: 'unhealthy' }]);
      previous.bridge.handleMessage(failed!, SPEC);
      await previous.bridge.whenCommitted();
    };
    await fail(target);
    await previous.shared.write();

    const core = await leader(group, 2);
    await core.shared.restoreInto(core.bridge);
    // The previous leader's write that passed its lease check before the lease ran out, and lands
    // only now (held in its client's buffer through a reconnect, say): the bucket takes it, since
    // this term has not written yet.
    await fail(`${target}-other`);
    await previous.shared.write();
    expect((await storedHandover(group))?.openProblems.map((p) => p.target)).toContain(`${target}-other`);

    const [recovered] = await deliver([{ service: target, status: 'healthy' }]);
    core.bridge.handleMessage(recovered!, SPEC);
    await core.bridge.whenCommitted();
    await expect.soft(core.shared.write(), 'this term shares its state over the late write').resolves.toBeUndefined();
    const stored = await storedHandover(group);
    expect.soft(stored?.openProblems.map((p) => p.target)).not.toContain(target);
    // And the previous leader, fenced, cannot overwrite this term's state any more.
    await fail(`${target}-third`);
    await expect.soft(previous.shared.write()).rejects.toThrow(/wrong last sequence/i);

    // The next leader continues from this term's state: the service's next failure is decided on.
    const next = await leader(group, 3);
    await next.shared.restoreInto(next.bridge);
    expect.soft(next.bridge.engine.problems().open.map((p) => p.target)).not.toContain(target);
    const [again] = await deliver([{ service: target, status: 'unhealthy' }]);
    next.bridge.handleMessage(again!, SPEC);
    await next.bridge.whenCommitted();
    await next.bridge.flushOutbound();
    expect(
      next.publisher.decisionsFor(target),
      'the next failure is decided on (the previous term’s open problem swallows it)'
    ).toHaveLength(1);
  });

  describe('a term never goes back to an older term’s shared state', () => {
    /**
     * The previous leader (epoch 1) decides on a failure and shares its open problem; this core
     * takes over (epoch 2), restores it, and commits the recovery (the problem judged and closed;
     * the input acknowledged). Its lease then lapses before this term's state reached the bucket
     * (a renewal and the state write both stuck behind a slow stream, say), so the bucket still
     * holds the previous term's state with the problem open.
     */
    async function recoveredThenLapsed(group: string, target: string, options: { followFirst?: boolean } = {}) {
      const previous = await leader(group, 1);
      const fail = async (service: string) => {
        const [failed] = await deliver([{ service, status: 'unhealthy' }]);
        previous.bridge.handleMessage(failed!, SPEC);
        await previous.bridge.whenCommitted();
        await previous.shared.write();
      };
      await fail(target);

      const core = await leader(group, 2);
      if (options.followFirst) {
        // A standby first: it follows the previous leader's state into its engine...
        core.gate.active = false;
        await waitFor(
          async () => {
            await core.shared.refreshWarmCopy();
            return core.bridge.engine.problems().open.some((p) => p.target === target);
          },
          { message: 'the standby’s engine follows the shared state' }
        );
        // ...and the watch delivers the previous leader's last write (as before a step-down) after
        // its timer's last look, so the copy is still untaken when it becomes the leader.
        const taken = core.shared.followed.taken;
        await fail(`${target}-other`);
        await waitFor(() => core.shared.followed.taken > taken, { message: 'the last write delivered' });
        core.gate.active = true;
      }
      await core.shared.restoreInto(core.bridge);
      expect(core.bridge.engine.problems().open.map((p) => p.target)).toContain(target);
      const [recovered] = await deliver([{ service: target, status: 'healthy' }]);
      core.bridge.handleMessage(recovered!, SPEC);
      await core.bridge.whenCommitted();
      expect(core.bridge.engine.problems().open.map((p) => p.target)).not.toContain(target);
      core.gate.active = false;
      await core.shared.write(); // fenced: nothing is written
      const stored = await storedHandover(group);
      expect(stored?.openProblems.map((p) => p.target)).toContain(target);
      return core;
    }

    /** The same term resumes (bridge-link restores on it); a new failure of the service must be decided on. */
    async function resumeAndFailAgain(core: Awaited<ReturnType<typeof leader>>, target: string): Promise<void> {
      core.gate.active = true;
      await core.shared.restoreInto(core.bridge);
      expect
        .soft(
          core.bridge.engine.problems().open.map((p) => p.target),
          'the engine went back to the previous term’s state: the problem it closed is open again'
        )
        .not.toContain(target);
      const [again] = await deliver([{ service: target, status: 'unhealthy' }]);
      core.bridge.handleMessage(again!, SPEC);
      await core.bridge.whenCommitted();
      await core.bridge.flushOutbound();
      expect(
        core.publisher.decisionsFor(target),
        'a new failure after the recovery is decided on (a reopened stale problem swallows the decision)'
      ).toHaveLength(1);
    }

    it('a term resumed after its lease lapsed keeps its own engine, not the older shared state', async () => {
      run++;
      const target = `svc-resume-${run}`;
      const core = await recoveredThenLapsed(`det-resume-${run}`, target);
      await resumeAndFailAgain(core, target);
    });

    it('while its lease has lapsed, a core does not take an older term’s state from the watch into its engine', async () => {
      run++;
      const target = `svc-watch-${run}`;
      const core = await recoveredThenLapsed(`det-watch-${run}`, target);
      // Not leading, the store follows the bucket (its timer does this every second): the watch
      // starts and delivers the three parts the previous term wrote.
      await core.shared.refreshWarmCopy();
      await waitFor(
        async () => {
          await core.shared.refreshWarmCopy();
          return core.shared.followed.taken + core.shared.followed.skipped >= 3;
        },
        { message: 'the watch delivered the three parts of the shared state' }
      );
      await core.shared.refreshWarmCopy(); // takes what the watch delivered, if anything
      expect
        .soft(
          core.bridge.engine.problems().open.map((p) => p.target),
          'the warm copy of the previous term replaced the engine: the problem it closed is open again'
        )
        .not.toContain(target);
      await resumeAndFailAgain(core, target);
    });

    it('what the watch delivered before this core took over is not taken into its engine when its lease lapses', async () => {
      run++;
      const target = `svc-early-${run}`;
      const core = await recoveredThenLapsed(`det-early-${run}`, target, { followFirst: true });
      await core.shared.refreshWarmCopy(); // the timer's first look after the lease lapsed
      expect
        .soft(
          core.bridge.engine.problems().open.map((p) => p.target),
          'a copy from before this term replaced the engine: the problem it closed is open again'
        )
        .not.toContain(target);
      await resumeAndFailAgain(core, target);
    });
  });
});
