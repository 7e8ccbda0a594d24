/**
 * Decision provenance: for every decision the engine makes, the input message(s) that caused it
 * (CloudEvent id, stream and sequence), the engine state right after it took them, the strategy
 * with its learned weight (and the weights it was preferred over) and the ids of the outputs the
 * input caused. Rows are written in the bridge's batch transaction, the one that also commits the
 * decision's problem row, the input's inbox id and the outputs' outbox rows: a decision is never
 * committed without its provenance, and a redelivered input (acked from the inbox without stepping
 * the engine) writes none.
 *
 * The PubAck state of the outputs is not copied here: it is read from the outbox when asked, so it
 * is always the current one (pending, published with stream/seq, dead letter).
 *
 * Kept as long as the decision itself: rows whose problem was pruned from engine_problems go too.
 */
import type { JsMsg } from '@nats-io/jetstream';
import type { DecisionInputView, DecisionOutputView, DecisionWhy } from '../contract/engine';
import type { EngineOutputType, Envelope, MessageData, ProblemKind, StrategyAction } from '../contract/messages';
import type { Database, Migration } from '../store/database';
import type { ConsciousnessEngine, EngineEvent } from './engine';

export const PROVENANCE_MIGRATIONS: readonly Migration[] = [
  {
    id: '2250',
    description: 'engine: decision provenance (input messages, state snapshot, strategy and weight, outputs)',
    sql: `CREATE TABLE engine_decision_provenance (
            problem_id TEXT PRIMARY KEY,
            message_id TEXT NOT NULL UNIQUE,
            decided_at INTEGER NOT NULL,
            decision TEXT NOT NULL,
            inputs TEXT NOT NULL,
            state TEXT NOT NULL,
            kind TEXT NOT NULL,
            action TEXT NOT NULL,
            weight REAL NOT NULL,
            alternatives TEXT NOT NULL,
            outputs TEXT NOT NULL
          );
          CREATE INDEX engine_decision_provenance_decided ON engine_decision_provenance (decided_at);`
  }
];

/** The heaviest attention targets kept per decision. */
const ATTENTION_KEPT = 10;
/** Pruning runs once per this many rows written. */
const PRUNE_EVERY = 200;

/** One decision's provenance as it is written. */
export interface ProvenanceRow {
  problemId: string;
  messageId: string;
  decidedAt: number;
  decision: MessageData<'consciousness.decision_made'>;
  inputs: DecisionInputView[];
  state: DecisionWhy['state'];
  kind: ProblemKind;
  action: StrategyAction;
  weight: number;
  alternatives: Array<{ action: StrategyAction; weight: number }>;
  outputs: Array<{ id: string; type: EngineOutputType; subject: string }>;
}

/** What the bridge knows about one stepped input and what it caused. */
export interface SteppedInput {
  envelope: Envelope;
  msg: Pick<JsMsg, 'subject' | 'info'>;
  stream: string;
  durable: string;
  /** The engine events of this step, each with the envelope it is published in. */
  outputs: ReadonlyArray<{ event: EngineEvent; envelope: Envelope }>;
  /** The outbox rows of this step (one per subject). */
  outbound: ReadonlyArray<{ id: string; subject: string }>;
  engine: ConsciousnessEngine;
  now: number;
}

/** What the outbox says about one row (duck type of the resilience area's OutboxStore.get). */
export interface OutboxLookup {
  get(id: string): {
    status: 'pending' | 'processing' | 'retrying' | 'completed' | 'dead';
    stream: string | null;
    seq: number | null;
    duplicate: boolean | null;
    attempts: number;
    lastError: string | null;
  } | null;
}

interface Row {
  problem_id: string;
  message_id: string;
  decided_at: number;
  decision: string;
  inputs: string;
  state: string;
  kind: string;
  action: string;
  weight: number;
  alternatives: string;
  outputs: string;
}

/** Whether a step decided something (most do not: the bridge records provenance only then). */
export function hasDecision(events: readonly EngineEvent[]): boolean {
  for (const e of events) if (e.type === 'consciousness.decision_made') return true;
  return false;
}

/** Rows of decisions among `stepped.outputs` (usually none: most inputs decide nothing). */
export function provenanceOf(stepped: SteppedInput): ProvenanceRow[] {
  let rows: ProvenanceRow[] | null = null;
  for (const { event, envelope } of stepped.outputs) {
    if (event.type !== 'consciousness.decision_made') continue;
    rows ??= [];
    const d = event.data as MessageData<'consciousness.decision_made'>;
    const engine = stepped.engine;
    const snap = engine.snapshot(stepped.now);
    const alternatives = engine.config.problems.actions
      .filter((a) => a !== d.action)
      .map((action) => ({ action, weight: engine.weightOf(d.kind, action) }));
    const info = stepped.msg.info;
    rows.push({
      problemId: d.problem_id,
      messageId: envelope.id,
      decidedAt: event.time,
      decision: d,
      inputs: [
        {
          id: stepped.envelope.id,
          source: stepped.envelope.source,
          type: stepped.envelope.type,
          time: stepped.envelope.time,
          subject: stepped.msg.subject,
          stream: info?.stream ?? stepped.stream,
          seq: info?.streamSequence ?? null,
          durable: stepped.durable,
          deliveryCount: info?.deliveryCount ?? 1
        }
      ],
      state: {
        state: snap.state,
        attention: snap.attention.slice(0, ATTENTION_KEPT),
        inputRatePerSecond: Math.round(snap.inputRatePerSecond * 100) / 100
      },
      kind: d.kind,
      action: d.action,
      weight: engine.weightOf(d.kind, d.action),
      alternatives,
      outputs: outboundWithTypes(stepped)
    });
  }
  return rows ?? [];
}

/** Each outbox row of the step with the engine event type it carries. */
function outboundWithTypes(stepped: SteppedInput): ProvenanceRow['outputs'] {
  const typeOf = new Map<string, EngineOutputType>();
  for (const { envelope, event } of stepped.outputs) typeOf.set(envelope.id, event.type);
  const out: ProvenanceRow['outputs'] = [];
  let current: EngineOutputType | undefined;
  for (const m of stepped.outbound) {
    // A forwarded copy follows its original in the outbox rows and has an id of its own.
    current = typeOf.get(m.id) ?? current;
    if (current) out.push({ id: m.id, type: current, subject: m.subject });
  }
  return out;
}

export class ProvenanceStore {
  private readonly insert;
  private readonly prune;
  private readonly select;
  private readonly selectSince;
  private writes = 0;

  constructor(db: Database) {
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO engine_decision_provenance
         (problem_id, message_id, decided_at, decision, inputs, state, kind, action, weight, alternatives, outputs)
       VALUES (@problem_id, @message_id, @decided_at, @decision, @inputs, @state, @kind, @action, @weight, @alternatives, @outputs)`
    );
    this.prune = db.prepare(
      'DELETE FROM engine_decision_provenance WHERE problem_id NOT IN (SELECT id FROM engine_problems)'
    );
    this.selectSince = db.prepare<[number, number], Pick<Row, 'problem_id' | 'decided_at' | 'inputs' | 'state'>>(
      'SELECT problem_id, decided_at, inputs, state FROM engine_decision_provenance WHERE decided_at >= ? ORDER BY decided_at DESC LIMIT ?'
    );
    this.select = db.prepare<[string, string], Row>(
      'SELECT * FROM engine_decision_provenance WHERE problem_id = ? OR message_id = ? LIMIT 1'
    );
  }

  /**
   * Writes rows; call inside the transaction that commits the decisions' problems (the pruning
   * keeps exactly the decisions engine_problems still holds).
   */
  write(rows: readonly ProvenanceRow[]): void {
    if (rows.length === 0) return;
    for (const r of rows) {
      this.insert.run({
        problem_id: r.problemId,
        message_id: r.messageId,
        decided_at: r.decidedAt,
        decision: JSON.stringify(r.decision),
        inputs: JSON.stringify(r.inputs),
        state: JSON.stringify(r.state),
        kind: r.kind,
        action: r.action,
        weight: r.weight,
        alternatives: JSON.stringify(r.alternatives),
        outputs: JSON.stringify(r.outputs)
      });
    }
    this.writes += rows.length;
    if (this.writes >= PRUNE_EVERY) {
      this.writes = 0;
      this.prune.run();
    }
  }

  /** Prunes now (tests; the bridge prunes as it writes). */
  pruneNow(): number {
    return this.prune.run().changes;
  }

  /** Decisions made at or after `since` (epoch ms), newest first: their inputs and the state then. */
  since(
    since: number,
    limit: number
  ): Array<{ problemId: string; decidedAt: number; inputs: DecisionInputView[]; state: DecisionWhy['state'] }> {
    return this.selectSince.all(since, limit).map((r) => ({
      problemId: r.problem_id,
      decidedAt: r.decided_at,
      inputs: JSON.parse(r.inputs) as DecisionInputView[],
      state: JSON.parse(r.state) as DecisionWhy['state']
    }));
  }

  /** The decision by problem id or by its decision_made message id; null when none is recorded. */
  why(id: string, outbox: OutboxLookup | null): DecisionWhy | null {
    const r = this.select.get(id, id);
    if (!r) return null;
    const outputs = (JSON.parse(r.outputs) as ProvenanceRow['outputs']).map((o) => outputState(o, outbox));
    return {
      decisionId: r.problem_id,
      messageId: r.message_id,
      decidedAt: new Date(r.decided_at).toISOString(),
      decision: JSON.parse(r.decision) as DecisionWhy['decision'],
      inputs: JSON.parse(r.inputs) as DecisionInputView[],
      state: JSON.parse(r.state) as DecisionWhy['state'],
      strategy: {
        kind: r.kind as ProblemKind,
        action: r.action as StrategyAction,
        weight: r.weight,
        alternatives: JSON.parse(r.alternatives) as DecisionWhy['strategy']['alternatives']
      },
      outputs
    };
  }
}

function outputState(o: ProvenanceRow['outputs'][number], outbox: OutboxLookup | null): DecisionOutputView {
  const row = outbox?.get(o.id) ?? null;
  const base = { id: o.id, type: o.type, subject: o.subject };
  if (!row)
    return { ...base, state: 'unknown', stream: null, seq: null, duplicate: null, attempts: null, lastError: null };
  const state = row.status === 'completed' ? 'published' : row.status === 'dead' ? 'dead' : 'pending';
  return {
    ...base,
    state,
    stream: row.stream,
    seq: row.seq,
    duplicate: row.duplicate,
    attempts: row.attempts,
    lastError: row.lastError
  };
}
