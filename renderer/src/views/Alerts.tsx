import { useState } from 'react';
import {
  ALERT_RULE_IDS,
  ALERT_SEVERITIES,
  type Alert,
  type AlertRuleId,
  type AlertSeverity
} from '../../../main/contract';
import { DataTable, type Column } from '../components/DataTable';
import { EmptyState } from '../components/EmptyState';
import { ErrorNote } from '../components/ErrorNote';
import { ViewHeader } from '../components/ViewHeader';
import { useAction, useQuery } from '../client/context';
import { formatAgo, formatNumber, formatTime } from '../lib/format';
import { RuleThresholds } from './RuleThresholds';

type StateFilter = 'active' | 'firing' | 'acknowledged' | 'resolved' | 'all';

/**
 * The alert a link or a notification opened (#/alerts/ID): its figures and state on top of the list,
 * looked up among every alert so a resolved one is found too.
 */
function OpenedAlert({ id }: { id: number }) {
  const all = useQuery('alerts.list', { state: 'all', limit: 1000 });
  const alert = all.data?.alerts.find((a) => a.id === id);
  return (
    <article className="card" aria-labelledby="opened-alert" data-testid="opened-alert">
      <h2 id="opened-alert">{alert ? `Alert ${alert.rule} on ${alert.target}` : `Alert ${id}`}</h2>
      <ErrorNote error={all.error} />
      {all.data && !alert && (
        <EmptyState title={`No alert ${id}.`}>It may have been pruned from the history; see the list below.</EmptyState>
      )}
      {alert && (
        <dl className="facts">
          <dt>Severity</dt>
          <dd>
            <span className={`sev sev-${alert.severity.toLowerCase()}`}>{alert.severity}</span>
          </dd>
          <dt>State</dt>
          <dd>{alert.state}</dd>
          <dt>Message</dt>
          <dd>{alert.message}</dd>
          <dt>Value / threshold</dt>
          <dd>
            {formatNumber(alert.value, 3)} / {formatNumber(alert.threshold, 3)}
          </dd>
          <dt>Since</dt>
          <dd>{formatTime(alert.since)}</dd>
        </dl>
      )}
    </article>
  );
}

export function AlertsView({ alertId }: { alertId?: string }) {
  const opened = alertId !== undefined && /^\d+$/.test(alertId) ? Number(alertId) : null;
  const [state, setState] = useState<StateFilter>('active');
  const [severity, setSeverity] = useState<AlertSeverity | ''>('');
  const [rule, setRule] = useState<AlertRuleId | ''>('');
  const list = useQuery(
    'alerts.list',
    { state, severity: severity ? [severity] : undefined, rule: rule || undefined, limit: 500 },
    { refreshMs: 15_000 }
  );
  const ack = useAction('alerts.acknowledge');

  const columns: Column<Alert>[] = [
    {
      id: 'severity',
      label: 'Severity',
      sortValue: (a) => ALERT_SEVERITIES.indexOf(a.severity),
      filterText: (a) => a.severity,
      render: (a) => <span className={`sev sev-${a.severity.toLowerCase()}`}>{a.severity}</span>
    },
    { id: 'state', label: 'State', sortValue: (a) => a.state, render: (a) => a.state },
    { id: 'rule', label: 'Rule', sortValue: (a) => a.rule, render: (a) => <span className="mono">{a.rule}</span> },
    {
      id: 'target',
      label: 'Target',
      sortValue: (a) => a.target,
      render: (a) => <span className="mono wrap">{a.target}</span>
    },
    {
      id: 'message',
      label: 'Message',
      filterText: (a) => a.message,
      render: (a) => <span className="wrap">{a.message}</span>
    },
    {
      id: 'value',
      label: 'Value / threshold',
      numeric: true,
      render: (a) => `${formatNumber(a.value, 3)} / ${formatNumber(a.threshold, 3)}`
    },
    {
      id: 'since',
      label: 'Since',
      sortValue: (a) => a.since,
      render: (a) => <span title={formatTime(a.since)}>{formatAgo(a.since)}</span>
    },
    {
      id: 'ack',
      label: 'Acknowledged',
      render: (a) =>
        a.state === 'firing' ? (
          <button
            type="button"
            disabled={ack.pending}
            onClick={() => void ack.run({ id: a.id }).then(list.reload)}
            aria-label={`Acknowledge ${a.rule} ${a.target}`}
          >
            Acknowledge
          </button>
        ) : a.acknowledgedAt ? (
          `${formatTime(a.acknowledgedAt)}${a.acknowledgedBy ? ` by ${a.acknowledgedBy}` : ''}`
        ) : (
          '—'
        )
    }
  ];

  return (
    <section>
      <ViewHeader title="Alerts" />
      {opened !== null && <OpenedAlert id={opened} />}
      <div className="card">
        <div className="form-row">
          <label>
            State{' '}
            <select value={state} onChange={(e) => setState(e.target.value as StateFilter)}>
              <option value="active">Active (firing or acknowledged)</option>
              <option value="firing">Firing</option>
              <option value="acknowledged">Acknowledged</option>
              <option value="resolved">Resolved</option>
              <option value="all">All</option>
            </select>
          </label>
          <label>
            Severity{' '}
            <select value={severity} onChange={(e) => setSeverity(e.target.value as AlertSeverity | '')}>
              <option value="">Any</option>
              {ALERT_SEVERITIES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
          <label>
            Rule{' '}
            <select value={rule} onChange={(e) => setRule(e.target.value as AlertRuleId | '')}>
              <option value="">Any</option>
              {ALERT_RULE_IDS.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </label>
          {list.data && <span className="hint">{list.data.total} matching</span>}
        </div>
        <ErrorNote error={list.error} />
        {list.data && (
          <DataTable
            label="Alerts"
            rows={list.data.alerts}
            columns={columns}
            rowKey={(a) => String(a.id)}
            rowTestId="alert-row"
            initialSort={{ id: 'since', dir: 'desc' }}
            empty={
              <EmptyState title={state === 'active' ? 'No active alerts.' : 'No alerts match these filters.'}>
                Alerts fire when a rule’s threshold is crossed (see the rules below). Choose “All” to include resolved
                ones.
              </EmptyState>
            }
          />
        )}
        <ErrorNote error={ack.error} />
      </div>
      <RuleThresholds />
    </section>
  );
}
