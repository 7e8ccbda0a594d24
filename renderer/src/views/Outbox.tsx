import { useEffect, useRef, useState } from 'react';
import type { OutboxEntryPayload, OutboxStatsPayload } from '../../../main/contract';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { DataTable, type Column } from '../components/DataTable';
import { EmptyState } from '../components/EmptyState';
import { ErrorNote } from '../components/ErrorNote';
import { ViewHeader } from '../components/ViewHeader';
import { useAction, useQuery } from '../client/context';
import { formatAgo, formatBytes, formatCount, formatDuration, formatNumber, formatTime } from '../lib/format';
import { useNotify } from '../lib/notify';
import { Recordings } from './Recordings';

const STATUSES = ['pending', 'processing', 'retrying', 'completed', 'dead'] as const;
type Status = (typeof STATUSES)[number];

const entryColumns: Column<OutboxEntryPayload>[] = [
  {
    id: 'created',
    label: 'Created',
    sortValue: (e) => e.createdAt,
    render: (e) => <span title={formatTime(e.createdAt)}>{formatAgo(e.createdAt)}</span>
  },
  {
    id: 'subject',
    label: 'Subject',
    sortValue: (e) => e.subject,
    render: (e) => <span className="mono">{e.subject}</span>
  },
  { id: 'priority', label: 'Priority', sortValue: (e) => e.priority, render: (e) => e.priority },
  { id: 'attempts', label: 'Attempts', numeric: true, sortValue: (e) => e.attempts, render: (e) => e.attempts },
  { id: 'size', label: 'Size', numeric: true, sortValue: (e) => e.size, render: (e) => formatBytes(e.size) },
  {
    id: 'error',
    label: 'Last error',
    filterText: (e) => e.lastError ?? '',
    render: (e) => <span className="wrap">{e.lastError ?? '—'}</span>
  },
  {
    id: 'ack',
    label: 'Stored as',
    render: (e) => (e.stream ? `${e.stream} #${e.seq}${e.duplicate ? ' (duplicate)' : ''}` : '—')
  },
  { id: 'id', label: 'Id', filterText: (e) => e.id, render: (e) => <span className="mono hint">{e.id}</span> }
];

/**
 * Messages per second this core delivered, from successive stats (pushed while the outbox changes,
 * and the 10 s refresh), smoothed; 0 once nothing moved between two of them; null before two.
 */
function useDeliveryRate(stats: OutboxStatsPayload | undefined): number | null {
  const last = useRef<{ at: number; delivered: number; rate: number | null } | null>(null);
  const [rate, setRate] = useState<number | null>(null);
  useEffect(() => {
    if (!stats) return;
    const at = Date.parse(stats.time);
    const prev = last.current;
    if (!prev || stats.deliveredTotal < prev.delivered) {
      last.current = { at, delivered: stats.deliveredTotal, rate: null };
      return;
    }
    // Pushes come a few times a second: measure over at least a second.
    if (at - prev.at < 1000) return;
    const now = ((stats.deliveredTotal - prev.delivered) * 1000) / (at - prev.at);
    const smoothed = prev.rate === null || now === 0 ? now : 0.5 * prev.rate + 0.5 * now;
    last.current = { at, delivered: stats.deliveredTotal, rate: smoothed };
    setRate(smoothed);
  }, [stats]);
  return rate;
}

function StatsCard() {
  const query = useQuery('outbox.stats', {}, { refreshMs: 10_000 });
  const stats = query.data;
  const deliveryRate = useDeliveryRate(stats);
  const backlog = stats ? stats.counts.pending + stats.counts.retrying + stats.counts.processing : 0;
  const rate = useAction('outbox.setRateLimit');
  const [limit, setLimit] = useState('');
  return (
    <article className="card">
      <h2>Outbox</h2>
      <ErrorNote error={stats ? null : query.error} />
      {stats && (
        <>
          <dl className="facts facts-inline" data-testid="outbox-counts">
            {STATUSES.map((s) => (
              <div key={s} style={{ display: 'contents' }}>
                <dt>{s}</dt>
                <dd data-testid={`outbox-${s}`}>{formatNumber(stats.counts[s])}</dd>
              </div>
            ))}
            <dt>Oldest undelivered</dt>
            <dd>
              {stats.oldestUndeliveredAt
                ? `${formatDuration(stats.oldestUndeliveredAgeMs)} old (${formatTime(stats.oldestUndeliveredAt)})`
                : 'none'}
            </dd>
            <dt>In flight</dt>
            <dd>{stats.inFlight}</dd>
            <dt>Draining</dt>
            <dd>{stats.draining ? 'yes' : 'no'}</dd>
            <dt>Delivering</dt>
            <dd data-testid="outbox-rate">
              {deliveryRate === null
                ? 'measuring…'
                : deliveryRate < 0.5
                  ? 'idle'
                  : `${formatNumber(Math.round(deliveryRate))} msgs/s${backlog > 0 ? `; backlog clears in ~${formatDuration((backlog / deliveryRate) * 1000)}` : ''}`}
            </dd>
            <dt>Delivered since start</dt>
            <dd>
              {formatNumber(stats.deliveredTotal)} ({formatNumber(stats.duplicatesTotal)} duplicates)
            </dd>
            <dt>Drain rate limit</dt>
            <dd>{stats.rateLimitPerSec === null ? 'none' : `${formatNumber(stats.rateLimitPerSec)} msgs/s`}</dd>
          </dl>
          <form
            className="form-row"
            style={{ marginTop: 12 }}
            aria-label="Drain rate limit"
            onSubmit={(e) => {
              e.preventDefault();
              void rate.run({ perSecond: limit.trim() === '' ? null : Number(limit) }).then(() => query.reload());
            }}
          >
            <label>
              Drain rate limit (msgs/s){' '}
              <input
                className="short"
                type="number"
                min={1}
                value={limit}
                placeholder="none"
                onChange={(e) => setLimit(e.target.value)}
              />
            </label>
            <button type="submit" disabled={rate.pending}>
              Set limit
            </button>
            <span className="hint">Empty: no limit.</span>
          </form>
          <ErrorNote error={rate.error} />
        </>
      )}
    </article>
  );
}

function BreakersCard() {
  const query = useQuery('resilience.breakers', {}, { refreshMs: 10_000 });
  const report = query.data;
  const emergency = useAction('resilience.emergency');
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState('');
  const notify = useNotify();
  return (
    <article className="card">
      <h2>Circuit breakers</h2>
      <ErrorNote error={report ? null : query.error} />
      {report && (
        <>
          <p data-testid="emergency-state">
            Emergency switch:{' '}
            {report.emergency.active ? (
              <strong className="sev sev-error">
                ON since {formatTime(report.emergency.since)}
                {report.emergency.reason ? ` (${report.emergency.reason})` : ''}
              </strong>
            ) : (
              'off'
            )}
          </p>
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Breakers (scrollable)">
            <table className="table" aria-label="Breakers">
              <thead>
                <tr>
                  <th scope="col">Operation</th>
                  <th scope="col">State</th>
                  <th scope="col">Since</th>
                  <th scope="col" className="num">
                    Failures in a row
                  </th>
                  <th scope="col" className="num">
                    Opened
                  </th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {report.breakers.map((b) => (
                  <tr key={b.operation} data-testid="breaker-row">
                    <td>{b.operation}</td>
                    <td className={b.state === 'closed' ? 'sev ok' : 'sev sev-error'}>{b.state}</td>
                    <td>{formatAgo(b.since)}</td>
                    <td className="num">{b.consecutiveFailures}</td>
                    <td className="num">{b.openedCount}</td>
                    <td>
                      <span className="wrap">{b.lastError ?? '—'}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {report.others.length > 0 && (
            <p className="hint">
              Other processes on this data directory:{' '}
              {report.others
                .map(
                  (o) =>
                    `${o.owner} (pid ${o.pid}): ${o.breakers.filter((b) => b.state !== 'closed').length} not closed`
                )
                .join('; ')}
            </p>
          )}
          <div className="form-row" style={{ marginTop: 12 }}>
            {report.emergency.active ? (
              <button
                type="button"
                disabled={emergency.pending}
                onClick={() =>
                  void emergency.run({ active: false }).then((r) => r && notify('Emergency switch released'))
                }
              >
                Release emergency switch
              </button>
            ) : (
              <>
                <label>
                  Reason{' '}
                  <input
                    className="short"
                    style={{ width: 200 }}
                    value={reason}
                    onChange={(e) => setReason(e.target.value)}
                  />
                </label>
                <button type="button" className="danger" onClick={() => setConfirming(true)}>
                  Emergency: open all breakers…
                </button>
              </>
            )}
          </div>
          <ErrorNote error={emergency.error} />
        </>
      )}
      {confirming && (
        <ConfirmDialog
          title="Open every breaker?"
          confirmLabel="Open all breakers"
          busy={emergency.pending}
          onCancel={() => setConfirming(false)}
          onConfirm={() =>
            void emergency.run({ active: true, reason: reason.trim() || undefined }).then((r) => {
              setConfirming(false);
              if (r) notify('Emergency switch on: nothing is published, the outbox holds every message');
            })
          }
        >
          Every process on this data directory stops publishing; messages wait in the outbox until you release the
          switch.
        </ConfirmDialog>
      )}
    </article>
  );
}

/** "1 dead letter", "3 dead letters". */
function deadLetters(n: number): string {
  return formatCount(n, 'dead letter');
}

/** What the discard confirmation deletes, in words. */
function discardText(target: { ids: string[] } | { all: true }, total: number): string {
  const n = 'all' in target ? total : target.ids.length;
  return `${'all' in target && n !== 1 ? 'All ' : ''}${deadLetters(n)} ${n === 1 ? 'is' : 'are'} deleted and never delivered.`;
}

function DeadLetters() {
  const dlq = useQuery('dlq.list', { limit: 500 }, { refreshMs: 15_000 });
  const retry = useAction('dlq.retry');
  const discard = useAction('dlq.discard');
  const [selected, setSelected] = useState<string[]>([]);
  const [confirm, setConfirm] = useState<null | { ids: string[] } | { all: true }>(null);
  const notify = useNotify();
  const target = selected.length > 0 ? { ids: selected } : ({ all: true } as const);
  const columns: Column<OutboxEntryPayload>[] = [
    {
      id: 'pick',
      label: 'Select',
      render: (e) => (
        <input
          type="checkbox"
          aria-label={`Select dead letter ${e.id}`}
          checked={selected.includes(e.id)}
          onChange={() => setSelected((s) => (s.includes(e.id) ? s.filter((x) => x !== e.id) : [...s, e.id]))}
        />
      )
    },
    ...entryColumns
  ];
  return (
    <article className="card">
      <h2>Dead letters (DLQ){dlq.data ? ` — ${formatNumber(dlq.data.total)}` : ''}</h2>
      <ErrorNote error={dlq.error ?? retry.error ?? discard.error} />
      {dlq.data && dlq.data.total > 0 && (
        <div className="form-row">
          <button
            type="button"
            disabled={retry.pending}
            onClick={() =>
              void retry.run(target).then((r) => {
                if (!r) return;
                notify(`Put ${deadLetters(r.count)} back in the outbox`);
                setSelected([]);
                dlq.reload();
              })
            }
          >
            {selected.length > 0 ? `Retry ${selected.length} selected` : 'Retry all'}
          </button>
          <button type="button" className="danger" onClick={() => setConfirm(target)}>
            {selected.length > 0 ? `Discard ${selected.length} selected…` : 'Discard all…'}
          </button>
        </div>
      )}
      {dlq.data && (
        <DataTable
          label="Dead letters"
          rows={dlq.data.entries}
          columns={columns}
          rowKey={(e) => e.id}
          rowTestId="dlq-row"
          initialSort={{ id: 'created', dir: 'desc' }}
          empty={
            <EmptyState title="No dead letters.">
              A message lands here after 10 failed publish attempts; retry or discard it from here.
            </EmptyState>
          }
        />
      )}
      {confirm && (
        <ConfirmDialog
          title="Discard dead letters?"
          confirmLabel="Discard"
          busy={discard.pending}
          onCancel={() => setConfirm(null)}
          onConfirm={() =>
            void discard.run(confirm).then((r) => {
              setConfirm(null);
              if (!r) return;
              notify(`Discarded ${deadLetters(r.count)}`);
              setSelected([]);
              dlq.reload();
            })
          }
        >
          {discardText(confirm, dlq.data?.total ?? 0)}
        </ConfirmDialog>
      )}
    </article>
  );
}

function EntriesByStatus() {
  const [status, setStatus] = useState<Status>('pending');
  const list = useQuery('outbox.list', { status, limit: 200 }, { refreshMs: 10_000 });
  return (
    <article className="card">
      <h2>Messages by status</h2>
      <div className="tabs" role="tablist" aria-label="Outbox status">
        {STATUSES.filter((s) => s !== 'dead').map((s) => (
          <button key={s} type="button" role="tab" aria-selected={status === s} onClick={() => setStatus(s)}>
            {s}
          </button>
        ))}
      </div>
      <ErrorNote error={list.error} />
      {list.data && (
        <DataTable
          label={`Outbox ${status}`}
          rows={list.data.entries}
          columns={entryColumns}
          rowKey={(e) => e.id}
          initialSort={{ id: 'created', dir: 'desc' }}
          empty={
            <EmptyState title={`No ${status} messages.`}>
              Outbound messages pass through here: pending → processing → completed.
            </EmptyState>
          }
        />
      )}
    </article>
  );
}

export function OutboxView() {
  return (
    <section>
      <ViewHeader title="Outbox" />
      <div className="cards">
        <StatsCard />
        <BreakersCard />
      </div>
      <DeadLetters />
      <EntriesByStatus />
      <Recordings />
    </section>
  );
}
