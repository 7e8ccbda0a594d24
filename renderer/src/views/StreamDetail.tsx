import { useMemo, useState, type FormEvent } from 'react';
import type { BrowsedMessage, ConsumerSummary } from '../../../main/contract';
import { CachedMark } from '../components/CachedMark';
import { LineChart } from '../components/Chart';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { DataTable, type Column } from '../components/DataTable';
import { EmptyState } from '../components/EmptyState';
import { ErrorNote } from '../components/ErrorNote';
import { PayloadBox, PayloadViewSelect } from '../components/PayloadBox';
import { Sparkline, trendOf } from '../components/Sparkline';
import { ViewHeader } from '../components/ViewHeader';
import { useAction, useQuery } from '../client/context';
import { useSeriesByKey, valuesOf } from '../hooks/useSeries';
import { formatAgo, formatBytes, formatCount, formatDuration, formatNumber, formatTime } from '../lib/format';
import { useNotify } from '../lib/notify';
import { base64ToBytes, bytesToText, type PayloadView } from '../lib/payload';
import { hrefOf } from '../lib/route';
import { DriftCard, Usage } from './stream-parts';

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

/** The first characters of a text payload, for the collapsed line. */
function previewOf(m: BrowsedMessage): string {
  if (m.format === 'empty') return '(empty)';
  if (m.format === 'binary') return '(binary)';
  const text = bytesToText(base64ToBytes(m.payloadBase64));
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

type FromMode = 'first' | 'seq' | 'time' | 'last';

/** `subject`: a filter to start with (a link such as the Overview picture's `#/streams/S/messages/SUBJECT`). */
function MessagesTab({ name, subject: initialSubject }: { name: string; subject?: string | undefined }) {
  const [mode, setMode] = useState<FromMode>('last');
  const [fromValue, setFromValue] = useState('50');
  const [subject, setSubject] = useState(initialSubject ?? '');
  const [view, setView] = useState<PayloadView>('json');
  const [input, setInput] = useState<{
    from?: { seq: number } | { time: string } | { last: number };
    subject?: string;
  }>({ from: { last: 50 }, subject: initialSubject || undefined });
  const [formError, setFormError] = useState<string | null>(null);
  const page = useQuery('streams.browse', { stream: name, ...input, limit: 100 });
  const [deleting, setDeleting] = useState<BrowsedMessage | null>(null);
  const del = useAction('streams.deleteMessage');
  const notify = useNotify();

  const onSubmit = (e: FormEvent): void => {
    e.preventDefault();
    setFormError(null);
    let from: typeof input.from;
    if (mode === 'seq' || mode === 'last') {
      const n = Number(fromValue);
      if (!Number.isInteger(n) || n < 1)
        return setFormError(`${mode === 'seq' ? 'Start sequence' : 'Last N'} must be a whole number of at least 1.`);
      from = mode === 'seq' ? { seq: n } : { last: n };
    } else if (mode === 'time') {
      const t = new Date(fromValue);
      if (Number.isNaN(t.getTime())) return setFormError('Start time must be a date and time, e.g. 2026-01-31 14:00.');
      from = { time: t.toISOString() };
    }
    setInput({ from, subject: subject.trim() || undefined });
  };

  return (
    <>
      <form className="form-row card" onSubmit={onSubmit} aria-label="Browse messages">
        <label>
          From{' '}
          <select value={mode} onChange={(e) => setMode(e.target.value as FromMode)}>
            <option value="first">the first message</option>
            <option value="seq">sequence</option>
            <option value="time">time</option>
            <option value="last">the last N</option>
          </select>
        </label>
        {mode !== 'first' && (
          <label>
            {mode === 'seq' ? 'Start sequence' : mode === 'time' ? 'Start time' : 'Last N'}{' '}
            <input
              className="short"
              style={{ width: mode === 'time' ? 200 : 100 }}
              type={mode === 'time' ? 'datetime-local' : 'number'}
              value={fromValue}
              onChange={(e) => setFromValue(e.target.value)}
            />
          </label>
        )}
        <label>
          Subject filter{' '}
          <input
            className="short"
            style={{ width: 200 }}
            value={subject}
            onChange={(e) => setSubject(e.target.value)}
            placeholder="all subjects"
          />
        </label>
        <button type="submit">Load</button>
        <PayloadViewSelect value={view} onChange={setView} />
      </form>
      {formError && (
        <div className="error-note" role="alert">
          {formError}
        </div>
      )}
      <ErrorNote error={page.error} />
      {page.data &&
        (page.data.messages.length === 0 ? (
          <EmptyState title="No messages here.">
            The stream holds sequences {page.data.firstSeq} … {page.data.lastSeq}. Change the start or the subject
            filter, or publish under Messages.
          </EmptyState>
        ) : (
          <div className="stack" data-testid="browsed-messages">
            <p className="hint">
              {page.data.messages.length} messages (stream holds {page.data.firstSeq} … {page.data.lastSeq}, read via{' '}
              {page.data.method})
              {page.data.nextSeq !== null && (
                <>
                  {' '}
                  <button type="button" onClick={() => setInput({ ...input, from: { seq: page.data!.nextSeq! } })}>
                    Next page
                  </button>
                </>
              )}
            </p>
            {page.data.messages.map((m) => (
              <details key={m.seq} className="msg" data-testid="browsed-message">
                <summary>
                  <strong className="mono">#{m.seq}</strong> <span className="mono">{m.subject}</span>{' '}
                  <span className="hint">
                    {formatTime(m.time)} · {formatBytes(m.size)} · {m.format}
                  </span>{' '}
                  <span className="mono preview">{previewOf(m)}</span>
                  {m.notes?.map((note) => (
                    <span key={note} className="hint" data-testid="message-note">
                      {' '}
                      · {note}
                    </span>
                  ))}
                </summary>
                <div className="msg-body">
                  <PayloadBox
                    bytes={base64ToBytes(m.payloadBase64)}
                    view={view}
                    headers={m.headers}
                    truncated={m.truncated}
                    label={`message ${m.seq}`}
                  />
                  <button type="button" onClick={() => setDeleting(m)} aria-label={`Delete message ${m.seq}`}>
                    Delete…
                  </button>
                </div>
              </details>
            ))}
          </div>
        ))}
      <ErrorNote error={del.error} />
      {deleting && (
        <ConfirmDialog
          title={`Delete message ${deleting.seq}?`}
          confirmLabel="Delete"
          busy={del.pending}
          onCancel={() => setDeleting(null)}
          onConfirm={() =>
            void del.run({ stream: name, seq: deleting.seq, confirm: true }).then((r) => {
              setDeleting(null);
              if (r) {
                notify(`Deleted message ${r.seq} from ${name}`);
                page.reload();
              }
            })
          }
        >
          Message <span className="mono">#{deleting.seq}</span> on <span className="mono">{deleting.subject}</span> is
          removed from <span className="mono">{name}</span> for good.
        </ConfirmDialog>
      )}
    </>
  );
}

export function StreamDetail({ name, tab, subject }: { name: string; tab: string; subject?: string | undefined }) {
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
        {current === 'messages' && <MessagesTab key={subject ?? ''} name={name} subject={subject} />}
      </div>
    </section>
  );
}
