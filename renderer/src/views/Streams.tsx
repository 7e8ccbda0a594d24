import type { StreamSummary } from '../../../main/contract';
import { CachedMark } from '../components/CachedMark';
import { DataTable, type Column } from '../components/DataTable';
import { EmptyState } from '../components/EmptyState';
import { ErrorNote } from '../components/ErrorNote';
import { Sparkline } from '../components/Sparkline';
import { ViewHeader } from '../components/ViewHeader';
import { useSeriesByKey, valuesOf } from '../hooks/useSeries';
import { formatAgo, formatBytes, formatNumber, formatTime } from '../lib/format';
import { hrefOf } from '../lib/route';
import { StreamDetail } from './StreamDetail';
import { DriftCard, Usage, useStreamList } from './stream-parts';

export { DriftCard, Usage, useStreamList } from './stream-parts';

function StreamTable() {
  const list = useStreamList();
  const series = useSeriesByKey({}, 15_000);
  const columns: Column<StreamSummary>[] = [
    {
      id: 'name',
      label: 'Name',
      sortValue: (s) => s.name,
      render: (s) => (
        <a href={hrefOf('streams', s.name)} className="mono">
          {s.name}
        </a>
      )
    },
    {
      id: 'subjects',
      label: 'Subjects',
      filterText: (s) => s.subjects.join(' '),
      render: (s) => <span className="mono">{s.subjects.join(', ')}</span>
    },
    {
      id: 'messages',
      label: 'Messages',
      numeric: true,
      sortValue: (s) => s.messages,
      render: (s) => formatNumber(s.messages)
    },
    { id: 'bytes', label: 'Bytes', numeric: true, sortValue: (s) => s.bytes, render: (s) => formatBytes(s.bytes) },
    {
      id: 'usage',
      label: 'Usage of limits',
      sortValue: (s) => Math.max(s.usageMsgs ?? 0, s.usageBytes ?? 0),
      render: (s) => (
        <Usage
          ratio={s.usageMsgs === null && s.usageBytes === null ? null : Math.max(s.usageMsgs ?? 0, s.usageBytes ?? 0)}
        />
      )
    },
    {
      id: 'consumers',
      label: 'Consumers',
      numeric: true,
      sortValue: (s) => s.consumerCount,
      render: (s) => s.consumerCount
    },
    {
      id: 'last',
      label: 'Last message',
      sortValue: (s) => s.lastTime,
      render: (s) => <span title={formatTime(s.lastTime)}>{s.messages ? formatAgo(s.lastTime) : '—'}</span>
    },
    {
      id: 'trend',
      label: 'Size (1 h)',
      render: (s) => <Sparkline values={valuesOf(series.grouped.get(s.name), 'bytes')} label={`${s.name} size`} />
    }
  ];
  return (
    <article className="card">
      <div className="view-header">
        <h2>Streams</h2>
        {list.data && <CachedMark cached={list.data.cached} snapshotTime={list.data.snapshotTime} />}
      </div>
      <ErrorNote error={list.error && !list.data ? list.error : null} />
      {list.data && (
        <DataTable
          label="Streams"
          rows={list.data.streams}
          columns={columns}
          rowKey={(s) => s.name}
          rowTestId="stream-row"
          initialSort={{ id: 'name', dir: 'asc' }}
          empty={
            <EmptyState title="This server has no streams.">
              Use “Apply desired configuration” above to create the Syn_OS streams, or create your own with natscli.
            </EmptyState>
          }
        />
      )}
    </article>
  );
}

export function StreamsView({ rest }: { rest: string[] }) {
  const [name, tab, third] = rest;
  // #/streams/S/messages/SEQ opens the browser at a message (the why panel's links);
  // #/streams/S/messages/SUBJECT starts it with a subject filter (the Overview picture's links).
  const seq = third !== undefined && /^[1-9]\d*$/.test(third) ? Number(third) : undefined;
  const subject = third !== undefined && seq === undefined ? third : undefined;
  if (name) return <StreamDetail name={name} tab={tab ?? 'overview'} seq={seq} subject={subject} />;
  return (
    <section>
      <ViewHeader title="Streams" />
      <StreamTable />
      <DriftCard />
    </section>
  );
}
