/**
 * The durable inbound path under kill -9. Inbound events flow at a steady rate (service failures
 * for distinct services, security threats against distinct assets, and some malformed messages)
 * while the core — a real `synos-cc run` child process — is killed with SIGKILL 20 times at random
 * points, half of them within 50 ms of an inbound message, and restarted on the same data
 * directory; every fourth time nats-server is killed with SIGKILL too and restarted on its store.
 * Afterwards every input has yielded its decision exactly once on both output subjects (counted
 * by target and by Nats-Msg-Id), every security event is stored once and every malformed message
 * is recorded once.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { provision } from '../../main/nats/topology/provisioning';
import { bridgeDurableFor } from '../harness/bridge-durables';
import { coreDataDir, openCoreDatabase, useCoreProcesses, waitAllSettled } from '../harness/core-process';
import { countByMsgId, storedDecisions, type StoredDecision } from '../harness/exactly-once';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';

const KILLS = 20;
/** Inputs published per second while the kills go on. */
const RATE = 40;

const cores = useCoreProcesses();
let server: NatsServerHandle | null = null;

afterAll(async () => {
  await server?.stop();
});

const started = Date.now();
/** Progress on stderr with SYNOS_TEST_LOG=1 (a long test says where it is). */
function progress(text: string): void {
  if (process.env.SYNOS_TEST_LOG === '1') process.stderr.write(`[chaos-durable +${Date.now() - started} ms] ${text}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const encoder = new TextEncoder();

interface Input {
  id: string;
  subject: string;
  payload: Uint8Array;
  kind: 'service' | 'security' | 'invalid';
  /** The decision's target for a valid input. */
  target: string | null;
}

/** The i-th input of a run: every 25th malformed, every 5th a security threat, else a failing service. */
function input(run: string, i: number): Input {
  const id = `${run}-${i}`;
  if (i % 25 === 24) {
    return {
      id,
      subject: 'orchestrator.service.health',
      payload: encoder.encode(`not json ${id} {`),
      kind: 'invalid',
      target: null
    };
  }
  const security = i % 5 === 4;
  const target = security ? `asset-${run}-${i}` : `svc-${run}-${i}`;
  const envelope = {
    specversion: '1.0',
    id,
    source: 'test/chaos-durable',
    type: security ? 'security.threat.detected' : 'service.health.update',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: security
      ? { threat_id: `th-${id}`, severity: 'high', target, description: 'chaos' }
      : { service: target, status: 'unhealthy', detail: 'chaos' }
  };
  return {
    id,
    subject: security ? 'security.threat.detected' : 'orchestrator.service.health',
    payload: encoder.encode(JSON.stringify(envelope)),
    kind: security ? 'security' : 'service',
    target
  };
}

/**
 * Publishes inputs at RATE per second (Nats-Msg-Id = input id, retrying through server outages)
 * for as long as the kills go on — the feed never runs dry before the last kill, however slowly a
 * loaded machine starts the cores — and then `tail` more.
 */
class Feeder extends EventEmitter {
  readonly sent: Input[] = [];
  private stopAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly js: JetStreamClient,
    private readonly run: string
  ) {
    super();
  }

  get published(): number {
    return this.sent.length;
  }

  async feed(): Promise<void> {
    const interval = 1000 / RATE;
    let next = performance.now();
    for (let i = 0; i < this.stopAt; i++) {
      const item = input(this.run, i);
      for (;;) {
        try {
          await this.js.publish(item.subject, item.payload, { msgID: item.id, timeout: 2000 });
          break;
        } catch {
          await sleep(100);
        }
      }
      this.sent.push(item);
      this.emit('published');
      next += interval;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      else next = performance.now();
    }
  }

  /** Ends the feed after `tail` more inputs. */
  finish(tail: number): void {
    this.stopAt = this.sent.length + tail;
  }

  nextPublish(): Promise<void> {
    return new Promise((resolve) => this.once('published', () => resolve()));
  }
}

function tally(messages: StoredDecision[]) {
  const byTarget = new Map<string, number>();
  for (const m of messages) byTarget.set(m.target, (byTarget.get(m.target) ?? 0) + 1);
  return {
    total: messages.length,
    uniqueIds: new Set(messages.map((m) => m.msgId)).size,
    duplicatedTargets: [...byTarget].filter(([, n]) => n > 1).map(([t]) => t)
  };
}

describe('chaos: kill -9 of the core (and of nats-server) while inbound events flow', () => {
  it('every input yields its decision exactly once; security and invalid records all present once', async () => {
    server = await startNatsServer();
    // Every service input must yield a decision: lift the engine's limit of open problems (1,000 by
    // default; above it an input yields a PROBLEM_LIMIT error instead). With the engine lease the
    // same engine state carries over every restart, so one engine holds them all.
    const { path: dataDir, logFile } = coreDataDir({ engine: { problems: { maxOpen: 100_000 } } });
    const run = randomUUID().slice(0, 8);

    const nc = await connect({
      servers: server.url,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100
    });
    await provision(nc);
    const feeder = new Feeder(jetstream(nc), run);
    const feeding = feeder.feed();

    let serverKills = 0;
    let killsWhileFlowing = 0;
    for (let k = 0; k < KILLS; k++) {
      const publishedAtStart = feeder.published;
      const core = cores.start({ dataDir, servers: server.url });
      await core.running(20_000);
      if (k % 2 === 0) {
        await sleep(100 + Math.random() * 900);
      } else {
        await feeder.nextPublish();
        await sleep(Math.random() * 50);
      }
      if (feeder.published > publishedAtStart) killsWhileFlowing++;
      await core.kill9();
      progress(`kill ${k + 1}: ${feeder.published} published`);
      if (k % 4 === 3) {
        await server.kill9();
        serverKills++;
        await sleep(Math.random() * 300);
        await server.restart();
        // The feed resumes (its client reconnects) before the next core starts.
        await feeder.nextPublish();
      }
    }
    expect(serverKills).toBe(5);
    // Every kill hit a core that inputs had reached while it ran, not a quiet one.
    expect(killsWhileFlowing).toBe(KILLS);
    expect(feeder.published).toBeGreaterThan(100);

    const last = cores.start({ dataDir, servers: server.url });
    // Inputs keep arriving while the last core starts, then the feed ends.
    feeder.finish(100);
    await feeding;
    const all = feeder.sent;
    progress(`all ${all.length} published`);

    const jsm = await jetstreamManager(nc);
    const durables: Array<[string, string]> = [
      ['ORCHESTRATOR_EVENTS', bridgeDurableFor('orchestrator.service.health')],
      ['SECURITY_EVENTS', 'security_dashboard']
    ];
    const db = openCoreDatabase(dataDir);
    try {
      await waitAllSettled(jsm, db, durables, { timeoutMs: 180_000, logFile });
      progress('all settled');
      const dead = db.prepare(`SELECT count(*) AS n FROM outbox WHERE status = 'dead'`).get() as { n: number };
      expect(dead.n).toBe(0);

      const security = all.filter((i) => i.kind === 'security');
      const stored = db.prepare('SELECT id FROM bridge_security_events').all() as Array<{ id: string }>;
      const storedIds = new Set(stored.map((r) => r.id));
      expect(
        security.filter((i) => !storedIds.has(i.id)).map((i) => i.id),
        'security events not stored'
      ).toEqual([]);
      expect(stored.filter((r) => r.id.startsWith(`${run}-`))).toHaveLength(security.length);

      const invalid = all.filter((i) => i.kind === 'invalid');
      const kept = db.prepare(`SELECT count(*) AS n FROM bridge_invalid_messages WHERE reason = 'not_json'`).get() as {
        n: number;
      };
      const counted = db.prepare(`SELECT count FROM bridge_invalid_counts WHERE reason = 'not_json'`).get() as
        { count: number } | undefined;
      expect(kept.n).toBe(invalid.length);
      expect(counted?.count).toBe(invalid.length);
    } finally {
      db.close();
      await last.stop();
    }

    const targets = all.filter((i) => i.target !== null).map((i) => i.target as string);
    /** Where each missing decision was lost: its input in the stream, its outbox rows. */
    const whereLost = async (missing: string[]): Promise<string> => {
      if (missing.length === 0) return '';
      const found = new Map(all.map((i) => [i.target, i]));
      const diag = openCoreDatabase(dataDir);
      try {
        const rows = diag.prepare(
          `SELECT o.subject, o.status, o.attempts, o.stream, o.seq, o.duplicate FROM outbox o
             JOIN outbox_payload p ON p.rid = o.rid WHERE CAST(p.payload AS TEXT) LIKE ?`
        );
        const problems = diag.prepare(
          'SELECT status, trigger, action, opened_at FROM engine_problems WHERE target = ?'
        );
        const out: string[] = [];
        for (const target of missing) {
          const item = found.get(target);
          const stored = item
            ? await countByMsgId(
                nc,
                item.kind === 'security' ? 'SECURITY_EVENTS' : 'ORCHESTRATOR_EVENTS',
                item.subject,
                [item.id]
              )
            : null;
          out.push(
            `${target}: input stored ${stored?.total ?? '?'}×; problems ${JSON.stringify(problems.all(target))}; ` +
              `outbox rows ${JSON.stringify(rows.all(`%${target}%`))}`
          );
        }
        return out.join('; ');
      } finally {
        diag.close();
      }
    };
    for (const [stream, subject] of [
      ['CONSCIOUSNESS_EVENTS', 'consciousness.decision_made'],
      ['ORCHESTRATOR_EVENTS', 'orchestrator.consciousness.decision']
    ] as const) {
      const messages = await storedDecisions(nc, stream, subject);
      const seen = new Set(messages.map((m) => m.target));
      const missing = targets.filter((t) => !seen.has(t));
      expect(missing, `${subject}: inputs without a decision; ${await whereLost(missing)}`).toEqual([]);
      expect(tally(messages), subject).toEqual({
        total: targets.length,
        uniqueIds: targets.length,
        duplicatedTargets: []
      });
    }
    await nc.close();
    // About a minute on a quiet machine; the feed grows with how long the kills take on a loaded one.
  }, 480_000);
});
