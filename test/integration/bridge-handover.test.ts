/**
 * The bridge's inbound durables across a nats-server upgrade. A real `synos-cc run` consumes on
 * nats-server 2.9 (the one on PATH) through the per-family durables and is killed with SIGKILL
 * while inputs flow, so the durables are left with acknowledged, unacknowledged and undelivered
 * messages (and the inbox with what was committed). The server is then restarted on the same store
 * with the binary under test (NATS_SERVER_BIN) and a core starts again:
 * - on ≥ 2.10 it hands over to the one filtered durable `consciousness_bridge`: afterwards that
 *   is the bridge's only inbound durable on ORCHESTRATOR_EVENTS, the per-family ones are gone,
 *   external services' durables are untouched, and every input's decision was made exactly once
 *   (counted by target and by derived Nats-Msg-Id), none lost;
 * - on 2.9 the per-family durables stay in use and the same holds.
 * The second case leaves the state of a core killed between creating `consciousness_bridge` and
 * deleting the per-family durables, then kills starting cores with SIGKILL at random points
 * (during the handover or binding) before the last one runs.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { createHandoverDurable, HANDOVER_FIRST_PREFIX } from '../../main/bridge/inbound-consumers';
import { DEFAULT_INBOUND_CONSUMERS } from '../../main/bridge/inbound';
import { findOnPath } from '../../main/nats/embedded';
import { versionAtLeast } from '../../main/nats/connection/features';
import { provision } from '../../main/nats/topology/provisioning';
import { BRIDGE_DURABLE, BRIDGE_FILTERS, bridgeDurableName } from '../../main/nats/topology/topology';
import { coreDataDir, openCoreDatabase, useCoreProcesses, waitAllSettled } from '../harness/core-process';
import { storedDecisions } from '../harness/exactly-once';
import { natsServerBinary, natsServerVersion, startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { waitFor } from '../harness/temp';

const PER_FAMILY = BRIDGE_FILTERS.map(bridgeDurableName);
const EXTERNAL = ['orchestrator_service'];
/** Long enough that the inbox keeps every id for the whole test (its retention follows the window). */
const DUPLICATE_WINDOW_MS = 15 * 60_000;

/** The server under test, and the 2.9 server the first phase runs on (nats-server on PATH). */
const target = { binary: natsServerBinary(), version: natsServerVersion() };
const multiFilter = versionAtLeast(target.version, '2.10.0');

const cores = useCoreProcesses();
const servers: NatsServerHandle[] = [];

afterAll(async () => {
  for (const s of servers) await s.stop();
});

/**
 * The 2.9 binary for the first phase: NATS_SERVER_BASELINE_BIN (the platform matrix sets it to the
 * system's server, since it puts the newer one first on PATH), else nats-server on PATH.
 */
function oldServerBinary(): string {
  const binary = findOnPath(process.env.NATS_SERVER_BASELINE_BIN ?? 'nats-server');
  if (!binary)
    throw new Error(
      'nats-server 2.9 must be on PATH (or named by NATS_SERVER_BASELINE_BIN) for the first phase (apt-get install nats-server)'
    );
  const version = natsServerVersion(binary);
  if (versionAtLeast(version, '2.10.0')) {
    throw new Error(
      `the first phase needs a server without multi-filter consumers (2.9) on PATH to leave per-family durables; found ${version}`
    );
  }
  return binary;
}

/** A core on `dataDir`, logging at info: the test reads what the bridge says about the durables' shape. */
const startCore = (dataDir: string, url: string) => cores.start({ dataDir, servers: url, logLevel: 'info' });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const encoder = new TextEncoder();

interface Input {
  id: string;
  subject: string;
  payload: Uint8Array;
  /** The decision's target (service inputs); null for the other families. */
  target: string | null;
}

/** Service failures (one decision each) interleaved with system and user inputs, so each family has its own position. */
function inputs(run: string, from: number, n: number): Input[] {
  return Array.from({ length: n }, (_, k): Input => {
    const i = from + k;
    const id = `${run}-${i}`;
    const kind = i % 4;
    const base = {
      specversion: '1.0',
      id,
      source: 'test/bridge-handover',
      time: new Date().toISOString(),
      datacontenttype: 'application/json'
    };
    if (kind === 1) {
      const env = { ...base, type: 'system.resource.update', data: { cpu: 0.2, memory: 0.3 } };
      return {
        id,
        subject: 'orchestrator.system.resource',
        payload: encoder.encode(JSON.stringify(env)),
        target: null
      };
    }
    if (kind === 3) {
      const data = { request_id: `r-${id}`, user: `u-${id}`, intent: 'status', priority: 'low' };
      const env = { ...base, type: 'user.request.received', data };
      return { id, subject: 'orchestrator.user.request', payload: encoder.encode(JSON.stringify(env)), target: null };
    }
    const service = `svc-${id}`;
    const env = { ...base, type: 'service.health.update', data: { service, status: 'unhealthy', detail: 'handover' } };
    return {
      id,
      subject: 'orchestrator.service.health',
      payload: encoder.encode(JSON.stringify(env)),
      target: service
    };
  });
}

async function publishAll(nc: NatsConnection, all: Input[], paceMs = 0): Promise<void> {
  const js = jetstream(nc);
  for (const input of all) {
    await js.publish(input.subject, input.payload, { msgID: input.id, timeout: 5000 });
    if (paceMs > 0) await sleep(paceMs);
  }
}

/** The durable consumers of a stream, sorted. */
async function consumerNames(jsm: JetStreamManager, stream: string): Promise<string[]> {
  const names: string[] = [];
  // Durables only: a running core also reads through ephemeral (ordered) consumers.
  for await (const ci of jsm.consumers.list(stream)) if (ci.config.durable_name) names.push(ci.name);
  return names.sort();
}

/**
 * Phase 1 on nats-server 2.9: a core consumes part of the inputs through the per-family durables
 * and is killed with SIGKILL while they flow; more arrive while it is down. Then the server is
 * restarted on its store with the binary under test.
 */
async function runUpToUpgrade(run: string) {
  const server = await startNatsServer({ binary: oldServerBinary() });
  servers.push(server);
  const { path: dataDir, logFile } = coreDataDir({
    engine: { problems: { maxOpen: 100_000 } },
    topology: { duplicateWindowMs: DUPLICATE_WINDOW_MS }
  });
  let nc = await connect({ servers: server.url });
  await provision(nc, { duplicateWindowMs: DUPLICATE_WINDOW_MS });
  const jsm29 = await jetstreamManager(nc);
  expect(await consumerNames(jsm29, 'ORCHESTRATOR_EVENTS')).toEqual([...PER_FAMILY, ...EXTERNAL].sort());

  const first = inputs(run, 0, 240);
  // The first system input is taken from its durable and held unacknowledged (as by a core that
  // died with it): the system family's position stays there while the core settles everything
  // after it, so the handover starts far below what the other families had settled.
  await publishAll(nc, first.slice(0, 4));
  const held = await (
    await jetstream(nc).consumers.get('ORCHESTRATOR_EVENTS', bridgeDurableName('orchestrator.system.>'))
  ).next({ expires: 5000 });
  if (!held) throw new Error('no system input to hold');
  const keepHeld = setInterval(() => held.working(), 5000);
  const core = startCore(dataDir, server.url);
  try {
    await publishAll(nc, first.slice(4), 5);
    await waitFor(
      async () => {
        for (const d of PER_FAMILY) {
          const ci = await jsm29.consumers.info('ORCHESTRATOR_EVENTS', d);
          const holding = d === bridgeDurableName('orchestrator.system.>') ? 1 : 0;
          if (ci.num_pending !== 0 || ci.num_ack_pending !== holding) return false;
        }
        return true;
      },
      { timeoutMs: 90_000, intervalMs: 50, message: `everything but the held input settled (log: ${logFile})` }
    );
  } finally {
    await core.kill9();
    clearInterval(keepHeld);
  }
  // More arrive while the core is down: undelivered on every family.
  const down = inputs(run, first.length, 40);
  await publishAll(nc, down);
  first.push(...down);
  const [service, system, user] = await Promise.all(
    PER_FAMILY.map((d) => jsm29.consumers.info('ORCHESTRATOR_EVENTS', d))
  );
  // The system family is stuck below the held input; the others settled far beyond it.
  expect(system!.ack_floor.stream_seq).toBeLessThan(held.seq);
  expect(service!.ack_floor.stream_seq).toBeGreaterThan(held.seq + 100);
  expect(user!.ack_floor.stream_seq).toBeGreaterThan(held.seq + 100);
  // The 40 sent while it was down, and the held one (a pull the killed core left open may have
  // taken one of the 40 before the server noticed: then it awaits its ack instead).
  expect([system!, service!, user!].reduce((n, ci) => n + ci.num_pending + ci.num_ack_pending, 0)).toBe(41);
  await nc.close();

  await server.restart({ binary: target.binary });
  nc = await connect({ servers: server.url });
  expect(nc.info?.version).toBe(target.version);
  return { url: server.url, nc, dataDir, logFile, first, heldSeq: held.seq };
}

/** Waits until the bridge read everything and delivered every output, then checks exactly-once. */
async function expectExactlyOnce(nc: NatsConnection, dataDir: string, logFile: string, all: Input[]) {
  const jsm = await jetstreamManager(nc);
  const durables = multiFilter ? [BRIDGE_DURABLE] : PER_FAMILY;
  const db = openCoreDatabase(dataDir);
  try {
    await waitAllSettled(
      jsm,
      db,
      durables.map((d) => ['ORCHESTRATOR_EVENTS', d] as const),
      { timeoutMs: 90_000, logFile }
    );
    // Every input of every family was valid and reached the engine, none was rejected.
    expect((db.prepare('SELECT count(*) AS n FROM bridge_invalid_messages').get() as { n: number }).n).toBe(0);
    // Each input stepped the engine exactly once: one inbox id each (a second stepping under another
    // identity would add a row; the window keeps every row for the whole test).
    expect((db.prepare('SELECT count(*) AS n FROM bridge_inbox').get() as { n: number }).n).toBe(all.length);
  } finally {
    db.close();
  }
  const made = await storedDecisions(nc, 'CONSCIOUSNESS_EVENTS', 'consciousness.decision_made');
  const byTarget = new Map<string, number>();
  for (const d of made) byTarget.set(d.target, (byTarget.get(d.target) ?? 0) + 1);
  const wanted = all.filter((i) => i.target !== null).map((i) => i.target as string);
  expect(
    wanted.filter((t) => !byTarget.has(t)),
    'inputs without a decision (lost)'
  ).toEqual([]);
  expect(
    [...byTarget].filter(([, n]) => n > 1).map(([t]) => t),
    'inputs decided more than once'
  ).toEqual([]);
  expect(new Set(made.map((d) => d.msgId)).size).toBe(made.length);
  expect(made.filter((d) => d.target.startsWith('svc-'))).toHaveLength(wanted.length);
}

/** The bridge's inbound durables on ORCHESTRATOR_EVENTS have the shape this server supports; external ones stay. */
async function expectShape(jsm: JetStreamManager): Promise<void> {
  const names = await consumerNames(jsm, 'ORCHESTRATOR_EVENTS');
  if (multiFilter) {
    expect(names).toEqual([BRIDGE_DURABLE, ...EXTERNAL].sort());
    const info = await jsm.consumers.info('ORCHESTRATOR_EVENTS', BRIDGE_DURABLE);
    expect([...(info.config.filter_subjects ?? [])].sort()).toEqual([...BRIDGE_FILTERS].sort());
    expect(info.config.deliver_policy).toBe('by_start_sequence');
    expect(Object.keys(info.config.metadata ?? {}).filter((k) => k.startsWith(HANDOVER_FIRST_PREFIX))).toHaveLength(
      BRIDGE_FILTERS.length
    );
  } else {
    expect(names).toEqual([...PER_FAMILY, ...EXTERNAL].sort());
  }
  expect(await consumerNames(jsm, 'SECURITY_EVENTS')).toEqual(['security_dashboard']);
}

describe(`bridge inbound durables after an upgrade to nats-server ${target.version}`, () => {
  it(
    multiFilter
      ? 'hands the per-family durables over to one filtered consciousness_bridge: every decision exactly once'
      : 'keeps the per-family durables (no multi-filter consumers on 2.9): every decision exactly once',
    async () => {
      const run = randomUUID().slice(0, 8);
      const { url, nc, dataDir, logFile, first, heldSeq } = await runUpToUpgrade(run);
      try {
        const core = startCore(dataDir, url);
        const second = inputs(run, first.length, 120);
        await publishAll(nc, second, 2);
        await expectExactlyOnce(nc, dataDir, logFile, [...first, ...second]);
        await expectShape(await jetstreamManager(nc));
        if (multiFilter) {
          // Handed over at the held input (the lowest unsettled sequence); each family's own position kept.
          const info = await (await jetstreamManager(nc)).consumers.info('ORCHESTRATOR_EVENTS', BRIDGE_DURABLE);
          expect(info.config.opt_start_seq).toBe(heldSeq);
          const meta = info.config.metadata ?? {};
          expect(Number(meta[`${HANDOVER_FIRST_PREFIX}orchestrator.system.>`])).toBe(heldSeq);
          expect(Number(meta[`${HANDOVER_FIRST_PREFIX}orchestrator.service.>`])).toBeGreaterThan(heldSeq + 100);
          expect(meta['synos.handover.from']).toBe(PER_FAMILY.join(','));
        }
        // The drift check agrees with what the bridge binds, and says why.
        const drift = await provision(nc, { check: true, duplicateWindowMs: DUPLICATE_WINDOW_MS });
        expect(drift.inSync).toBe(true);
        expect(drift.bridgeConsumers?.shape).toBe(multiFilter ? 'filtered' : 'per-family');
        expect(drift.bridgeConsumers?.reason).toContain(target.version);
        expect(drift.bridgeConsumers?.retired).toEqual([]);
        const log = fs.readFileSync(logFile, 'utf8');
        expect(log).toContain(multiFilter ? 'has consumers with several filter subjects' : 'needs nats-server ≥ 2.10');
        await core.kill9();
      } finally {
        await nc.close();
      }
    },
    240_000
  );

  it(
    multiFilter
      ? 'finishes a handover a killed core left half-done, with cores killed at random points during it'
      : 'keeps the per-family durables through cores killed at random points while binding',
    async () => {
      const run = randomUUID().slice(0, 8);
      const { url, nc, dataDir, logFile, first } = await runUpToUpgrade(run);
      try {
        const jsm = await jetstreamManager(nc);
        if (multiFilter) {
          // The state a core killed between creating consciousness_bridge and deleting the old durables leaves.
          const families = DEFAULT_INBOUND_CONSUMERS.filter((c) => c.family === 'orchestrator');
          const made = await createHandoverDurable(jsm, 'ORCHESTRATOR_EVENTS', families, {
            server: { version: target.version, apiLevel: null },
            stillLeading: () => true
          });
          expect(made?.createdAt).toBeGreaterThan(0);
          const drift = await provision(nc, { check: true, duplicateWindowMs: DUPLICATE_WINDOW_MS });
          expect(drift.bridgeConsumers?.retired.sort()).toEqual(
            PER_FAMILY.map((d) => `ORCHESTRATOR_EVENTS/${d}`).sort()
          );
          expect(drift.bridgeConsumers?.handoverPending).toBe(false);
        }
        const second = inputs(run, first.length, 120);
        const feeding = publishAll(nc, second, 10);
        for (let k = 0; k < 4; k++) {
          const core = startCore(dataDir, url);
          await core.running(30_000);
          await sleep(Math.random() * 400);
          await core.kill9();
        }
        const last = startCore(dataDir, url);
        await feeding;
        await expectExactlyOnce(nc, dataDir, logFile, [...first, ...second]);
        await expectShape(jsm);
        await last.kill9();
      } finally {
        await nc.close();
      }
    },
    300_000
  );
});
