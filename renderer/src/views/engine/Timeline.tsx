import { useMemo, useState } from 'react';
import type { EngineTimeline, TimelineEvent } from '../../../../main/contract';
import { LineChart, type ChartSeries } from '../../components/Chart';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNote } from '../../components/ErrorNote';
import { useQuery } from '../../client/context';
import { formatClock, formatNumber } from '../../lib/format';
import { messageHref } from './WhyPanel';

const FAMILIES = ['service', 'system', 'user', 'security'] as const;
type Family = (typeof FAMILIES)[number];
const EVENT_KINDS = ['decision', 'attention', 'mode', 'learning'] as const;
type Kind = Family | TimelineEvent['kind'];

const KIND_LABEL: Record<Kind, string> = {
  service: 'service inputs',
  system: 'system inputs',
  user: 'user inputs',
  security: 'security inputs',
  decision: 'decisions',
  attention: 'attention shifts',
  mode: 'mode changes',
  learning: 'learning'
};
const MODES = ['focused', 'adaptive', 'exploratory'] as const;
/** The charts show this much around the cursor (or the whole window when it is shorter). */
const CHART_SPAN_MS = 10 * 60_000;
const BINS = 60;

/** The last reported state at or before `ms` (the first one when the cursor is before it), or null. */
export function stateAt(series: EngineTimeline['series'], ms: number): EngineTimeline['series'][number] | null {
  let found: EngineTimeline['series'][number] | null = null;
  for (const p of series) {
    if (Date.parse(p.at) > ms) break;
    found = p;
  }
  return found ?? series[0] ?? null;
}

/** A span of `span` ms around `cursor`, kept inside [from, to]. */
export function windowAround(cursor: number, from: number, to: number, span: number): { from: number; to: number } {
  if (to - from <= span) return { from, to };
  const start = Math.min(Math.max(from, cursor - span / 2), to - span);
  return { from: start, to: start + span };
}

/** Inputs per second by family, averaged over BINS bins of the window. */
function inputSeries(
  inputs: EngineTimeline['inputs'],
  win: { from: number; to: number },
  families: Family[]
): ChartSeries[] {
  const width = (win.to - win.from) / BINS;
  const sums = families.map(() => new Array<number>(BINS).fill(0));
  for (const b of inputs) {
    const ms = Date.parse(b.at);
    if (ms < win.from || ms > win.to) continue;
    const bin = Math.min(BINS - 1, Math.floor((ms - win.from) / width));
    families.forEach((f, i) => ((sums[i] as number[])[bin]! += b[f]));
  }
  return families.map((f, i) => ({
    label: `${f} inputs/s`,
    points: (sums[i] as number[]).map((n, k) => ({ x: win.from + (k + 0.5) * width, y: n / (width / 1000) }))
  }));
}

function cursorLine(cursor: number, top: number, right = false): ChartSeries {
  return {
    label: 'cursor',
    points: [
      { x: cursor, y: 0 },
      { x: cursor, y: top }
    ],
    colorVar: '--muted',
    right
  };
}

function TimelineEventRow({ e, current, onWhy }: { e: TimelineEvent; current: boolean; onWhy: (id: string) => void }) {
  return (
    <li className={current ? 'timeline-current' : undefined} aria-current={current ? 'true' : undefined}>
      <span className="hint">{formatClock(e.at)}</span> <span className="chip">{e.kind}</span> {e.label}
      {e.input && e.input.seq !== null && (
        <>
          {' '}
          <span className="hint">from</span>{' '}
          <a href={messageHref(e.input.stream, e.input.seq)}>
            {e.input.stream} #{e.input.seq}
          </a>
        </>
      )}
      {e.kind === 'decision' && e.decisionId && (
        <>
          {' '}
          <button type="button" onClick={() => onWhy(e.decisionId!)} aria-label={`Why ${e.label} (${e.decisionId})`}>
            why?
          </button>
        </>
      )}
    </li>
  );
}

function TimelineBody({ t, onWhy }: { t: EngineTimeline; onWhy: (id: string) => void }) {
  const from = Date.parse(t.from);
  const to = Date.parse(t.to);
  const [shown, setShown] = useState<Set<Kind>>(() => new Set<Kind>([...FAMILIES, ...EVENT_KINDS]));
  /** null: follow the newest moment. */
  const [picked, setPicked] = useState<number | null>(null);
  const cursor = picked === null ? to : Math.min(to, Math.max(from, picked));
  const win = windowAround(cursor, from, to, CHART_SPAN_MS);
  const events = useMemo(() => t.events.filter((e) => shown.has(e.kind)), [t.events, shown]);
  const families = FAMILIES.filter((f) => shown.has(f));
  const inWindow = events.filter((e) => {
    const ms = Date.parse(e.at);
    return ms >= win.from && ms <= win.to;
  });
  let nearest: TimelineEvent | null = null;
  for (const e of inWindow) if (Date.parse(e.at) <= cursor) nearest = e;
  const state = stateAt(t.series, cursor);
  const prev = [...events].reverse().find((e) => Date.parse(e.at) < cursor);
  const next = events.find((e) => Date.parse(e.at) > cursor);

  const stateSeries: ChartSeries[] = [
    {
      label: 'load',
      points: t.series
        .filter((p) => Date.parse(p.at) >= win.from && Date.parse(p.at) <= win.to)
        .map((p) => ({ x: Date.parse(p.at), y: p.load }))
    },
    {
      label: 'valence',
      points: t.series
        .filter((p) => Date.parse(p.at) >= win.from && Date.parse(p.at) <= win.to)
        .map((p) => ({ x: Date.parse(p.at), y: p.valence }))
    },
    cursorLine(cursor, 1)
  ];
  const inputsChart = inputSeries(t.inputs, win, families);
  const top = Math.max(1, ...inputsChart.flatMap((s) => s.points.map((p) => p.y ?? 0)));

  const toggle = (k: Kind): void =>
    setShown((s) => {
      const n = new Set(s);
      if (n.has(k)) n.delete(k);
      else n.add(k);
      return n;
    });

  return (
    <div className="stack">
      <fieldset className="form-row" aria-label="Show on the timeline">
        <legend className="hint">Show</legend>
        {([...FAMILIES, ...EVENT_KINDS] as Kind[]).map((k) => (
          <label key={k}>
            <input type="checkbox" checked={shown.has(k)} onChange={() => toggle(k)} /> {KIND_LABEL[k]}
          </label>
        ))}
      </fieldset>
      <div className="form-row">
        <label style={{ flex: 1 }}>
          Cursor{' '}
          <input
            type="range"
            style={{ width: '100%' }}
            min={from}
            max={to}
            step={1000}
            value={cursor}
            aria-valuetext={formatClock(new Date(cursor).toISOString())}
            onChange={(e) => setPicked(Number(e.target.value))}
          />
        </label>
        <button type="button" disabled={!prev} onClick={() => prev && setPicked(Date.parse(prev.at))}>
          ◀ Previous event
        </button>
        <button type="button" disabled={!next} onClick={() => next && setPicked(Date.parse(next.at))}>
          Next event ▶
        </button>
        <button type="button" disabled={picked === null} onClick={() => setPicked(null)}>
          Follow the newest
        </button>
      </div>
      <dl className="facts facts-inline" data-testid="timeline-at-cursor" aria-live="polite">
        <dt>At</dt>
        <dd>{formatClock(new Date(cursor).toISOString())}</dd>
        <dt>Load</dt>
        <dd>{state ? formatNumber(state.load, 2) : 'not reported'}</dd>
        <dt>Valence</dt>
        <dd>{state ? formatNumber(state.valence, 2) : 'not reported'}</dd>
        <dt>Mode</dt>
        <dd>{state ? (MODES[state.mode] ?? '?') : 'not reported'}</dd>
      </dl>
      <LineChart
        label="Load and valence around the cursor"
        series={stateSeries}
        yLabel="load / valence"
        yMax={1}
        height={180}
      />
      {families.length > 0 && (
        <LineChart
          label="Inputs per second by family around the cursor"
          series={[...inputsChart, cursorLine(cursor, top)]}
          yLabel="inputs/s"
          height={160}
        />
      )}
      {t.inputsSince === null && (
        <p className="hint">This core takes no inputs (a standby or an observer): input counts are on the leader.</p>
      )}
      {inWindow.length === 0 ? (
        <p className="hint">
          No {events.length === 0 ? 'event of the kinds shown' : 'shown event around the cursor'} in this window.
        </p>
      ) : (
        <ul className="plain event-list" data-testid="timeline-events" aria-label="Engine events around the cursor">
          {inWindow.map((e, i) => (
            <TimelineEventRow key={`${e.at}-${e.kind}-${i}`} e={e} current={e === nearest} onWhy={onWhy} />
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * The engine's timeline: decisions, attention shifts, mode changes, learning and inputs by family
 * over the last minutes. The cursor scrubs through it (slider, or previous / next event); the
 * charts show the 10 minutes around it, and the state at the cursor is spelled out.
 */
export function EngineTimelineCard({ onWhy }: { onWhy: (id: string) => void }) {
  const [minutes, setMinutes] = useState(60);
  const t = useQuery('engine.timeline', { minutes }, { refreshMs: 10_000 });
  const nothing =
    t.data !== undefined && t.data.events.length === 0 && t.data.inputs.length === 0 && t.data.series.length === 0;
  return (
    <article className="card" aria-labelledby="timeline-title" data-testid="engine-timeline">
      <div className="view-header">
        <h2 id="timeline-title">Timeline</h2>
        <label>
          Last{' '}
          <select value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
            <option value={15}>15 minutes</option>
            <option value={60}>hour</option>
            <option value={360}>6 hours</option>
            <option value={1440}>24 hours</option>
          </select>
        </label>
      </div>
      <ErrorNote error={t.error} />
      {t.data === undefined ? (
        !t.error && (
          <p className="hint" role="status">
            Loading the timeline…
          </p>
        )
      ) : nothing ? (
        <EmptyState title="Nothing happened in this window.">
          Decisions, attention shifts, mode changes and inputs appear here as the engine takes inputs; run synos-cc
          simulate to feed it.
        </EmptyState>
      ) : (
        <TimelineBody t={t.data} onWhy={onWhy} />
      )}
    </article>
  );
}
