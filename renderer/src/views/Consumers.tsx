import { Fragment, useEffect, useMemo, useState } from 'react';
import type { ConsumerList, ConsumerSummary } from '../../../main/contract';
import { CachedMark } from '../components/CachedMark';
import { DataTable } from '../components/DataTable';
import { EmptyState } from '../components/EmptyState';
import { ErrorNote } from '../components/ErrorNote';
import { Sparkline } from '../components/Sparkline';
import { ViewHeader } from '../components/ViewHeader';
import { useAction, useQuery, useQueryList } from '../client/context';
import { useSeriesByKey, valuesOf } from '../hooks/useSeries';
import { formatDuration, formatNumber, formatTime } from '../lib/format';
import { hrefOf } from '../lib/route';
import { consumerColumns } from './StreamDetail';
import { useStreamList } from './stream-parts';

/** Every consumer of every stream, re-read after each stream snapshot (live or cached). */
function useAllConsumers() {
  const streams = useStreamList();
  const inputs = useMemo(() => (streams.data?.streams ?? []).map((s) => ({ stream: s.name })), [streams.data]);
  const queries = useQueryList('consumers.list', inputs, { refreshMs: 15_000 });
  // First shown once every stream answered (or failed), so the table does not grow row by row; after
  // that a new stream's consumers join the table when they arrive.
  const settled = queries.every((q) => q.data !== undefined || q.error !== null);
  const lists: ConsumerList[] | null =
    streams.data && (settled || queries.some((q) => q.data)) ? queries.flatMap((q) => (q.data ? [q.data] : [])) : null;
  const failed = queries.find((q) => q.error !== null)?.error ?? null;
  return { lists, error: failed ?? (streams.data ? null : streams.error), streams };
}

const PAUSE_CHOICES: Array<[string, number]> = [
  ['15 minutes', 15 * 60_000],
  ['1 hour', 3_600_000],
  ['8 hours', 8 * 3_600_000],
  ['1 day', 86_400_000]
];

/**
 * Pause/resume (nats-server ≥ 2.11). On older servers it says which server is needed and which one
 * is connected, from the server's own feature table, instead of offering a button that would fail.
 */
function PauseControl({ consumer, onChanged }: { consumer: ConsumerSummary; onChanged: (c: ConsumerSummary) => void }) {
  const features = useQuery('streams.features', {});
  const pause = useAction('consumers.pause');
  const resume = useAction('consumers.resume');
  const [forMs, setForMs] = useState(3_600_000);
  const feature = features.data?.features.find((f) => f.id === 'consumerPause');
  if (features.error) return <ErrorNote error={features.error} />;
  if (!features.data || !feature) return <p className="hint">Reading what the server offers…</p>;
  if (!feature.available) {
    return (
      <p className="hint" data-testid="pause-unavailable">
        Pausing a consumer needs nats-server ≥ {feature.since.replace(/\.0$/, '')}; connected to{' '}
        {features.data.version ?? 'an unknown version'}.
      </p>
    );
  }
  const ref = { stream: consumer.stream, consumer: consumer.name };
  return (
    <div className="pause-control">
      <p data-testid="pause-state">
        {consumer.paused
          ? `Paused until ${formatTime(consumer.pauseUntil ?? null)}: delivers nothing until then.`
          : 'Running.'}
      </p>
      {consumer.paused ? (
        <button
          type="button"
          disabled={resume.pending}
          onClick={() => void resume.run(ref).then((c) => c && onChanged(c))}
        >
          Resume now
        </button>
      ) : (
        <>
          <label>
            Pause for{' '}
            <select value={forMs} onChange={(e) => setForMs(Number(e.target.value))}>
              {PAUSE_CHOICES.map(([label, ms]) => (
                <option key={ms} value={ms}>
                  {label}
                </option>
              ))}
            </select>
          </label>{' '}
          <button
            type="button"
            disabled={pause.pending}
            onClick={() =>
              void pause
                .run({ ...ref, until: new Date(Date.now() + forMs).toISOString() })
                .then((c) => c && onChanged(c))
            }
          >
            Pause
          </button>
        </>
      )}
      <ErrorNote error={pause.error ?? resume.error} />
    </div>
  );
}

function ConsumerDetail({
  stream,
  name,
  consumer
}: {
  stream: string;
  name: string;
  consumer: ConsumerSummary | undefined;
}) {
  const series = useSeriesByKey({ stream, consumer: name });
  const points = series.grouped.get(`${stream}/${name}`);
  // The answer of a pause/resume, shown until the next listing of this consumer arrives.
  const [changed, setChanged] = useState<ConsumerSummary | null>(null);
  useEffect(() => setChanged(null), [consumer]);
  const shown = consumer && changed ? { ...consumer, ...pick(changed) } : consumer;
  return (
    <article className="card" aria-label={`Consumer ${stream}/${name}`}>
      <h2 className="mono">
        {stream}/{name}
      </h2>
      {!consumer ? (
        <EmptyState title={`No consumer ${name} on ${stream}.`}>
          It may have been deleted; pick one from the list.
        </EmptyState>
      ) : (
        <div className="cards">
          <dl className="facts">
            <dt>Description</dt>
            <dd>{consumer.description ?? '—'}</dd>
            <dt>Kind</dt>
            <dd>
              {consumer.pull ? 'pull' : 'push'}
              {consumer.durable ? ', durable' : ', ephemeral'}
            </dd>
            <dt>Filter</dt>
            <dd className="mono">{consumer.filter ?? 'whole stream'}</dd>
            <dt>Ack policy</dt>
            <dd>{consumer.ackPolicy}</dd>
            <dt>Deliver policy</dt>
            <dd>{consumer.deliverPolicy}</dd>
            <dt>Max deliver</dt>
            <dd>{consumer.maxDeliver < 0 ? 'unlimited' : consumer.maxDeliver}</dd>
            <dt>Ack wait</dt>
            <dd>{formatDuration(consumer.ackWaitMs)}</dd>
            <dt>Delivered</dt>
            <dd>
              consumer seq {consumer.delivered.consumerSeq}, stream seq {consumer.delivered.streamSeq}
            </dd>
            <dt>Ack floor</dt>
            <dd>
              consumer seq {consumer.ackFloor.consumerSeq}, stream seq {consumer.ackFloor.streamSeq}
            </dd>
            <dt>Waiting pulls</dt>
            <dd>{consumer.numWaiting}</dd>
            <dt>Created</dt>
            <dd>{formatTime(consumer.created)}</dd>
            {consumer.leader && (
              <>
                <dt>Leader</dt>
                <dd>{consumer.leader}</dd>
              </>
            )}
            {consumer.priorityGroups && (
              <>
                <dt>Priority groups</dt>
                <dd className="mono">
                  {consumer.priorityGroups.join(', ')} ({consumer.priorityPolicy ?? 'none'})
                </dd>
              </>
            )}
            {consumer.metadata &&
              Object.entries(consumer.metadata).map(([k, v]) => (
                <Fragment key={k}>
                  <dt className="mono">{k}</dt>
                  <dd className="mono">{v}</dd>
                </Fragment>
              ))}
          </dl>
          <div>
            {shown && consumer.durable && <PauseControl consumer={shown} onChanged={setChanged} />}
            <p>
              Pending {formatNumber(consumer.numPending)}{' '}
              <Sparkline values={valuesOf(points, 'pending')} label={`${name} pending`} width={200} height={32} />
            </p>
            <p>
              Ack pending {formatNumber(consumer.numAckPending)}{' '}
              <Sparkline
                values={valuesOf(points, 'ackPending')}
                label={`${name} ack pending`}
                width={200}
                height={32}
              />
            </p>
          </div>
        </div>
      )}
    </article>
  );
}

export function ConsumersView({ rest }: { rest: string[] }) {
  const { lists, error, streams } = useAllConsumers();
  const series = useSeriesByKey({}, 15_000);
  const rows = lists?.flatMap((l) => l.consumers) ?? [];
  const cached = lists?.some((l) => l.cached) ?? false;
  const oldest = lists?.map((l) => l.snapshotTime).sort()[0];
  const [stream, name] = rest;
  return (
    <section>
      <ViewHeader title="Consumers">{stream && <a href={hrefOf('consumers')}>All consumers</a>}</ViewHeader>
      {stream && name && (
        <ConsumerDetail
          stream={stream}
          name={name}
          consumer={rows.find((c) => c.stream === stream && c.name === name)}
        />
      )}
      <article className="card">
        {lists && <CachedMark cached={cached} snapshotTime={oldest} />}
        <ErrorNote error={error} />
        {lists && streams.data && (
          <DataTable
            label="Consumers"
            rows={rows}
            columns={consumerColumns(series.grouped, true)}
            rowKey={(c) => `${c.stream}/${c.name}`}
            rowTestId="consumer-row"
            initialSort={{ id: 'pending', dir: 'desc' }}
            empty={
              <EmptyState
                title={
                  streams.data.streams.length === 0
                    ? 'There are no streams, so no consumers.'
                    : 'No stream has a consumer.'
                }
              >
                Provision the Syn_OS topology under Streams to create its durable consumers.
              </EmptyState>
            }
          />
        )}
      </article>
    </section>
  );
}

/** The fields a pause/resume answer changes. */
function pick(c: ConsumerSummary): Partial<ConsumerSummary> {
  return { paused: c.paused, pauseUntil: c.pauseUntil };
}
