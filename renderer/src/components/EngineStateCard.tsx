import type { EngineSnapshotView } from '../../../main/contract';
import { formatNumber, formatTime } from '../lib/format';

function Meter({ label, value, min = 0 }: { label: string; value: number; min?: number }) {
  const pct = ((value - min) / (1 - min)) * 100;
  return (
    <div className="meter-row">
      <span>{label}</span>
      <span
        className="meter wide"
        role="meter"
        aria-label={label}
        aria-valuemin={min}
        aria-valuemax={1}
        aria-valuenow={value}
      >
        <span style={{ width: `${Math.max(0, Math.min(100, pct))}%` }} />
      </span>
      <span className="mono">{formatNumber(value, 2)}</span>
    </div>
  );
}

/** Focus, the four feelings, load and mode: the consciousness state at a glance. */
export function EngineStateCard({ state, compact = false }: { state: EngineSnapshotView; compact?: boolean }) {
  const s = state.state;
  return (
    <article className="card" aria-label="Consciousness state">
      <h2>Consciousness state</h2>
      <dl className="facts">
        <dt>Focus</dt>
        <dd data-testid="engine-focus">{s.focus ?? 'nothing in focus'}</dd>
        <dt>Mode</dt>
        <dd data-testid="engine-mode">{s.mode}</dd>
        <dt>Open problems</dt>
        <dd>{s.open_problems}</dd>
        <dt>Updated</dt>
        <dd>{formatTime(state.updatedAt)}</dd>
      </dl>
      <div className="stack" style={{ marginTop: 8 }}>
        <Meter label="Load" value={s.load} />
        <Meter label="Valence" value={s.valence} min={-1} />
        <Meter label="Arousal" value={s.arousal} />
        <Meter label="Confidence" value={s.confidence} />
        <Meter label="Curiosity" value={s.curiosity} />
      </div>
      {!compact && (
        <>
          <h3>Attention</h3>
          {state.attention.length === 0 ? (
            <p className="hint">Nothing holds attention: no input has arrived yet, or it has all decayed.</p>
          ) : (
            <div className="stack" data-testid="engine-attention">
              {state.attention.map((a) => (
                <Meter key={a.target} label={a.target} value={a.weight} />
              ))}
            </div>
          )}
        </>
      )}
    </article>
  );
}
