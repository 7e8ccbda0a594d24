/**
 * The `pipeline` benchmark: the app's own outbound path, timed per message —
 * engine event → CloudEvents envelope → schema validation → OutboxPublisher (group-committed
 * SQLite write) → ReplayManager (JetStream publish with Nats-Msg-Id) → PubAck stored on the row.
 *
 * It runs the durability area's own classes (OutboxStore, OutboxPublisher, ReplayManager,
 * ResilienceManager) with their production defaults, but on a temporary SQLite file of its own in
 * the data directory (same disk, same `synchronous` setting as the app's database), removed when
 * the run ends. Sharing the app's outbox instead would mix benchmark rows into the operator's
 * outbox view, let the app's drainer publish them over the product connection, and leave
 * undeliverable rows (their stream deleted) heading for the dead-letter queue after a cancel.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ContractError } from '../contract';
import { validateEnvelope, type Envelope, type MessageData } from '../contract/messages';
import type { Logger } from '../core/logger';
import { startBackgroundCheckpoints, type BackgroundCheckpointer } from '../store/checkpointer';
import { openDatabase, type Database } from '../store/database';
import { nativeBinding } from '../store/native-binding';
import { ResilienceManager } from '../resilience/breakers';
import { DURABILITY_MIGRATIONS } from '../resilience/migrations';
import { OutboxPublisher } from '../resilience/outbox-publisher';
import { OutboxStore } from '../resilience/outbox-store';
import { ReplayManager } from '../resilience/replay-manager';
import type { PipelineDriver, PipelineOutcome, PipelineRunOptions } from './runner';
import { newMessageId } from '../core/message-id';

/** The engine event the benchmark sends: the most frequent one the engine emits. */
export const PIPELINE_EVENT_TYPE = 'consciousness.state_change';
const ENVELOPE_SOURCE = 'synos-cc/bench';
/** Temporary outbox files: `bench-pipeline-<run id>.sqlite` (and its -wal/-shm) in the data directory. */
const FILE_PREFIX = 'bench-pipeline-';

export interface PipelineDriverOptions {
  dataDir: string;
  synchronous: 'NORMAL' | 'FULL';
  logger: Logger;
}

const encoder = new TextEncoder();

/** What the engine would emit as its state; `focus` carries the padding up to the requested size. */
function stateChange(i: number, focus: string): MessageData<'consciousness.state_change'> {
  const wave = (i % 100) / 100;
  return {
    focus,
    valence: Math.round((wave * 2 - 1) * 1000) / 1000,
    arousal: wave,
    confidence: 1 - wave,
    curiosity: 0.5,
    load: wave,
    mode: 'adaptive',
    open_problems: i % 7
  };
}

/** Builds envelope bytes of at least `size` bytes for message i (a few bytes more when the id is longer). */
export function buildPipelineMessage(i: number, size: number): { id: string; bytes: Uint8Array } {
  const id = newMessageId();
  const envelope: Envelope<MessageData<'consciousness.state_change'>> = {
    specversion: '1.0',
    id,
    source: ENVELOPE_SOURCE,
    type: PIPELINE_EVENT_TYPE,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: stateChange(i, 'bench'),
    priority: 'normal'
  };
  let text = JSON.stringify(envelope);
  if (text.length < size) {
    envelope.data.focus = `bench-${'x'.repeat(size - text.length)}`;
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
    try {
      db = openDatabase(file, { migrations: DURABILITY_MIGRATIONS, logger, synchronous: this.options.synchronous }).db;
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
      const nc = o.nc;
      replay = new ReplayManager({
        store,
        resilience,
        // The pipeline's own client connection; it does not reconnect, so no status changes follow.
        nats: { connection: () => (nc.isClosed() ? null : nc), onStatus: () => () => undefined },
        logger
      });
      const r = replay;
      // Wired as the core wires it (resilience/module.ts): fresh rows go straight into the window.
      publisher = new OutboxPublisher(store, { onCommitted: () => r.wake(), handoff: r });
      resilience.start();
      replay.start();
      return await this.measure(o, store, replay, publisher);
    } finally {
      publisher?.close();
      await replay?.stop(500).catch(() => undefined);
      resilience?.stop();
      await checkpointer?.stop();
      db?.close();
      removeFiles(file);
    }
  }

  private async measure(
    o: PipelineRunOptions,
    store: OutboxStore,
    replay: ReplayManager,
    publisher: OutboxPublisher
  ): Promise<PipelineOutcome> {
    const latencies = new Float64Array(o.msgs);
    /** Handed to the outbox, PubAck not yet stored: id → start time. */
    const pending = new Map<string, number>();
    let acked = 0;
    let bytes = 0;
    let failure: unknown = null;
    let wake: (() => void) | null = null;
    const notify = (): void => {
      const w = wake;
      wake = null;
      w?.();
    };

    // After each group commit of outcomes: ours that are now completed with their PubAck stored.
    // Failed attempts are retried by the replay manager; only one that went to the dead-letter
    // queue ends the run.
    const offSettled = replay.onSettled(({ completed, failed }) => {
      if (pending.size === 0) return;
      const now = performance.now();
      for (const receipt of completed) {
        const started = pending.get(receipt.id);
        if (started === undefined) continue;
        latencies[acked++] = now - started;
        pending.delete(receipt.id);
        o.onAck();
      }
      if (failed.length > 0) {
        try {
          for (const [id, status] of store.statusOf(failed.map((f) => f.id))) {
            if (status === 'dead')
              failure ??= new ContractError(
                'JETSTREAM_ERROR',
                `message ${id} went to the dead-letter queue during the pipeline benchmark`
              );
          }
        } catch (error) {
          failure ??= error;
        }
      }
      notify();
    });
    o.signal.addEventListener('abort', notify, { once: true });

    const start = performance.now();
    try {
      for (let i = 0; i < o.msgs; i++) {
        while (pending.size >= o.window && failure === null && !o.signal.aborted)
          await new Promise<void>((resolve) => (wake = resolve));
        if (o.signal.aborted) throw o.signal.reason;
        if (failure !== null) throw failure;
        const t0 = performance.now();
        const { id, bytes: payload } = buildPipelineMessage(i, o.size);
        // The same check a consumer of the stream applies to what the app publishes.
        const checked = validateEnvelope(payload, { expectedType: PIPELINE_EVENT_TYPE });
        if (!checked.ok)
          throw new ContractError('INTERNAL', `the benchmark built an invalid envelope: ${checked.message}`);
        bytes += payload.length;
        pending.set(id, t0);
        publisher
          .publish({ id, subject: `${o.subject}.${PIPELINE_EVENT_TYPE}`, payload, priority: 'normal' })
          .catch((error: unknown) => {
            failure ??= error;
            notify();
          });
        // Let the group commit and the drain run between events, as the engine's ticks would.
        if (i % 64 === 63) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      while (pending.size > 0 && failure === null && !o.signal.aborted)
        await new Promise<void>((resolve) => (wake = resolve));
      if (o.signal.aborted) throw o.signal.reason;
      if (failure !== null) throw failure;
    } finally {
      offSettled();
      o.signal.removeEventListener('abort', notify);
    }
    return {
      measurement: { name: 'pipeline', msgs: o.msgs, bytes, startMs: start, endMs: performance.now() },
      latencies: latencies.subarray(0, acked)
    };
  }
}

/** The pipeline driver of a core: temporary outbox files go in its data directory. */
export function createPipelineDriver(options: PipelineDriverOptions): PipelineDriver {
  return new OutboxPipelineDriver(options);
}
