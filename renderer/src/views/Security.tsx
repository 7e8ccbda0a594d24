import { useState } from 'react';
import {
  INVALID_REASONS,
  SECURITY_EVENT_TYPES,
  type InvalidReason,
  type SecurityEventType
} from '../../../main/contract/messages';
import type { InvalidMessageView, SecurityEventView } from '../../../main/contract';
import { DataTable, type Column } from '../components/DataTable';
import { EmptyState } from '../components/EmptyState';
import { EngineStateCard } from '../components/EngineStateCard';
import { ErrorNote } from '../components/ErrorNote';
import { ViewHeader } from '../components/ViewHeader';
import { useQuery } from '../client/context';
import { useEngineState } from '../hooks/useEngineState';
import { formatAgo, formatNumber, formatTime } from '../lib/format';

const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
type Severity = (typeof SEVERITIES)[number];

const columns: Column<SecurityEventView>[] = [
  {
    id: 'time',
    label: 'Time',
    sortValue: (e) => e.time,
    render: (e) => <span title={formatTime(e.time)}>{formatAgo(e.time)}</span>
  },
  {
    id: 'severity',
    label: 'Severity',
    sortValue: (e) => SEVERITIES.indexOf(e.severity),
    filterText: (e) => e.severity,
    render: (e) => (
      <span
        className={`sev sev-${e.severity === 'critical' || e.severity === 'high' ? 'error' : e.severity === 'medium' ? 'warning' : 'info'}`}
      >
        {e.severity}
      </span>
    )
  },
  {
    id: 'type',
    label: 'Type',
    sortValue: (e) => e.type,
    render: (e) => <span className="mono">{e.type.replace('security.', '')}</span>
  },
  {
    id: 'target',
    label: 'Target',
    sortValue: (e) => e.target ?? '',
    render: (e) => <span className="mono">{e.target ?? '—'}</span>
  },
  { id: 'summary', label: 'Summary', filterText: (e) => `${e.summary} ${e.source}`, render: (e) => e.summary },
  { id: 'source', label: 'Source', sortValue: (e) => e.source, render: (e) => <span className="mono">{e.source}</span> }
];

function SecurityEventsCard() {
  const [type, setType] = useState<SecurityEventType | ''>('');
  const [minSeverity, setMinSeverity] = useState<Severity | ''>('');
  const [target, setTarget] = useState('');
  const events = useQuery(
    'security.events',
    {
      types: type ? [type] : undefined,
      minSeverity: minSeverity || undefined,
      target: target.trim() || undefined,
      limit: 500
    },
    { refreshMs: 15_000 }
  );
  return (
    <article className="card">
      <h2>Security events</h2>
      <div className="form-row">
        <label>
          Type{' '}
          <select value={type} onChange={(e) => setType(e.target.value as SecurityEventType | '')}>
            <option value="">Any</option>
            {SECURITY_EVENT_TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          At least{' '}
          <select value={minSeverity} onChange={(e) => setMinSeverity(e.target.value as Severity | '')}>
            <option value="">any severity</option>
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Target{' '}
          <input className="short" style={{ width: 160 }} value={target} onChange={(e) => setTarget(e.target.value)} />
        </label>
        {events.data && (
          <span className="hint" data-testid="security-counts">
            {SEVERITIES.map((s) => `${s} ${events.data!.countsBySeverity[s] ?? 0}`).join(' · ')}
          </span>
        )}
      </div>
      <ErrorNote error={events.error} />
      {events.data && (
        <DataTable
          label="Security events"
          rows={events.data.items}
          columns={columns}
          rowKey={(e) => e.id}
          rowTestId="security-row"
          initialSort={{ id: 'time', dir: 'desc' }}
          empty={
            <EmptyState title="No security events match.">
              Events arrive on security.&gt; (SECURITY_EVENTS). Loosen the filters, or run synos-cc simulate to generate
              some.
            </EmptyState>
          }
        />
      )}
    </article>
  );
}

function InvalidMessagesCard() {
  const [reason, setReason] = useState<InvalidReason | ''>('');
  const invalid = useQuery(
    'bridge.invalidMessages',
    { reason: reason || undefined, limit: 100 },
    { refreshMs: 15_000 }
  );
  const cols: Column<InvalidMessageView>[] = [
    {
      id: 'time',
      label: 'Received',
      sortValue: (m) => m.receivedAt,
      render: (m) => <span title={formatTime(m.receivedAt)}>{formatAgo(m.receivedAt)}</span>
    },
    {
      id: 'subject',
      label: 'Subject',
      sortValue: (m) => m.subject,
      render: (m) => <span className="mono">{m.subject}</span>
    },
    { id: 'reason', label: 'Reason', sortValue: (m) => m.reason, render: (m) => m.reason },
    {
      id: 'message',
      label: 'Why',
      filterText: (m) => m.message,
      render: (m) => <span className="wrap">{m.message}</span>
    },
    { id: 'size', label: 'Size', numeric: true, sortValue: (m) => m.rawSize, render: (m) => formatNumber(m.rawSize) }
  ];
  return (
    <article className="card">
      <h2>Rejected inbound messages</h2>
      <div className="form-row">
        <label>
          Reason{' '}
          <select value={reason} onChange={(e) => setReason(e.target.value as InvalidReason | '')}>
            <option value="">Any</option>
            {INVALID_REASONS.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        {invalid.data && (
          <span className="hint">
            {formatNumber(invalid.data.total)} in total
            {Object.keys(invalid.data.counts).length > 0 &&
              `: ${Object.entries(invalid.data.counts)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ')}`}
          </span>
        )}
      </div>
      <ErrorNote error={invalid.error} />
      {invalid.data && (
        <DataTable
          label="Rejected inbound messages"
          rows={invalid.data.items}
          columns={cols}
          rowKey={(m) => String(m.id)}
          initialSort={{ id: 'time', dir: 'desc' }}
          empty={
            <EmptyState title="No message has been rejected.">
              Inbound messages that fail the envelope checks are listed here with the reason.
            </EmptyState>
          }
        />
      )}
    </article>
  );
}

export function SecurityView() {
  const { state, error } = useEngineState();
  return (
    <section>
      <ViewHeader title="Security" />
      <div className="split">
        <SecurityEventsCard />
        <div>
          <ErrorNote error={error} />
          {state && <EngineStateCard state={state} compact />}
        </div>
      </div>
      <InvalidMessagesCard />
    </section>
  );
}
