import { useEffect, useMemo, useState } from 'react';
import type { EngineEventRecord, ProblemView } from '../../../main/contract';
import { LineChart } from '../components/Chart';
import { DataTable, type Column } from '../components/DataTable';
import { EmptyState } from '../components/EmptyState';
import { EngineStateCard } from '../components/EngineStateCard';
import { ErrorNote } from '../components/ErrorNote';
import { ViewHeader } from '../components/ViewHeader';
import { useClient, useQuery } from '../client/context';
import { useEngineState } from '../hooks/useEngineState';
import { formatAgo, formatNumber, formatTime } from '../lib/format';
import { EngineTimelineCard } from './engine/Timeline';
import { WhyPanel } from './engine/WhyPanel';

const MODES = ['focused', 'adaptive', 'exploratory'] as const;
const HISTORY = 600;

interface LoadPoint {
  x: number;
  load: number;
  mode: number;
}

/** Load and mode over time: seeded from recent state_change events, extended by each pushed state. */
function useLoadHistory(): LoadPoint[] {
  const client = useClient();
  const seed = useQuery('engine.events', { types: ['consciousness.state_change'], limit: HISTORY });
  const [live, setLive] = useState<LoadPoint[]>([]);
  useEffect(
    () =>
      client.subscribe('engine.state', (payloads) => {
        const points = payloads.map((p) => ({
          x: new Date(p.updatedAt).getTime(),
          load: p.state.load,
          mode: MODES.indexOf(p.state.mode)
        }));
        setLive((list) => [...list, ...points].slice(-HISTORY));
      }),
    [client]
  );
  return useMemo(() => {
    const seeded = (seed.data ?? [])
      .flatMap((e) =>
        e.type === 'consciousness.state_change'
          ? [{ x: new Date(e.time).getTime(), load: e.data.load, mode: MODES.indexOf(e.data.mode) }]
          : []
      )
      .reverse();
    const lastSeed = seeded.length > 0 ? seeded[seeded.length - 1]!.x : 0;
    return [...seeded, ...live.filter((p) => p.x > lastSeed)].slice(-HISTORY);
  }, [seed.data, live]);
}

function LoadChart() {
  const history = useLoadHistory();
  const series = useMemo(
    () => [
      { label: 'load', points: history.map((p) => ({ x: p.x, y: p.load })) },
      {
        label: 'mode (0 focused, 1 adaptive, 2 exploratory)',
        points: history.map((p) => ({ x: p.x, y: p.mode })),
        right: true,
        stepped: true
      }
    ],
    [history]
  );
  return (
    <article className="card">
      <h2>Load and mode over time</h2>
      {history.length === 0 ? (
        <EmptyState title="No state changes yet.">
          The engine reports its state as inputs arrive; run synos-cc simulate to feed it.
        </EmptyState>
      ) : (
        <LineChart
          label="Engine load and learning mode over time"
          series={series}
          yLabel="load"
          yMax={1}
          yRightLabel="mode"
          yRightMax={2}
        />
      )}
    </article>
  );
}

function ProblemsCard({ onWhy }: { onWhy: (id: string) => void }) {
  const problems = useQuery('engine.problems', { status: 'all', limit: 200 }, { refreshMs: 10_000 });
  const columns: Column<ProblemView>[] = [
    {
      id: 'opened',
      label: 'Opened',
      sortValue: (p) => p.openedAt,
      render: (p) => <span title={formatTime(p.openedAt)}>{formatAgo(p.openedAt)}</span>
    },
    { id: 'kind', label: 'Problem', sortValue: (p) => p.kind, render: (p) => p.kind },
    {
      id: 'target',
      label: 'Target',
      sortValue: (p) => p.target,
      render: (p) => <span className="mono">{p.target}</span>
    },
    { id: 'status', label: 'Status', sortValue: (p) => p.status, render: (p) => p.status },
    {
      id: 'action',
      label: 'Decision',
      sortValue: (p) => p.action,
      filterText: (p) => `${p.action} ${p.rationale}`,
      render: (p) => <span title={p.rationale}>{p.action}</span>
    },
    {
      id: 'confidence',
      label: 'Confidence',
      numeric: true,
      sortValue: (p) => p.confidence,
      render: (p) => formatNumber(p.confidence, 2)
    },
    {
      id: 'outcome',
      label: 'Outcome',
      sortValue: (p) => p.outcome ?? '',
      render: (p) =>
        p.outcome
          ? `${p.outcome}${p.weightAfter !== null ? ` (weight → ${formatNumber(p.weightAfter, 2)})` : ''}`
          : 'pending'
    },
    {
      id: 'why',
      label: 'Why',
      render: (p) => (
        <button type="button" onClick={() => onWhy(p.id)} aria-label={`Why ${p.action} for ${p.target} (${p.id})`}>
          Why?
        </button>
      )
    }
  ];
  return (
    <article className="card">
      <h2>Problems and decisions</h2>
      <ErrorNote error={problems.error} />
      {problems.data && (
        <DataTable
          label="Problems and decisions"
          rows={problems.data}
          columns={columns}
          rowKey={(p) => p.id}
          rowTestId="problem-row"
          initialSort={{ id: 'opened', dir: 'desc' }}
          empty={
            <EmptyState title="No problems so far.">
              An unhealthy service, a stopped service, a threat or resource exhaustion opens one.
            </EmptyState>
          }
        />
      )}
    </article>
  );
}

function StrategiesCard() {
  const strategies = useQuery('engine.strategies', {}, { refreshMs: 15_000 });
  const rows = strategies.data ?? [];
  return (
    <article className="card">
      <h2>Strategy weights</h2>
      <ErrorNote error={strategies.error} />
      {strategies.data && (
        <DataTable
          label="Strategy weights"
          rows={rows}
          rowKey={(s) => `${s.problemKind}/${s.action}`}
          initialSort={{ id: 'kind', dir: 'asc' }}
          filterable={false}
          columns={[
            { id: 'kind', label: 'Problem kind', sortValue: (s) => s.problemKind, render: (s) => s.problemKind },
            { id: 'action', label: 'Action', sortValue: (s) => s.action, render: (s) => s.action },
            {
              id: 'weight',
              label: 'Weight',
              numeric: true,
              sortValue: (s) => s.weight,
              render: (s) => (
                <>
                  <span className="meter" aria-hidden="true">
                    <span style={{ width: `${s.weight * 100}%` }} />
                  </span>
                  {formatNumber(s.weight, 2)}
                </>
              )
            },
            { id: 'ok', label: 'Successes', numeric: true, sortValue: (s) => s.successes, render: (s) => s.successes },
            { id: 'fail', label: 'Failures', numeric: true, sortValue: (s) => s.failures, render: (s) => s.failures }
          ]}
          empty={
            <EmptyState title="No strategies learned yet.">
              Weights appear once the engine has judged a decision.
            </EmptyState>
          }
        />
      )}
    </article>
  );
}

function MemoryCard({ working }: { working: { key: string; touches: number; lastTouched: string }[] }) {
  const [query, setQuery] = useState('');
  const memory = useQuery('engine.memory', { limit: 200, query: query.trim() || undefined }, { refreshMs: 15_000 });
  return (
    <article className="card">
      <h2>Memory</h2>
      <h3>Working memory ({working.length})</h3>
      {working.length === 0 ? (
        <p className="hint">Empty: nothing has been seen recently.</p>
      ) : (
        <ul className="plain chips" data-testid="working-memory">
          {working.map((w) => (
            <li key={w.key} className="chip" title={`touched ${w.touches}×, last ${formatTime(w.lastTouched)}`}>
              {w.key} <span className="hint">×{w.touches}</span>
            </li>
          ))}
        </ul>
      )}
      <h3>Long-term memory {memory.data ? `(${memory.data.total})` : ''}</h3>
      <input
        type="search"
        aria-label="Search long-term memory"
        placeholder="Search…"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      <ErrorNote error={memory.error} />
      {memory.data &&
        (memory.data.longTerm.length === 0 ? (
          <p className="hint">
            {query ? 'Nothing matches.' : 'Nothing promoted yet: items move here after being touched repeatedly.'}
          </p>
        ) : (
          <ul className="plain">
            {memory.data.longTerm.map((m) => (
              <li key={m.key}>
                <strong>{m.key}</strong>{' '}
                <span className="hint">
                  ({m.kind}, ×{m.touches}, last seen {formatAgo(m.lastSeen)})
                </span>{' '}
                {m.summary}
              </li>
            ))}
          </ul>
        ))}
    </article>
  );
}

function describeEvent(e: EngineEventRecord): string {
  switch (e.type) {
    case 'consciousness.state_change':
      return `load ${formatNumber(e.data.load, 2)}, mode ${e.data.mode}, focus ${e.data.focus ?? 'none'}`;
    case 'consciousness.attention_shift':
      return `${e.data.from ?? 'nothing'} → ${e.data.to ?? 'nothing'} (${e.data.reason})`;
    case 'consciousness.memory_update':
      return `${e.data.op} ${e.data.key}`;
    case 'consciousness.decision_made':
      return `${e.data.action} for ${e.data.kind}${e.data.target ? ` on ${e.data.target}` : ''} (confidence ${formatNumber(e.data.confidence, 2)})`;
    case 'consciousness.learning_event':
      return e.data.kind === 'mode'
        ? `mode ${e.data.from} → ${e.data.to}`
        : `${e.data.action} ${e.data.success ? 'worked' : 'failed'} for ${e.data.problem_kind}`;
    case 'consciousness.error':
      return `${e.data.code}: ${e.data.message}`;
  }
}

const RECENT = 50;

/** The newest engine events: fetched once, then kept current by the pushed `engine.event` (no re-fetch per push). */
function useRecentEvents() {
  const client = useClient();
  const seed = useQuery('engine.events', { limit: RECENT });
  const [live, setLive] = useState<EngineEventRecord[]>([]);
  useEffect(
    () =>
      client.subscribe('engine.event', (payloads) =>
        setLive((list) => [...[...payloads].reverse(), ...list].slice(0, RECENT))
      ),
    [client]
  );
  const data = useMemo(() => {
    if (!seed.data) return null;
    const seen = new Set(live.map((e) => e.id));
    return [...live, ...seed.data.filter((e) => !seen.has(e.id))].slice(0, RECENT);
  }, [seed.data, live]);
  return { data, error: seed.error };
}

function EventsCard({ onWhy }: { onWhy: (id: string) => void }) {
  const events = useRecentEvents();
  return (
    <article className="card">
      <h2>Recent engine events</h2>
      <ErrorNote error={events.error} />
      {events.data &&
        (events.data.length === 0 ? (
          <EmptyState title="The engine has emitted nothing yet.">
            It reacts to orchestrator and security inputs; run synos-cc simulate.
          </EmptyState>
        ) : (
          <ul className="plain event-list" data-testid="engine-events" tabIndex={0} aria-label="Engine events">
            {events.data.map((e) => (
              <li key={e.id}>
                <span className="hint">{new Date(e.time).toLocaleTimeString()}</span>{' '}
                <span className="mono">{e.type.replace('consciousness.', '')}</span> {describeEvent(e)}
                {e.type === 'consciousness.decision_made' && (
                  <>
                    {' '}
                    <button
                      type="button"
                      onClick={() => onWhy(e.data.problem_id)}
                      aria-label={`Why ${e.data.action} (${e.data.problem_id})`}
                    >
                      why?
                    </button>
                  </>
                )}
              </li>
            ))}
          </ul>
        ))}
    </article>
  );
}

export function EngineView() {
  const { state, error } = useEngineState();
  const [why, setWhy] = useState<string | null>(null);
  return (
    <section>
      <ViewHeader title="Engine" />
      <ErrorNote error={error} />
      <div className="cards">
        {state && <EngineStateCard state={state} />}
        {state && (
          <article className="card">
            <h2>Counters</h2>
            <dl className="facts">
              <dt>Input rate</dt>
              <dd data-testid="engine-input-rate">{formatNumber(state.inputRatePerSecond, 1)} /s</dd>
              <dt>Inputs</dt>
              <dd data-testid="engine-inputs">{formatNumber(state.counters.inputs)}</dd>
              <dt>Events emitted</dt>
              <dd>{formatNumber(state.counters.events)}</dd>
              <dt>Decisions</dt>
              <dd>{formatNumber(state.counters.decisions)}</dd>
              <dt>Problems opened / resolved</dt>
              <dd>
                {formatNumber(state.counters.problemsOpened)} / {formatNumber(state.counters.problemsResolved)}
              </dd>
              <dt>Errors</dt>
              <dd>{formatNumber(state.counters.errors)}</dd>
            </dl>
          </article>
        )}
      </div>
      <LoadChart />
      <EngineTimelineCard onWhy={setWhy} />
      <ProblemsCard onWhy={setWhy} />
      {why && <WhyPanel key={why} id={why} onClose={() => setWhy(null)} />}
      <div className="cards">
        <StrategiesCard />
        <MemoryCard working={state?.workingMemory ?? []} />
      </div>
      <EventsCard onWhy={setWhy} />
    </section>
  );
}
