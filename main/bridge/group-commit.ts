/**
 * Group commit: the open inbound batch (./inbound-batch.ts) and its one SQLite transaction. Messages
 * handled in the same turn of the event loop share a commit — the engine's learning, every output's
 * outbox row, the security and invalid-message records and each input's inbox id — and are settled
 * only after it (./settle.ts). A failed commit blocks and pauses consumption (./commit-block.ts)
 * and has the engine rebuilt from what is persisted.
 */
import type { JsMsg } from '@nats-io/jetstream';
import type { Envelope, InvalidReason } from '../contract/messages';
import type { CoreContext } from '../core/module';
import { isTransactional, type OutboundPublisher } from '../core/outbound';
import type { ConsciousnessEngine } from '../engine/engine';
import type { EngineStore } from '../engine/store';
import type { ProvenanceStore } from '../engine/provenance';
import type { Logger } from '../core/logger';
import { probeDatabaseWrite } from '../store/write-probe';
import type { CommitBlock } from './commit-block';
import type { DirectOutputs } from './direct-outputs';
import type { BridgeCounters } from './stats';
import type { InboundConsumerSpec } from './inbound';
import { isEmptyBatch, MAX_BATCH, newBatch, type InboundBatch } from './inbound-batch';
import type { InboxStore } from './inbox';
import type { LearningCommits } from './learning';
import type { Settler } from './settle';
import type { BridgeStore, NewInvalidMessage } from './store';
import { securityFields } from './views';

/** Inbox ids are kept at least this long (and at least the stream's duplicate window). */
const MIN_INBOX_RETENTION_MS = 5 * 60_000;

export interface GroupCommitDeps {
  ctx: CoreContext;
  store: BridgeStore;
  engineStore: EngineStore;
  provenance: ProvenanceStore;
  inbox: InboxStore;
  publisher: OutboundPublisher;
  direct: DirectOutputs;
  /** `published` counts outputs committed to the outbox (the drain publishes them from there). */
  counters: BridgeCounters;
  settler: Settler;
  learning: LearningCommits;
  /** Set right after construction (the block probes through this commit's transaction). */
  block: () => CommitBlock;
  engine: () => ConsciousnessEngine;
  /** Replaces the engine with one built from what the database holds. */
  rebuildEngine: () => void;
  logger: Logger;
  clock: () => number;
  startedAt: number;
}

export class GroupCommit {
  /** Inbound messages handled and engine events emitted since the last commit. */
  batch: InboundBatch = newBatch();
  private scheduled = false;
  private readonly waiters: Array<() => void> = [];
  private readonly tx: ReturnType<CoreContext['db']['transaction']>;

  constructor(private readonly deps: GroupCommitDeps) {
    this.tx = deps.ctx.db.transaction((write: () => void) => write());
  }

  /** One committed write into the database (a core's database path is known; a bare context tries an empty commit). */
  probe(): { writable: boolean; reason: string | null } {
    const ctx = this.deps.ctx;
    const file = (ctx as Partial<Pick<CoreContext, 'databasePath'>>).databasePath;
    if (typeof file === 'string' && file !== '')
      return probeDatabaseWrite(ctx.db, file, { readOnly: ctx.databaseReadOnly ?? null });
    try {
      this.tx.immediate(() => undefined);
      return { writable: true, reason: null };
    } catch (error) {
      return { writable: false, reason: (error as Error).message };
    }
  }

  schedule(): void {
    if (this.batch.settle.length >= MAX_BATCH) {
      this.commit();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    // After the messages of this read have been handled: they share one transaction.
    setImmediate(() => this.commit());
  }

  /**
   * Resolves once nothing the engine has stepped is waiting for its commit: at once, or right after
   * the open batch's commit (or its failure, after which the engine is rebuilt from the database).
   * What reads the engine's state to hand it on (the shared state a next leader restores) reads it
   * then, so it never runs ahead of the database: a restored open problem whose input was not
   * committed would swallow that input's decision when JetStream redelivers it.
   */
  committed(): Promise<void> {
    if (!this.uncommitted()) return Promise.resolve();
    if (!this.scheduled) this.schedule();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Whether the engine has stepped something not yet committed. Checked synchronously right before
   * reading the state: a commit forced by a full batch resolves `committed()` in the middle of a
   * read, and the messages after it are stepped before that promise's continuation runs.
   */
  uncommitted(): boolean {
    return !isEmptyBatch(this.batch) || this.deps.learning.due;
  }

  private release(): void {
    if (this.waiters.length === 0) return;
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  /**
   * Commits the open batch in one transaction, then settles its messages and tells the views.
   * On failure every message of the batch is nak'ed with back-off.
   */
  commit(): void {
    try {
      this.commitBatch();
    } finally {
      this.release();
    }
  }

  private commitBatch(): void {
    this.scheduled = false;
    const batch = this.batch;
    const { learning, engineStore, publisher } = this.deps;
    if (isEmptyBatch(batch) && !learning.due) return;
    this.batch = newBatch();
    learning.due = false;
    const now = this.deps.clock();
    let handOver: (() => void) | null = null;
    try {
      this.tx.immediate(() => {
        learning.abandonIfRebuilt(engineStore);
        this.deps.inbox.addNew(batch.keys.values(), now);
        this.deps.store.write(batch.invalid, batch.security);
        learning.save(this.deps.engine(), engineStore);
        this.deps.provenance.write(batch.provenance);
        if (isTransactional(publisher)) handOver = publisher.writeInTransaction(batch.outbound);
      });
    } catch (error) {
      this.deps.inbox.rolledBack();
      this.failed(batch, error);
      return;
    }
    this.deps.inbox.committed();
    learning.abandonProblems = false;
    this.deps.block().committed(now);
    if (handOver) {
      this.deps.counters.published += batch.outbound.length;
      (handOver as () => void)();
    } else if (batch.outbound.length > 0) this.deps.direct.publish(publisher, batch.outbound);
    this.deps.settler.settle(batch);
  }

  /** A step threw: the open batch is given up like a failed commit. */
  fail(error: unknown, what: string): void {
    const batch = this.batch;
    this.batch = newBatch();
    this.scheduled = false;
    this.deps.logger.error(`${what}; nak with back-off`, { error });
    this.deps.settler.nakBatch(batch, 0);
    this.deps.rebuildEngine();
    this.release();
  }

  private failed(batch: InboundBatch, error: unknown): void {
    const block = this.deps.block();
    block.failed(batch, error);
    this.deps.rebuildEngine();
    block.pauseConsumption(
      batch.settle.map((s) => s.msg),
      error
    );
  }

  /** Whether an input's inbox key (`name`: its hex) is committed already or in the open batch. */
  seen(key: Buffer, name: string): boolean {
    if (this.batch.keys.has(name)) return true;
    return this.deps.inbox.has(key);
  }

  /** Records an invalid message in the open batch; it is terminated once the batch committed. */
  rejectInvalid(
    msg: JsMsg,
    spec: InboundConsumerSpec,
    key: Buffer,
    name: string,
    started: number,
    reason: InvalidReason,
    message: string,
    issues: Array<{ path: string; message: string }>
  ): void {
    const rawLimit = this.deps.store.rawLimit;
    const record: NewInvalidMessage = {
      receivedAt: this.deps.clock(),
      subject: msg.subject,
      stream: msg.info?.stream ?? spec.stream,
      streamSeq: msg.info?.streamSequence ?? null,
      reason,
      message,
      issues,
      // A copy: the batch commits after this callback returns.
      raw: msg.data.slice(0, rawLimit),
      rawSize: msg.data.length
    };
    const batch = this.batch;
    batch.invalid.push(record);
    batch.keys.set(name, key);
    // No reason text on the term: nats-server 2.9 does not parse "+TERM <reason>" and would leave
    // the message pending until ack_wait, then redeliver it. The reason is kept in our table.
    batch.settle.push({ msg, action: 'term', started, invalidReason: { reason, stream: spec.stream } });
    this.deps.logger.debug('rejected an invalid message', { subject: msg.subject, reason, message });
  }

  /** Records a security event in the open batch. */
  keepSecurityEvent(envelope: Envelope, now: number): void {
    const f = securityFields(envelope);
    this.batch.security.push(
      this.deps.store.securityRecord({
        id: envelope.id,
        time: envelope.time,
        receivedAt: now,
        type: f.type,
        severity: f.severity,
        source: envelope.source,
        target: f.target,
        summary: f.summary,
        data: f.data
      })
    );
  }

  /** Deletes inbox ids older than the retention, once this process has run that long. */
  pruneInbox(now: number): void {
    const retention = Math.max(this.deps.ctx.config.topology.duplicateWindowMs, MIN_INBOX_RETENTION_MS);
    if (now - this.deps.startedAt < retention) return;
    try {
      this.deps.inbox.pruneBefore(now - retention);
    } catch (error) {
      this.deps.logger.warn('cannot prune the inbox', { error });
    }
  }
}
