/**
 * The engine state that must outlive its leader, in a JetStream KV bucket next to the local SQLite:
 * learned strategy weights, long-term memory and the handover (open problems, service conditions,
 * focus, attention, emotion). The leader writes it as it changes; a new leader loads it before it
 * consumes, so learning counts continue and open problems stay open; standbys and observers watch it
 * and keep a warm copy, which also feeds their Engine views.
 *
 * Writes are fenced twice: only while the lease is unexpired, and by compare-and-set on the
 * revision this leader last wrote or read, so a leader that lost its term cannot overwrite the state
 * of the next one.
 *
 * A core never replaces its engine with its own older writes, nor with a term's before its own: a
 * leader that fenced itself (its renewal did not land in time) and then resumed the same term keeps
 * the engine it has, which is at least as new as anything it managed to share — also when none of
 * its writes landed and the bucket still holds the previous term's state.
 */
import { Kvm, type KV, type KvEntry, type KvWatchEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ConsciousnessBridge } from '../bridge/bridge';
import type { Logger } from '../core/logger';
import type { EngineHandover, LongTermItem, StrategyWeight } from '../engine/engine';
import type { LeadershipGate } from '../bridge/leadership-gate';
import type { ConnectionSource } from './lease';

export const STATE_BUCKET = 'SYNOS_ENGINE_STATE';

type Part = 'weights' | 'memory' | 'handover';
const PARTS: readonly Part[] = ['weights', 'memory', 'handover'];

export interface SharedEngineState {
  weights: StrategyWeight[];
  memory: LongTermItem[];
  handover: EngineHandover | null;
  /** Epoch of the term that wrote the newest part. */
  epoch: number | null;
}

interface Stored<T> {
  epoch: number | null;
  writtenAt: string;
  value: T;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface SharedStateOptions {
  group: string;
  replicas: number;
  logger: Logger;
  /** How often the leader writes what changed (decisions and learning are written at once). */
  writeIntervalMs?: number;
}

export class SharedEngineStateStore {
  private kv: KV | null = null;
  private kvConnection: NatsConnection | null = null;
  private readonly revisions = new Map<Part, number>();
  private readonly lastWritten = new Map<Part, string>();
  private readonly warm: Partial<Record<Part, Stored<unknown>>> = {};
  private warmChanged = false;
  private watching: { stop(): void } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private writeAgain = false;
  /** The write under way (write() runs one at a time). */
  private queue: Promise<void> = Promise.resolve();
  private bridge: ConsciousnessBridge | null = null;
  private unsubscribeOutput: (() => void) | null = null;
  /** Restores done by this core (for tests and the log). */
  restores = 0;
  /**
   * Entries of the shared state the watch delivered to this core: taken into the warm copy, or
   * skipped (written by a term this core led or one before it). For tests and the log.
   */
  readonly followed = { taken: 0, skipped: 0 };
  /** The epoch of the last term this core led and shared state under. */
  private ownEpoch: number | null = null;

  constructor(
    private readonly source: ConnectionSource,
    private readonly gate: LeadershipGate,
    private readonly options: SharedStateOptions
  ) {}

  private key(part: Part): string {
    return `${this.options.group}.${part}`;
  }

  private async bucket(): Promise<KV | null> {
    const nc = this.source.connection();
    if (!nc || nc.isClosed()) return null;
    if (this.kv && this.kvConnection === nc) return this.kv;
    this.kv = await new Kvm(nc).create(STATE_BUCKET, {
      history: 1,
      replicas: this.options.replicas,
      storage: 'file',
      description: 'Syn_OS control center: engine state shared between leader terms'
    });
    this.kvConnection = nc;
    this.revisions.clear();
    this.watching?.stop();
    this.watching = null;
    return this.kv;
  }

  /** Starts the periodic write (leader) and the warm copy (everyone) for this bridge. */
  attach(bridge: ConsciousnessBridge): void {
    this.bridge = bridge;
    // Decisions and learning change what the next leader must know: write them at once.
    this.unsubscribeOutput = bridge.bus.on('output', ({ type }) => {
      if (type === 'consciousness.decision_made' || type === 'consciousness.learning_event') this.writeSoon();
    });
    // The inputs that changed open problems or strategy weights are acked only once a write that
    // holds their effect has landed (see write()); a held ack asks for that write at once.
    bridge.heldAcks.enable(() => this.writeSoon());
    this.timer = setInterval(() => {
      if (this.gate.isActive()) this.writeSoon();
      else void this.refreshWarmCopy();
    }, this.options.writeIntervalMs ?? 1000);
    this.timer.unref();
  }

  detach(): void {
    // Acks still held (the final write did not land) are given back for the next leader.
    this.bridge?.heldAcks.disable();
    this.unsubscribeOutput?.();
    this.unsubscribeOutput = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.watching?.stop();
    this.watching = null;
  }

  /** Loads the newest shared state (falls back to the warm copy when the bucket cannot be read). */
  async load(): Promise<SharedEngineState | null> {
    const kv = await this.bucket();
    const parts: Partial<Record<Part, Stored<unknown>>> = {};
    if (kv) {
      for (const part of PARTS) {
        const entry: KvEntry | null = await kv.get(this.key(part));
        if (entry && entry.operation === 'PUT') {
          parts[part] = JSON.parse(decoder.decode(entry.value)) as Stored<unknown>;
          this.revisions.set(part, entry.revision);
        } else {
          this.revisions.set(part, entry?.revision ?? 0);
        }
      }
    } else {
      Object.assign(parts, this.warm);
    }
    if (!parts.weights && !parts.memory && !parts.handover) return null;
    const epochs = PARTS.map((p) => parts[p]?.epoch ?? null).filter((e): e is number => e !== null);
    return {
      weights: (parts.weights?.value as StrategyWeight[] | undefined) ?? [],
      memory: (parts.memory?.value as LongTermItem[] | undefined) ?? [],
      handover: (parts.handover?.value as EngineHandover | undefined) ?? null,
      epoch: epochs.length > 0 ? Math.max(...epochs) : null
    };
  }

  /** A new term: continue from the shared state, then keep this core's SQLite in step with it. */
  async restoreInto(bridge: ConsciousnessBridge): Promise<void> {
    const state = await this.load();
    // What the watch delivered before this term is no newer than what the term starts from; kept,
    // it would replace the engine the next time the lease lapses.
    for (const part of PARTS) delete this.warm[part];
    this.warmChanged = false;
    this.lastWritten.clear();
    const epoch = this.gate.epoch();
    if (state && this.notNewerThanOwnTerm(state.epoch)) {
      // Our own term again (resumed after a renewal landed late), nobody wrote since we led, or
      // our term's writes never landed (the bucket still holds the term before ours): this core's
      // engine is at least as new. The older state would reopen problems this core closed, and a
      // new failure of their service would get no decision.
      this.ownEpoch = epoch;
      this.options.logger.info('continuing with this core’s own engine state (the shared copy is not newer)', {
        writtenByEpoch: state.epoch
      });
      return;
    }
    this.ownEpoch = epoch;
    if (!state) return;
    this.apply(bridge, state);
    this.restores++;
    this.options.logger.info('continuing from the shared engine state', {
      weightsLearned: state.weights.filter((w) => w.updatedAt !== null).length,
      longTermMemory: state.memory.length,
      openProblems: state.handover?.openProblems.length ?? 0,
      writtenByEpoch: state.epoch
    });
  }

  /** Written by a term this core led, or by one before it (epochs only grow). */
  private notNewerThanOwnTerm(epoch: number | null): boolean {
    return epoch !== null && this.ownEpoch !== null && epoch <= this.ownEpoch;
  }

  private apply(bridge: ConsciousnessBridge, state: SharedEngineState): void {
    bridge.replaceEngine({
      weights: state.weights,
      longTerm: state.memory,
      ...(state.handover ? { handover: state.handover } : {})
    });
    // The local database keeps what was learned too (the Engine view and the next restart read it).
    bridge.engineStore.save(
      state.weights.filter((w) => w.updatedAt !== null),
      { upserts: state.memory, removed: [] },
      state.handover?.openProblems ?? []
    );
  }

  writeSoon(): void {
    if (this.writing) {
      this.writeAgain = true;
      return;
    }
    this.writing = this.write()
      .catch((error) => this.options.logger.warn('writing the shared engine state failed', { error }))
      .finally(() => {
        this.writing = null;
        if (this.writeAgain) {
          this.writeAgain = false;
          this.writeSoon();
        }
      });
  }

  /**
   * Writes the parts that changed since the last write, while this core leads. One write at a time:
   * a call while one runs (the timer's, a held ack's, the final one at stop) starts after it, so
   * their compare-and-sets never race each other.
   */
  write(): Promise<void> {
    const run = this.queue.then(() => this.writeOnce());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async writeOnce(): Promise<void> {
    const bridge = this.bridge;
    if (!bridge || !this.gate.isActive()) return;
    const kv = await this.bucket();
    if (!kv) return;
    // Only committed state is handed on: read right after the open batch's commit, never between
    // an input's step and its commit (a next leader would restore its problem as open and skip the
    // decision when the uncommitted input is redelivered).
    // Checked again after each wait: a commit forced by a full batch resolves the wait mid-read.
    while (bridge.hasUncommitted()) await bridge.whenCommitted();
    if (!this.gate.isActive()) return;
    // The acks held so far are of inputs whose effects the state read now holds: they are sent
    // once every part below has landed (or was already there), never before. A write that fails
    // or is fenced leaves them held: the next write takes them along, and a lost lease gives them
    // back for redelivery to the next leader.
    const held = bridge.heldAcks.mark();
    const engine = bridge.engine;
    const epoch = this.gate.epoch();
    const values: Record<Part, unknown> = {
      weights: engine.strategyWeights(),
      memory: engine.longTermMemory(),
      handover: engine.handover(bridge.options.clock())
    };
    // The parts are independent keys: written side by side (one round trip, not three), each by
    // its own compare-and-set.
    const results = await Promise.allSettled(PARTS.map((part) => this.writePart(kv, part, values[part], epoch)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (results.some((r) => r.status === 'fulfilled' && !r.value)) return; // fenced part-way
    // Every part holds the state read above: the bucket has those inputs' effects.
    bridge.heldAcks.release(held);
  }

  /**
   * Writes one part by compare-and-set unless it is unchanged since this term last wrote it. False
   * when the lease was found inactive (nothing more written).
   */
  private async writePart(kv: KV, part: Part, value: unknown, epoch: number | null): Promise<boolean> {
    const json = JSON.stringify(value);
    if (this.lastWritten.get(part) === json) return true;
    if (!this.gate.isActive()) return false;
    const body: Stored<unknown> = { epoch, writtenAt: new Date().toISOString(), value };
    const revision = this.revisions.get(part);
    const payload = encoder.encode(JSON.stringify(body));
    const key = this.key(part);
    // Compare-and-set on what this term last read or wrote; unknown (first write after a
    // reconnect) reads it first.
    const expected = revision ?? (await kv.get(key))?.revision ?? 0;
    let next: number;
    try {
      next = expected === 0 ? await kv.create(key, payload) : await kv.update(key, payload, expected);
    } catch (error) {
      // A write of this term whose reply was lost (a stream leader election) may have landed:
      // then the key holds our epoch and the next compare-and-set goes on from it. So may a
      // write of an earlier term, sent before its lease ran out and landed only after this term
      // read the key (held through a reconnect): this term's state replaces it, or this term
      // could never share its state and the next leader would go back to the older one. A later
      // epoch there means another term took over: this one must not overwrite it.
      if (!/wrong last sequence/i.test(error instanceof Error ? error.message : String(error))) throw error;
      const entry = await kv.get(key);
      const stored = entry?.operation === 'PUT' ? (JSON.parse(decoder.decode(entry.value)) as Stored<unknown>) : null;
      if (!entry || !stored || epoch === null || stored.epoch === null || stored.epoch > epoch) throw error;
      this.revisions.set(part, entry.revision);
      if (!this.gate.isActive()) return false;
      next = await kv.update(key, payload, entry.revision);
    }
    this.revisions.set(part, next);
    this.lastWritten.set(part, json);
    this.ownEpoch = epoch;
    return true;
  }

  /**
   * Standbys and observers: follow the leader's writes and show them in the Engine views (the
   * store's timer calls this every interval while this core does not lead).
   */
  async refreshWarmCopy(): Promise<void> {
    const kv = await this.bucket().catch(() => null);
    if (!kv) return;
    if (!this.watching) {
      // One attempt at a time (the timer ticks every second; a watch may take longer to start while
      // a cluster elects a stream leader). A failure, now or later, is logged and retried on the
      // next tick: nothing here may end the process.
      const starting = { stop: (): void => undefined };
      this.watching = starting;
      let iter: Awaited<ReturnType<KV['watch']>>;
      try {
        iter = await kv.watch({ key: `${this.options.group}.*` });
      } catch (error) {
        if (this.watching === starting) this.watching = null;
        this.options.logger.debug('cannot watch the shared engine state yet; trying again', { error });
        return;
      }
      const watching = { stop: () => iter.stop() };
      if (this.watching !== starting) {
        iter.stop(); // detached or reconnected meanwhile
        return;
      }
      this.watching = watching;
      void (async () => {
        try {
          for await (const e of iter as AsyncIterable<KvWatchEntry>) {
            const part = e.key.slice(this.options.group.length + 1) as Part;
            if (!PARTS.includes(part) || e.operation !== 'PUT') continue;
            try {
              const stored = JSON.parse(decoder.decode(e.value)) as Stored<unknown>;
              // Our own writes, or a term's before ours: this core's engine already has them (and
              // maybe more).
              if (this.notNewerThanOwnTerm(stored.epoch)) {
                this.followed.skipped++;
                continue;
              }
              this.followed.taken++;
              this.warm[part] = stored;
              this.warmChanged = true;
            } catch {
              // not ours to judge
            }
          }
        } catch (error) {
          this.options.logger.debug('the watch of the shared engine state ended; starting it again', { error });
        } finally {
          if (this.watching === watching) this.watching = null;
        }
      })();
    }
    if (!this.warmChanged || !this.bridge || this.gate.isActive()) return;
    this.warmChanged = false;
    this.apply(this.bridge, {
      weights: (this.warm.weights?.value as StrategyWeight[] | undefined) ?? [],
      memory: (this.warm.memory?.value as LongTermItem[] | undefined) ?? [],
      handover: (this.warm.handover?.value as EngineHandover | undefined) ?? null,
      epoch: null
    });
  }
}
