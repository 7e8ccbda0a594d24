import { useState, type FormEvent } from 'react';
import { ALERT_SEVERITIES, type AlertSeverity, type RuleSetting } from '../../../main/contract';
import { EmptyState } from '../components/EmptyState';
import { ErrorNote } from '../components/ErrorNote';
import { useAction, useQuery } from '../client/context';
import { formatTime } from '../lib/format';

const UNIT: Record<RuleSetting['unit'], string> = { seconds: 's', count: '', ratio: '(0–1)', per_minute: '/min' };

function RuleRow({ rule, onSaved }: { rule: RuleSetting; onSaved: () => void }) {
  const save = useAction('alerts.rules.set');
  const reset = useAction('alerts.rules.reset');
  const [threshold, setThreshold] = useState(String(rule.threshold));
  const [critical, setCritical] = useState(rule.criticalThreshold == null ? '' : String(rule.criticalThreshold));
  const [forSeconds, setForSeconds] = useState(String(rule.forSeconds));
  const [severity, setSeverity] = useState<AlertSeverity>(rule.severity);
  const [enabled, setEnabled] = useState(rule.enabled);
  const onSubmit = (e: FormEvent): void => {
    e.preventDefault();
    void save
      .run({
        rule: rule.rule,
        enabled,
        threshold: Number(threshold),
        criticalThreshold: critical.trim() === '' ? null : Number(critical),
        forSeconds: Number(forSeconds),
        severity
      })
      .then((r) => r && onSaved());
  };
  return (
    <tr>
      <th scope="row">
        <div>{rule.title}</div>
        <div className="hint mono">{rule.rule}</div>
      </th>
      <td colSpan={6}>
        <form className="form-row rule-form" onSubmit={onSubmit} aria-label={`Rule ${rule.rule}`}>
          <label>
            <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled
          </label>
          <label>
            Threshold {UNIT[rule.unit]}
            <input
              className="short"
              type="number"
              step="any"
              min="0"
              value={threshold}
              onChange={(e) => setThreshold(e.target.value)}
            />
          </label>
          <label>
            Critical at
            <input
              className="short"
              type="number"
              step="any"
              min="0"
              value={critical}
              placeholder="none"
              onChange={(e) => setCritical(e.target.value)}
            />
          </label>
          <label>
            For (s)
            <input
              className="short"
              type="number"
              step="any"
              min="0"
              max="86400"
              value={forSeconds}
              onChange={(e) => setForSeconds(e.target.value)}
            />
          </label>
          <label>
            Severity{' '}
            <select value={severity} onChange={(e) => setSeverity(e.target.value as AlertSeverity)}>
              {ALERT_SEVERITIES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={save.pending}>
            Save
          </button>
          <button
            type="button"
            disabled={reset.pending || rule.updatedAt === null}
            onClick={() => void reset.run({ rule: rule.rule }).then((r) => r && onSaved())}
          >
            Reset to defaults
          </button>
          <span className="hint">{rule.updatedAt ? `edited ${formatTime(rule.updatedAt)}` : 'defaults'}</span>
        </form>
        <div className="hint">{rule.description}</div>
        <ErrorNote error={save.error ?? reset.error} />
      </td>
    </tr>
  );
}

/** The alert rules with their thresholds, editable in place (persisted by the core). */
export function RuleThresholds() {
  const rules = useQuery('alerts.rules', {});
  return (
    <article className="card" aria-labelledby="rules-title">
      <h2 id="rules-title">Alert rule thresholds</h2>
      <ErrorNote error={rules.error} />
      {rules.data?.length === 0 && <EmptyState title="No alert rules in this core." />}
      {rules.data && rules.data.length > 0 && (
        <table className="table rules">
          <tbody>
            {rules.data.map((r) => (
              // Keyed by updatedAt so a save or reset re-seeds the form from the stored values.
              <RuleRow key={`${r.rule}-${r.updatedAt ?? 'default'}`} rule={r} onSaved={rules.reload} />
            ))}
          </tbody>
        </table>
      )}
    </article>
  );
}
