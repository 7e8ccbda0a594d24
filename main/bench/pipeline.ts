/**
 * The `pipeline` benchmark: the app's real inbound-to-outbound path, timed per event —
 * CloudEvent published on an inbound subject → JetStream durable consumer → validation → engine →
 * one SQLite transaction (inbox id, engine learning, outbox rows) → ack of the input, and the
 * outputs' JetStream publishes with Nats-Msg-Id → PubAck. An event is done when its inbound ack is
 * sent and every output it caused has its PubAck.
 *
 * It runs the product's own classes — ConsciousnessBridge (engine included), OutboxStore,
 * OutboxPublisher, ReplayManager, ResilienceManager — with their production defaults, wired as
 * the core wires them, but on a temporary SQLite file of its own in the data directory (same
 * disk, same `synchronous` setting as the app's database; removed when the run ends) and on the
 * run's temporary stream: inputs on `<run>.in.service.health`, read by a durable with the product
 * consumers' limits, outputs under `<run>.out.`. Sharing the app's database or streams instead
 * would mix benchmark events into the operator's engine, outbox and orchestrator subjects.
 *
 * Load: `rate` events per second offered on a fixed schedule (latency under a known load), or
 * flat out with `window` events not yet done (throughput).
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ConsciousnessBridge } from '../bridge/bridge';
import type { Config } from '../core/config';
import { EventHub } from '../core/event-hub';
import type { Logger } from '../core/logger';
import type { CoreContext } from '../core/module';
import { startBackgroundCheckpoints, type BackgroundCheckpointer } from '../store/checkpointer';
import { openDatabase, type Database } from '../store/database';
import { MIGRATIONS } from '../store/migrations';
import { nativeBinding } from '../store/native-binding';
import { ResilienceManager } from '../resilience/breakers';
import { OutboxPublisher } from '../resilience/outbox-publisher';
import { OutboxStore } from '../resilience/outbox-store';
import { ReplayManager } from '../resilience/replay-manager';
import type { PipelineDriver, PipelineOutcome, PipelineRunOptions } from './runner';

/** The inbound event the benchmark sends: service health, the engine's most frequent input. */
export const PIPELINE_INPUT_TYPE = 'service.health.update';
const ENVELOPE_SOURCE = 'synos-cc/bench';
/** Temporary database files: `bench-pipeline-<run id>.sqlite` (and its -wal/-shm) in the data directory. */
const FILE_PREFIX = 'bench-pipeline-';
/** As the product's inbound durables (nats/topology/topology.ts). */
const CONSUMER_LIMITS = { max_ack_pending: 1000, ack_wait: 30_000_000_000, max_deliver: 10 };
/** Services the inputs cycle through; each flips between unhealthy and healthy every round. */
const SERVICES = 100;

export interface PipelineDriverOptions {
  dataDir: string;
  synchronous: 'NORMAL' | 'FULL';
  logger: Logger;
  /** The core's config: the engine and bridge run with the operator's settings. */
  config: Config;
}

const encoder = new TextEncoder();

/**
 * Envelope bytes of inbound event i, at least `size` bytes (an extra `padding` field in the data,
 * which the engine ignores, carries the padding):
 * service `svc-<i mod 100>` turns unhealthy, then healthy on the next round, and so on, so the
 * engine opens problems, decides, judges and learns as it does on live traffic.
 */
export function buildPipelineInput(runId: string, i: number, size: number): { id: string; bytes: Uint8Array } {
  const id = `${runId}-${i}`;
  const envelope = {
    specversion: '1.0',
    id,
    source: ENVELOPE_SOURCE,
    type: PIPELINE_INPUT_TYPE,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: {
      service: `svc-${i % SERVICES}`,
      status: Math.floor(i / SERVICES) % 2 === 0 ? 'unhealthy' : 'healthy',
      padding: ''
    }
  };
  let text = JSON.stringify(envelope);
  if (text.length < size) {
    envelope.data.padding = 'x'.repeat(size - text.length);
    text = JSON.stringify(envelope);
  }
  return { id, bytes: encoder.encode(text) };
}

function removeFiles(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
}

export class OutboxPipelineDriver implements PipelineDriver {
  constructor(private readonly options: PipelineDriverOptions) {}

  unavailableReason(): string | null {
    try {
      fs.mkdirSync(this.options.dataDir, { recursive: true });
      fs.accessSync(this.options.dataDir, fs.constants.W_OK);
      return null;
    } catch (error) {
      return `the data directory ${this.options.dataDir} is not writable (${(error as Error).message})`;
    }
  }

  /** Removes temporary outbox files of runs that did not finish (a crash, kill -9). */
  private sweep(except: string): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.options.dataDir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.startsWith(FILE_PREFIX) || name.startsWith(path.basename(except))) continue;
      const file = path.join(this.options.dataDir, name);
      try {
        // Only files nobody has touched for a while: another process may be running its own pipeline run.
        if (Date.now() - fs.statSync(file).mtimeMs > 10 * 60_000) fs.rmSync(file, { force: true });
      } catch {
        // gone already
      }
    }
  }

  async run(o: PipelineRunOptions): Promise<PipelineOutcome> {
    const file = path.join(this.options.dataDir, `${FILE_PREFIX}${o.runId}.sqlite`);
    this.sweep(file);
    const logger = this.options.logger.child({ part: 'bench-pipeline' });
    let db: Database | null = null;
    let replay: ReplayManager | null = null;
    let publisher: OutboxPublisher | null = null;
    let resilience: ResilienceManager | null = null;
    let checkpointer: BackgroundCheckpointer | null = null;
    let bridge: ConsciousnessBridge | null = null;
    const nc = o.nc;
    const inSubject = `${o.subject}.in.service.health`;
    const durable = 'pipeline_in';
    const jsm = await jetstreamManager(nc);
    try {
      db = openDatabase(file, { migrations: MIGRATIONS, logger, synchronous: this.options.synchronous }).db;
      // As the core runs its own database (create-core.ts): WAL checkpoints in a worker thread.
      checkpointer = startBackgroundCheckpoints(db, {
        file,
        synchronous: this.options.synchronous,
        nativeBinding: nativeBinding(),
        logger
      });
      const owner = `bench-${o.runId}`;
      const store = new OutboxStore(db, { owner });
      resilience = new ResilienceManager({ db, logger, owner });
      const track = new Tracker(o);
      replay = new ReplayManager({
        store,
        resilience,
        // The pipeline's own client connection; it does not reconnect, so no status changes follow.
        nats: { connection: () => (nc.isClosed() ? null : nc), onStatus: () => () => undefined },
        logger,
        observer: { published: () => undefined, failed: () => undefined, acked: (id) => track.acked(id) }
      });
      const r = replay;
      // Wired as the core wires it (resilience/module.ts): producers write rows, the drain publishes them.
      publisher = new OutboxPublisher(store, {
        onCommitted: () => r.wake(),
        writeWithin: (messages) => r.writeWithin(messages)
      });
      resilience.start();
      replay.start();

      await jsm.consumers.add(o.stream, {
        durable_name: durable,
        filter_subject: inSubject,
        ack_policy: AckPolicy.Explicit,
        ...CONSUMER_LIMITS
      });
      const ctx = {
        config: this.options.config,
        logger,
        db,
        databasePath: file,
        events: new EventHub()
      } as unknown as CoreContext;
      // The pipeline's own outbox (above), as the core hands the bridge its own; the streams are
      // the benchmark's, made by the runner, so there is nothing to provision.
      bridge = new ConsciousnessBridge(
        ctx,
        { publisher, provisioning: null },
        {
          active: true,
          consumers: [{ stream: o.stream, durable, family: 'orchestrator', filter: inSubject }],
          inboundMapping: { [inSubject]: PIPELINE_INPUT_TYPE },
          outputSubjectPrefix: `${o.subject}.out.`
        }
      );
      bridge.bus.on('settled', (settled) => track.settled(settled.id, settled.outputs));
      await bridge.startInbound(nc);
      return await track.measure(nc, inSubject);
    } finally {
      await bridge?.stopInbound().catch(() => undefined);
      publisher?.close();
      await replay?.stop(500).catch(() => undefined);
      resilience?.stop();
      await checkpointer?.stop();
      db?.close();
      removeFiles(file);
      await jsm.consumers.delete(o.stream, durable).catch(() => undefined);
    }
  }
}

/** Times each event from its publish until its ack is sent and its outputs' PubAcks are in. */
class Tracker {
  private readonly latencies: Float64Array;
  /** Per event, ms from its publish until its input was committed and acked (the settled notice). */
  private readonly toAck: Float64Array;
  private acks = 0;
  private done = 0;
  private outputs = 0;
  /** Event id → publish time and outputs still without a PubAck (-1: not settled yet). */
  private readonly events = new Map<string, { t0: number; outstanding: number }>();
  private readonly outputOf = new Map<string, string>();
  /** PubAcks that came before their input's settled notice (not expected: the ack is sent first). */
  private readonly early = new Set<string>();
  private wake: (() => void) | null = null;

  constructor(private readonly o: PipelineRunOptions) {
    this.latencies = new Float64Array(o.msgs);
    this.toAck = new Float64Array(o.msgs);
  }

  settled(id: string, outputs: string[]): void {
    const event = this.events.get(id);
    if (!event || event.outstanding !== -1) return;
    this.toAck[this.acks++] = performance.now() - event.t0;
    let outstanding = 0;
    for (const out of outputs) {
      if (this.early.delete(out)) continue;
      this.outputOf.set(out, id);
      outstanding++;
    }
    this.outputs += outputs.length;
    event.outstanding = outstanding;
    if (outstanding === 0) this.finish(id, event.t0);
  }

  acked(outputId: string): void {
    const id = this.outputOf.get(outputId);
    if (id === undefined) {
      this.early.add(outputId);
      return;
    }
    this.outputOf.delete(outputId);
    const event = this.events.get(id);
    if (event && --event.outstanding === 0) this.finish(id, event.t0);
  }

  private finish(id: string, t0: number): void {
    this.events.delete(id);
    this.latencies[this.done++] = performance.now() - t0;
    this.o.onAck();
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private waitForProgress(maxMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, maxMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async measure(nc: NatsConnection, subject: string): Promise<PipelineOutcome> {
    const o = this.o;
    const aborted = new Promise<never>((_, reject) => {
      if (o.signal.aborted) reject(o.signal.reason);
      o.signal.addEventListener('abort', () => reject(o.signal.reason), { once: true });
    });
    aborted.catch(() => undefined);
    let bytes = 0;
    let sent = 0;
    const start = performance.now();
    const send = (): void => {
      const { id, bytes: payload } = buildPipelineInput(o.runId, sent, o.size);
      bytes += payload.length;
      this.events.set(id, { t0: performance.now(), outstanding: -1 });
      nc.publish(subject, payload);
      sent++;
    };
    while (sent < o.msgs) {
      if (o.signal.aborted) throw o.signal.reason;
      if (o.rate > 0) {
        // Every event at its scheduled time: start + i / rate.
        const due = Math.min(o.msgs, Math.floor(((performance.now() - start) * o.rate) / 1000) + 1);
        while (sent < due) send();
        if (sent < o.msgs) {
          const next = start + (sent * 1000) / o.rate;
          await Promise.race([new Promise((r) => setTimeout(r, Math.max(0, next - performance.now()))), aborted]);
        }
      } else {
        while (sent < o.msgs && sent - this.done < o.window) send();
        await Promise.race([this.waitForProgress(50), aborted]);
      }
    }
    while (this.done < o.msgs) {
      if (o.signal.aborted) throw o.signal.reason;
      await Promise.race([this.waitForProgress(50), aborted]);
    }
    return {
      measurement: { name: 'pipeline', msgs: o.msgs, bytes, startMs: start, endMs: performance.now() },
      latencies: this.latencies.subarray(0, this.done),
      toAck: this.toAck.subarray(0, this.acks),
      outputs: this.outputs
    };
  }
}

/** The pipeline driver of a core: temporary outbox files go in its data directory. */
export function createPipelineDriver(options: PipelineDriverOptions): PipelineDriver {
  return new OutboxPipelineDriver(options);
}
