import { useEffect, useRef } from 'react';
import type { DecisionOutputView, DecisionWhy } from '../../../../main/contract';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNote } from '../../components/ErrorNote';
import { useQuery } from '../../client/context';
import { formatNumber, formatTime } from '../../lib/format';
import { hrefOf } from '../../lib/route';

/** The browser link of a message: its stream's Messages tab, opened at that sequence. */
export function messageHref(stream: string, seq: number): string {
  return hrefOf('streams', stream, 'messages', String(seq));
}

const STATE_LABEL: Record<DecisionOutputView['state'], string> = {
  pending: 'pending (no PubAck yet)',
  published: 'published',
  dead: 'dead letter',
  unknown: 'no outbox row'
};

function OutputState({ o }: { o: DecisionOutputView }) {
  const cls = o.state === 'published' ? 'badge badge-ok' : o.state === 'dead' ? 'badge badge-bad' : 'badge badge-muted';
  return (
    <span className={cls} title={o.lastError ?? undefined}>
      {STATE_LABEL[o.state]}
      {o.duplicate ? ' (duplicate)' : ''}
    </span>
  );
}

function Explanation({ why }: { why: DecisionWhy }) {
  const d = why.decision;
  const s = why.state.state;
  return (
    <div className="stack">
      <p>
        <strong>{d.action}</strong> for <strong>{d.kind}</strong>
        {d.target ? (
          <>
            {' '}
            on <span className="mono">{d.target}</span>
          </>
        ) : null}{' '}
        at {formatTime(why.decidedAt)}
        <br />
        <span className="hint">{d.rationale}</span>
      </p>

      <h3>Caused by</h3>
      <ul className="plain" data-testid="why-inputs">
        {why.inputs.map((i) => (
          <li key={`${i.source}/${i.id}`}>
            <span className="mono">{i.type}</span> <span className="mono">{i.id}</span> from{' '}
            <span className="mono">{i.source}</span> on <span className="mono">{i.subject}</span>:{' '}
            {i.seq !== null ? (
              <a href={messageHref(i.stream, i.seq)} data-testid="why-input-link">
                {i.stream} #{i.seq}
              </a>
            ) : (
              <span>{i.stream} (no sequence recorded)</span>
            )}{' '}
            <span className="hint">
              via {i.durable}
              {i.deliveryCount > 1 ? `, delivery ${i.deliveryCount}` : ''}
            </span>
          </li>
        ))}
      </ul>

      <h3>Engine state then</h3>
      <dl className="facts" data-testid="why-state">
        <dt>Load</dt>
        <dd>{formatNumber(s.load, 2)}</dd>
        <dt>Mode</dt>
        <dd>{s.mode}</dd>
        <dt>Valence</dt>
        <dd>{formatNumber(s.valence, 2)}</dd>
        <dt>Arousal / confidence / curiosity</dt>
        <dd>
          {formatNumber(s.arousal, 2)} / {formatNumber(s.confidence, 2)} / {formatNumber(s.curiosity, 2)}
        </dd>
        <dt>Focus</dt>
        <dd>{s.focus ?? 'nothing in focus'}</dd>
        <dt>Open problems</dt>
        <dd>{s.open_problems}</dd>
        <dt>Input rate</dt>
        <dd>{formatNumber(why.state.inputRatePerSecond, 1)} /s</dd>
      </dl>
      {why.state.attention.length > 0 && (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Attention weights (scrollable)">
          <table className="table" aria-label="Attention weights when it decided">
            <thead>
              <tr>
                <th scope="col">Attention target</th>
                <th scope="col" className="num">
                  Weight
                </th>
              </tr>
            </thead>
            <tbody>
              {why.state.attention.map((a) => (
                <tr key={a.target}>
                  <td className="mono">{a.target}</td>
                  <td className="num">{formatNumber(a.weight, 3)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h3>Strategy</h3>
      <p data-testid="why-strategy">
        <strong>{why.strategy.action}</strong> has the learned weight{' '}
        <strong>{formatNumber(why.strategy.weight, 3)}</strong> for {why.strategy.kind}
        {why.strategy.alternatives.length > 0 && (
          <span className="hint">
            {' '}
            (over {why.strategy.alternatives.map((a) => `${a.action} ${formatNumber(a.weight, 3)}`).join(', ')})
          </span>
        )}
      </p>

      <h3>Outputs</h3>
      <div className="table-wrap" tabIndex={0} role="region" aria-label="Outputs (scrollable)">
        <table className="table" aria-label="Outputs of the input" data-testid="why-outputs">
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col">Subject</th>
              <th scope="col">PubAck</th>
              <th scope="col">Stream and sequence</th>
            </tr>
          </thead>
          <tbody>
            {why.outputs.map((o) => (
              <tr key={o.id} data-testid="why-output">
                <td className="mono">{o.type.replace('consciousness.', '')}</td>
                <td className="mono">{o.subject}</td>
                <td>
                  <OutputState o={o} />
                  {o.state === 'dead' && o.lastError && <div className="hint">{o.lastError}</div>}
                </td>
                <td>
                  {o.stream && o.seq !== null ? (
                    <a href={messageHref(o.stream, o.seq)}>
                      {o.stream} #{o.seq}
                    </a>
                  ) : (
                    <span className="hint">{o.state === 'unknown' ? 'not known here' : 'not yet'}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/**
 * Why a decision was made: the input message(s) with links into the message browser, the engine
 * state when it decided, the strategy and its learned weight, and the outputs with their PubAck
 * state (refreshed while the panel is open, so pending ones turn published).
 */
export function WhyPanel({ id, onClose }: { id: string; onClose: () => void }) {
  const why = useQuery('engine.why', { id }, { refreshMs: 3000 });
  const ref = useRef<HTMLElement>(null);
  // Opened from a row further down or up the view: bring it into sight and put the keyboard there.
  useEffect(() => {
    ref.current?.scrollIntoView?.({ block: 'nearest' });
    ref.current?.focus();
  }, []);
  return (
    <section className="card" aria-label={`Why decision ${id}`} data-testid="why-panel" ref={ref} tabIndex={-1}>
      <div className="view-header">
        <h2>
          Why <span className="mono">{id}</span>
        </h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      {why.error ? (
        why.error.code === 'NOT_FOUND' ? (
          <EmptyState title="No explanation is recorded for this decision." testId="why-missing">
            {why.error.message}
          </EmptyState>
        ) : (
          <ErrorNote error={why.error} />
        )
      ) : why.data ? (
        <Explanation why={why.data} />
      ) : (
        <p className="hint" role="status">
          Loading the decision’s provenance…
        </p>
      )}
    </section>
  );
}
