import { useMemo, useState } from 'react';
import type { ConsumerSummary } from '../../../main/contract';
import { CachedMark } from '../components/CachedMark';
import { LineChart } from '../components/Chart';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { DataTable, type Column } from '../components/DataTable';
import { EmptyState } from '../components/EmptyState';
import { ErrorNote } from '../components/ErrorNote';
import { Sparkline, trendOf } from '../components/Sparkline';
import { ViewHeader } from '../components/ViewHeader';
import { useAction, useQuery } from '../client/context';
import { useSeriesByKey, valuesOf } from '../hooks/useSeries';
import { formatAgo, formatBytes, formatCount, formatDuration, formatNumber, formatTime } from '../lib/format';
import { useNotify } from '../lib/notify';
import { hrefOf } from '../lib/route';
import { DriftCard, Usage } from './stream-parts';
import { MessagesBrowser } from './MessagesBrowser';

const TABS = [
  { id: 'overview', label: 'Overview' },
  { id: 'consumers', label: 'Consumers' },
  { id: 'messages', label: 'Messages' }
] as const;

function JsonFacts({ value, label }: { value: Record<string, unknown>; label: string }) {
  return (
    <dl className="facts" aria-label={label}>
      {Object.entries(value).map(([k, v]) => (
        <div key={k} style={{ display: 'contents' }}>
          <dt className="mono">{k}</dt>
          <dd className="mono">{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function consumerColumns(
  grouped: Map<string, { pending: number | null }[]>,
  withStream: boolean
): Column<ConsumerSummary>[] {
  return [
    ...(withStream
      ? [
          {
            id: 'stream',
            label: 'Stream',
            sortValue: (c: ConsumerSummary) => c.stream,
            render: (c: ConsumerSummary) => (
              <a className="mono" href={hrefOf('streams', c.stream)}>
                {c.stream}
              </a>
            )
          }
        ]
      : []),
    {
      id: 'name',
      label: 'Consumer',
      sortValue: (c) => c.name,
      render: (c) => (
        <a className="mono" href={hrefOf('consumers', c.stream, c.name)}>
          {c.name}
        </a>
      )
    },
    {
      id: 'filter',
      label: 'Filter',
      sortValue: (c) => c.filter ?? '',
      render: (c) => <span className="mono">{c.filter ?? 'whole stream'}</span>
    },
    {
      id: 'kind',
      label: 'Kind',
      sortValue: (c) => (c.pull ? 'pull' : 'push'),
      render: (c) => `${c.pull ? 'pull' : 'push'}${c.durable ? ', durable' : ''}`
    },
    {
      id: 'pending',
      label: 'Pending',
      numeric: true,
      sortValue: (c) => c.numPending,
      render: (c) => formatNumber(c.numPending)
    },
    {
      id: 'ackPending',
      label: 'Ack pending',
      numeric: true,
      sortValue: (c) => c.numAckPending,
      render: (c) => formatNumber(c.numAckPending)
    },
    {
      id: 'redelivered',
      label: 'Redelivered',
      numeric: true,
      sortValue: (c) => c.numRedelivered,
      render: (c) => formatNumber(c.numRedelivered)
    },
    {
      id: 'trend',
      label: 'Lag (1 h)',
      render: (c) => {
        const values = (grouped.get(`${c.stream}/${c.name}`) ?? [])
          .map((p) => p.pending)
          .filter((v): v is number => v !== null);
        return (
          <>
            <Sparkline values={values} label={`${c.stream}/${c.name} pending`} />{' '}
            {values.length >= 2 && <span className="hint">{trendOf(values)}</span>}
          </>
        );
      }
    },
    {
      id: 'active',
      label: 'Last active',
      sortValue: (c) => c.lastActive,
      render: (c) => <span title={formatTime(c.lastActive)}>{formatAgo(c.lastActive)}</span>
    }
  ];
}

function OverviewTab({ name }: { name: string }) {
  const info = useQuery('streams.info', { stream: name }, { refreshMs: 15_000 });
  const series = useSeriesByKey({ stream: name });
  const points = useMemo(() => {
    const pts = series.grouped.get(name) ?? [];
    return [
      { label: 'bytes', points: pts.map((p) => ({ x: new Date(p.time).getTime(), y: p.bytes })) },
      { label: 'messages', points: pts.map((p) => ({ x: new Date(p.time).getTime(), y: p.messages })), right: true }
    ];
  }, [series.grouped, name]);
  const [purging, setPurging] = useState(false);
  const [purgeSubject, setPurgeSubject] = useState('');
  const purge = useAction('streams.purge');
  const notify = useNotify();
  const d = info.data;
  return (
    <>
      <ErrorNote error={info.error && !d ? info.error : null} />
      {d && (
        <>
          <div className="form-row">
            <CachedMark cached={d.cached} snapshotTime={d.snapshotTime} />
          </div>
          <div className="cards">
            <article className="card">
              <h2>State</h2>
              <dl className="facts">
                <dt>Subjects</dt>
                <dd className="mono">{d.stream.subjects.join(', ')}</dd>
                <dt>Messages</dt>
                <dd data-testid="stream-messages">{formatNumber(d.stream.messages)}</dd>
                <dt>Bytes</dt>
                <dd>{formatBytes(d.stream.bytes)}</dd>
                <dt>Usage</dt>
                <dd>
                  <Usage
                    ratio={
                      d.stream.usageMsgs === null && d.stream.usageBytes === null
                        ? null
                        : Math.max(d.stream.usageMsgs ?? 0, d.stream.usageBytes ?? 0)
                    }
                  />
                </dd>
                <dt>Sequences</dt>
                <dd>
                  {d.stream.firstSeq} … {d.stream.lastSeq}
                </dd>
                <dt>Last message</dt>
                <dd>{formatTime(d.stream.lastTime)}</dd>
                <dt>Limits</dt>
                <dd>
                  {d.stream.maxMsgs < 0 ? 'no message limit' : `${formatNumber(d.stream.maxMsgs)} msgs`},{' '}
                  {d.stream.maxBytes < 0 ? 'no byte limit' : formatBytes(d.stream.maxBytes)},{' '}
                  {d.stream.maxAgeMs > 0 ? `max age ${formatDuration(d.stream.maxAgeMs)}` : 'no age limit'}
                </dd>
                <dt>Storage</dt>
                <dd>
                  {d.stream.storage}, {d.stream.retention}, {d.stream.replicas} replica
                  {d.stream.replicas === 1 ? '' : 's'}
                </dd>
                {d.cluster && (
                  <>
                    <dt>Leader</dt>
                    <dd>{d.cluster.leader ?? '—'}</dd>
                  </>
                )}
              </dl>
              <div className="form-row" style={{ marginTop: 12 }}>
                <label>
                  Purge only subject{' '}
                  <input
                    className="short"
                    style={{ width: 180 }}
                    value={purgeSubject}
                    onChange={(e) => setPurgeSubject(e.target.value)}
                    placeholder="all subjects"
                  />
                </label>
                <button type="button" className="danger" onClick={() => setPurging(true)} disabled={d.cached}>
                  Purge…
                </button>
              </div>
              <ErrorNote error={purge.error} />
            </article>
            <article className="card">
              <h2>Size over time</h2>
              <Sparkline
                values={valuesOf(series.grouped.get(name), 'bytes')}
                label={`${name} size`}
                width={240}
                height={36}
              />
              <LineChart
                label={`${name} bytes and messages over the last hour`}
                series={points}
                yLabel="bytes"
                yRightLabel="messages"
                height={180}
              />
            </article>
          </div>
          <DriftCard stream={name} />
          <div className="cards">
            <article className="card">
              <h2>Configuration</h2>
              <JsonFacts value={d.config} label="Stream configuration" />
            </article>
            <article className="card">
              <h2>Server state</h2>
              <JsonFacts value={d.state} label="Stream state" />
            </article>
          </div>
        </>
      )}
      {purging && (
        <ConfirmDialog
          title={`Purge ${name}?`}
          confirmLabel="Purge"
          typeToConfirm={name}
          busy={purge.pending}
          onCancel={() => setPurging(false)}
          onConfirm={() =>
            void purge.run({ stream: name, subject: purgeSubject.trim() || undefined, confirm: true }).then((r) => {
              setPurging(false);
              if (r) {
                notify(`Purged ${formatCount(r.purged, 'message')} from ${name}`);
                info.reload();
              }
            })
          }
        >
          This deletes{' '}
          {purgeSubject.trim() ? (
            <>
              every message on <span className="mono">{purgeSubject.trim()}</span>
            </>
          ) : (
            'every message'
          )}{' '}
          in <span className="mono">{name}</span>. It cannot be undone.
        </ConfirmDialog>
      )}
    </>
  );
}

function ConsumersTab({ name }: { name: string }) {
  const list = useQuery('consumers.list', { stream: name }, { refreshMs: 15_000 });
  const series = useSeriesByKey({ stream: name });
  return (
    <>
      <ErrorNote error={list.error && !list.data ? list.error : null} />
      {list.data && (
        <>
          <CachedMark cached={list.data.cached} snapshotTime={list.data.snapshotTime} />
          <DataTable
            label={`Consumers of ${name}`}
            rows={list.data.consumers}
            columns={consumerColumns(series.grouped, false)}
            rowKey={(c) => c.name}
            rowTestId="consumer-row"
            initialSort={{ id: 'name', dir: 'asc' }}
            empty={
              <EmptyState title={`${name} has no consumers.`}>
                Consumers appear here once an application (or natscli) creates one.
              </EmptyState>
            }
          />
        </>
      )}
    </>
  );
}

export function StreamDetail({
  name,
  tab,
  seq,
  subject
}: {
  name: string;
  tab: string;
  seq?: number | undefined;
  subject?: string | undefined;
}) {
  const current = TABS.find((t) => t.id === tab)?.id ?? 'overview';
  return (
    <section>
      <ViewHeader title="Streams">
        <a href={hrefOf('streams')}>All streams</a>
      </ViewHeader>
      <h2 className="mono" data-testid="stream-title">
        {name}
      </h2>
      <div className="tabs" role="tablist" aria-label={`Stream ${name}`}>
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            aria-selected={current === t.id}
            onClick={() => {
              window.location.hash = hrefOf('streams', name, t.id);
            }}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-label={TABS.find((t) => t.id === current)?.label}>
        {current === 'overview' && <OverviewTab name={name} />}
        {current === 'consumers' && <ConsumersTab name={name} />}
        {current === 'messages' && (
          <MessagesBrowser key={`${seq ?? 'last'}:${subject ?? ''}`} name={name} seq={seq} subject={subject} />
        )}
      </div>
    </section>
  );
}
