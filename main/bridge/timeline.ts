/**
 * The Engine view's timeline: what the engine did over the last minutes, from what is already
 * recorded — the bridge's recent engine events (attention shifts, mode changes, learning, state
 * changes), the problems table (decisions and their judgement, also from before a restart) and the
 * decision provenance (each decision's input and the engine state then) — plus inputs per second by
 * family, counted here as the bridge settles them.
 */
import { INPUT_FAMILIES, type EngineTimeline, type TimelineEvent } from '../contract/engine';
import type { ConsciousnessBridge } from './bridge';

type Family = (typeof INPUT_FAMILIES)[number];

/** Per-second input counts are kept this long. */
export const INPUT_TALLY_SECONDS = 3 * 3600;
const MODES = ['focused', 'adaptive', 'exploratory'] as const;

function familyOf(type: string): Family | null {
  const head = type.split('.', 1)[0] as Family;
  return (INPUT_FAMILIES as readonly string[]).includes(head) ? head : null;
}

/** Inputs the bridge settled, per second and family, for the last {@link INPUT_TALLY_SECONDS}. */
export class InputTally {
  /** second (epoch s) → counts in INPUT_FAMILIES order; Map order is time order. */
  private readonly buckets = new Map<number, number[]>();
  private startedAt: number | null = null;

  constructor(private readonly keepSeconds = INPUT_TALLY_SECONDS) {}

  /** Starts counting inputs of the bridge's bus; returns the unsubscribe. */
  listen(bridge: ConsciousnessBridge, clock: () => number): () => void {
    this.startedAt ??= clock();
    return bridge.bus.on('input', ({ envelope, receivedAt }) => this.add(envelope.type, receivedAt));
  }

  get since(): number | null {
    return this.startedAt;
  }

  add(type: string, at: number): void {
    const family = familyOf(type);
    if (family === null) return;
    const second = Math.floor(at / 1000);
    let counts = this.buckets.get(second);
    if (!counts) {
      counts = [0, 0, 0, 0];
      this.buckets.set(second, counts);
      for (const key of this.buckets.keys()) {
        if (key > second - this.keepSeconds) break;
        this.buckets.delete(key);
      }
    }
    (counts[INPUT_FAMILIES.indexOf(family)] as number)++;
  }

  between(from: number, to: number): EngineTimeline['inputs'] {
    const out: EngineTimeline['inputs'] = [];
    for (const [second, c] of this.buckets) {
      const at = second * 1000;
      if (at < from - 999 || at > to) continue;
      out.push({
        at: new Date(at).toISOString(),
        service: c[0] as number,
        system: c[1] as number,
        user: c[2] as number,
        security: c[3] as number
      });
    }
    return out;
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function engineTimeline(
  bridge: ConsciousnessBridge,
  tally: InputTally,
  minutes: number,
  now: number
): EngineTimeline {
  const to = now;
  const from = now - minutes * 60_000;
  const inWindow = (ms: number): boolean => ms >= from && ms <= to;
  const events: Array<TimelineEvent & { ms: number }> = [];
  const series: Array<EngineTimeline['series'][number] & { ms: number }> = [];
  const decided = new Set<string>();
  const judged = new Set<string>();

  // Inputs and the state at each decision, from the provenance.
  const provenance = new Map<string, TimelineEvent['input']>();
  for (const p of bridge.provenance.since(from, 5000)) {
    const i = p.inputs[0];
    provenance.set(p.problemId, i ? { family: familyOf(i.type), stream: i.stream, seq: i.seq } : null);
    const s = p.state.state;
    series.push({
      ms: p.decidedAt,
      at: iso(p.decidedAt),
      load: s.load,
      valence: s.valence,
      mode: MODES.indexOf(s.mode)
    });
  }

  for (const r of bridge.recentEvents(100_000)) {
    const ms = Date.parse(r.time);
    if (!inWindow(ms)) continue;
    const at = iso(ms);
    switch (r.type) {
      case 'consciousness.state_change':
        series.push({ ms, at, load: r.data.load, valence: r.data.valence, mode: MODES.indexOf(r.data.mode) });
        break;
      case 'consciousness.attention_shift':
        events.push({
          ms,
          at,
          kind: 'attention',
          label: `${r.data.from ?? 'nothing'} → ${r.data.to ?? 'nothing'} (${r.data.reason})`,
          decisionId: null,
          input: null
        });
        break;
      case 'consciousness.decision_made':
        decided.add(r.data.problem_id);
        events.push({
          ms,
          at,
          kind: 'decision',
          label: `${r.data.action} for ${r.data.kind}${r.data.target ? ` on ${r.data.target}` : ''}`,
          decisionId: r.data.problem_id,
          input: provenance.get(r.data.problem_id) ?? null
        });
        break;
      case 'consciousness.learning_event':
        if (r.data.kind === 'mode') {
          events.push({
            ms,
            at,
            kind: 'mode',
            label: `mode ${r.data.from} → ${r.data.to}`,
            decisionId: null,
            input: null
          });
        } else {
          if (r.data.problem_id !== undefined) judged.add(r.data.problem_id);
          events.push({
            ms,
            at,
            kind: 'learning',
            label: `${r.data.action} ${r.data.success ? 'worked' : 'failed'} for ${r.data.problem_kind}: weight → ${r.data.weight}`,
            decisionId: r.data.problem_id ?? null,
            input: null
          });
        }
        break;
      default:
        break;
    }
  }

  // Decisions and judgements older than the recent events (or from before a restart).
  for (const p of bridge.problemsList('all', 5000)) {
    if (inWindow(p.openedAt) && !decided.has(p.id)) {
      events.push({
        ms: p.openedAt,
        at: iso(p.openedAt),
        kind: 'decision',
        label: `${p.action} for ${p.kind} on ${p.target}`,
        decisionId: p.id,
        input: provenance.get(p.id) ?? null
      });
    }
    if (p.judgedAt !== null && p.outcome !== null && inWindow(p.judgedAt) && !judged.has(p.id)) {
      events.push({
        ms: p.judgedAt,
        at: iso(p.judgedAt),
        kind: 'learning',
        label: `${p.action} ${p.outcome === 'success' ? 'worked' : 'failed'} for ${p.kind}${p.weightAfter !== null ? `: weight → ${Math.round(p.weightAfter * 10_000) / 10_000}` : ''}`,
        decisionId: p.id,
        input: null
      });
    }
  }

  events.sort((a, b) => a.ms - b.ms);
  series.sort((a, b) => a.ms - b.ms);
  return {
    from: iso(from),
    to: iso(to),
    events: events.map(({ ms: _ms, ...e }) => e),
    inputs: tally.between(from, to),
    inputsSince: tally.since === null ? null : iso(tally.since),
    series: series.map(({ ms: _ms, ...p }) => p)
  };
}
