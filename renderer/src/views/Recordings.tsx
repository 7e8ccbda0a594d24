import { useEffect, useState, type FormEvent } from 'react';
import type { RecordingPayload, ReplayProgressPayload } from '../../../main/contract';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { DataTable, type Column } from '../components/DataTable';
import { EmptyState } from '../components/EmptyState';
import { ErrorNote } from '../components/ErrorNote';
import { useAction, useClient, useQuery } from '../client/context';
import { formatBytes, formatNumber, formatTime } from '../lib/format';
import { useNotify } from '../lib/notify';

function RecordForm({ onDone }: { onDone: () => void }) {
  const start = useAction('recordings.start');
  const [source, setSource] = useState<'live' | 'stream'>('live');
  const [name, setName] = useState('');
  const [filter, setFilter] = useState('orchestrator.>');
  const [stream, setStream] = useState('');
  const [fromSeq, setFromSeq] = useState('');
  const [toSeq, setToSeq] = useState('');
  const onSubmit = (e: FormEvent): void => {
    e.preventDefault();
    const input =
      source === 'live'
        ? { name: name.trim() || undefined, filter: filter.trim() }
        : {
            name: name.trim() || undefined,
            range: {
              stream: stream.trim(),
              filter: filter.trim() || undefined,
              fromSeq: fromSeq ? Number(fromSeq) : undefined,
              toSeq: toSeq ? Number(toSeq) : undefined
            }
          };
    void start.run(input).then((r) => r && onDone());
  };
  return (
    <form className="form-row" onSubmit={onSubmit} aria-label="Record">
      <label>
        Record{' '}
        <select value={source} onChange={(e) => setSource(e.target.value as 'live' | 'stream')}>
          <option value="live">live traffic</option>
          <option value="stream">a stream range</option>
        </select>
      </label>
      <label>
        Name <input className="short" style={{ width: 140 }} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        Subject filter{' '}
        <input
          className="short"
          style={{ width: 160 }}
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          spellCheck={false}
        />
      </label>
      {source === 'stream' && (
        <>
          <label>
            Stream{' '}
            <input
              className="short"
              style={{ width: 160 }}
              value={stream}
              onChange={(e) => setStream(e.target.value)}
              required
            />
          </label>
          <label>
            From seq{' '}
            <input
              className="short"
              type="number"
              min={1}
              value={fromSeq}
              onChange={(e) => setFromSeq(e.target.value)}
            />
          </label>
          <label>
            To seq{' '}
            <input className="short" type="number" min={1} value={toSeq} onChange={(e) => setToSeq(e.target.value)} />
          </label>
        </>
      )}
      <button type="submit" disabled={start.pending}>
        {source === 'live' ? 'Start recording' : 'Record range'}
      </button>
      <ErrorNote error={start.error} />
    </form>
  );
}

function useReplayProgress() {
  const client = useClient();
  const [progress, setProgress] = useState<Record<string, ReplayProgressPayload>>({});
  useEffect(
    () =>
      client.subscribe('recordings.progress', (payloads) => {
        setProgress((p) => {
          const next = { ...p };
          for (const x of payloads) next[x.replayId] = x;
          return next;
        });
      }),
    [client]
  );
  return progress;
}

type PanelKind = 'export' | 'replay';

function RecordingActions({
  rec,
  open,
  onOpen,
  onChange
}: {
  rec: RecordingPayload;
  open: PanelKind | null;
  onOpen: (kind: PanelKind | null) => void;
  onChange: () => void;
}) {
  const stop = useAction('recordings.stop');
  const del = useAction('recordings.delete');
  const [confirmDelete, setConfirmDelete] = useState(false);
  return (
    <div className="form-row">
      {rec.status === 'recording' && (
        <button type="button" onClick={() => void stop.run({ id: rec.id }).then(onChange)}>
          Stop
        </button>
      )}
      <button
        type="button"
        onClick={() => onOpen(open === 'export' ? null : 'export')}
        aria-expanded={open === 'export'}
      >
        Export…
      </button>
      <button
        type="button"
        onClick={() => onOpen(open === 'replay' ? null : 'replay')}
        aria-expanded={open === 'replay'}
        disabled={rec.messageCount === 0}
      >
        Replay…
      </button>
      <button type="button" onClick={() => setConfirmDelete(true)} aria-label={`Delete recording ${rec.name}`}>
        Delete…
      </button>
      <ErrorNote error={stop.error ?? del.error} />
      {confirmDelete && (
        <ConfirmDialog
          title={`Delete recording ${rec.name}?`}
          confirmLabel="Delete"
          busy={del.pending}
          onCancel={() => setConfirmDelete(false)}
          onConfirm={() =>
            void del.run({ id: rec.id }).then(() => {
              setConfirmDelete(false);
              onChange();
            })
          }
        >
          Its {formatNumber(rec.messageCount)} messages are removed from this data directory.
        </ConfirmDialog>
      )}
    </div>
  );
}

/** The export or replay form of one recording, under the table. */
function RecordingPanel({ rec, kind, onClose }: { rec: RecordingPayload; kind: PanelKind; onClose: () => void }) {
  const exp = useAction('recordings.export');
  const replay = useAction('recordings.replay');
  const notify = useNotify();
  const [path, setPath] = useState(`/tmp/${rec.name.replace(/[^\w.-]+/g, '_')}.ndjson`);
  const [format, setFormat] = useState<'ndjson' | 'csv'>('ndjson');
  const [speed, setSpeed] = useState('');
  const [map, setMap] = useState('');
  const [servers, setServers] = useState('');
  return (
    <div className="card">
      {kind === 'export' ? (
        <form
          className="form-row"
          aria-label={`Export ${rec.name}`}
          onSubmit={(e) => {
            e.preventDefault();
            void exp
              .run({ recordingId: rec.id, format, path: path.trim() })
              .then((r) => r && notify(`Exported ${formatNumber(r.count)} messages to ${r.path}`));
          }}
        >
          <strong>Export {rec.name}</strong>
          <label>
            File on the server{' '}
            <input className="short" style={{ width: 300 }} value={path} onChange={(e) => setPath(e.target.value)} />
          </label>
          <select
            aria-label="Export format"
            value={format}
            onChange={(e) => setFormat(e.target.value as 'ndjson' | 'csv')}
          >
            <option value="ndjson">NDJSON</option>
            <option value="csv">CSV</option>
          </select>
          <button type="submit" disabled={exp.pending}>
            Export
          </button>
          <button type="button" onClick={onClose}>
            Close
          </button>
        </form>
      ) : (
        <form
          className="form-row"
          aria-label={`Replay ${rec.name}`}
          onSubmit={(e) => {
            e.preventDefault();
            void replay
              .run({
                id: rec.id,
                speed: speed.trim() ? Number(speed) : null,
                subjectMap: map.split(/[\s,]+/).filter(Boolean),
                servers: servers.trim()
                  ? servers
                      .split(',')
                      .map((s) => s.trim())
                      .filter(Boolean)
                  : undefined
              })
              .then((r) => r && notify(`Replaying ${formatNumber(r.total)} messages`));
          }}
        >
          <strong>Replay {rec.name}</strong>
          <label>
            Speed ×{' '}
            <input
              className="short"
              type="number"
              step="any"
              min={0}
              value={speed}
              placeholder="fastest"
              onChange={(e) => setSpeed(e.target.value)}
            />
          </label>
          <label>
            Subject map{' '}
            <input
              className="short"
              style={{ width: 240 }}
              value={map}
              placeholder="orchestrator.>=replay.>"
              onChange={(e) => setMap(e.target.value)}
            />
          </label>
          <label>
            Into servers{' '}
            <input
              className="short"
              style={{ width: 200 }}
              value={servers}
              placeholder="this connection"
              onChange={(e) => setServers(e.target.value)}
            />
          </label>
          <button type="submit" disabled={replay.pending}>
            Replay
          </button>
          <button type="button" onClick={onClose}>
            Close
          </button>
        </form>
      )}
      <ErrorNote error={exp.error ?? replay.error} />
    </div>
  );
}

/** Recordings: record, export, import, replay with progress. */
export function Recordings() {
  const list = useQuery('recordings.list', {}, { refreshMs: 10_000 });
  const progress = useReplayProgress();
  const importer = useAction('recordings.import');
  const cancel = useAction('recordings.cancelReplay');
  const notify = useNotify();
  const [importPath, setImportPath] = useState('');
  const [panel, setPanel] = useState<{ id: number; kind: PanelKind } | null>(null);
  const panelRec = panel ? list.data?.recordings.find((r) => r.id === panel.id) : undefined;
  const columns: Column<RecordingPayload>[] = [
    { id: 'name', label: 'Name', sortValue: (r) => r.name, render: (r) => <strong>{r.name}</strong> },
    {
      id: 'source',
      label: 'Source',
      sortValue: (r) => r.source,
      render: (r) => `${r.source}${r.stream ? ` ${r.stream}` : ''}`
    },
    {
      id: 'filter',
      label: 'Filter',
      sortValue: (r) => r.filter,
      render: (r) => <span className="mono">{r.filter}</span>
    },
    {
      id: 'status',
      label: 'Status',
      sortValue: (r) => r.status,
      render: (r) =>
        r.error ? (
          <span title={r.error}>
            {r.status}: {r.error}
          </span>
        ) : (
          r.status
        )
    },
    {
      id: 'count',
      label: 'Messages',
      numeric: true,
      sortValue: (r) => r.messageCount,
      render: (r) => formatNumber(r.messageCount)
    },
    { id: 'bytes', label: 'Size', numeric: true, sortValue: (r) => r.bytes, render: (r) => formatBytes(r.bytes) },
    { id: 'created', label: 'Created', sortValue: (r) => r.createdAt, render: (r) => formatTime(r.createdAt) },
    {
      id: 'actions',
      label: 'Actions',
      render: (r) => (
        <RecordingActions
          rec={r}
          open={panel?.id === r.id ? panel.kind : null}
          onOpen={(kind) => setPanel(kind ? { id: r.id, kind } : null)}
          onChange={list.reload}
        />
      )
    }
  ];
  // Finished replays stay listed with their outcome until the view is left.
  const running = Object.values(progress);
  return (
    <article className="card" aria-labelledby="recordings-title">
      <h2 id="recordings-title">Recordings</h2>
      <RecordForm onDone={list.reload} />
      <form
        className="form-row"
        style={{ marginTop: 8 }}
        aria-label="Import a recording"
        onSubmit={(e) => {
          e.preventDefault();
          void importer.run({ path: importPath.trim() }).then((r) => {
            if (!r) return;
            notify(`Imported ${formatNumber(r.messageCount)} messages as ${r.name}`);
            list.reload();
          });
        }}
      >
        <label>
          Import NDJSON file (path on the server){' '}
          <input
            className="short"
            style={{ width: 300 }}
            value={importPath}
            onChange={(e) => setImportPath(e.target.value)}
            required
          />
        </label>
        <button type="submit" disabled={importer.pending}>
          Import
        </button>
      </form>
      <ErrorNote error={importer.error} />
      {Array.isArray((importer.error?.details as { lines?: unknown } | undefined)?.lines) && (
        <ul className="plain mono">
          {(importer.error!.details as { lines: { line: number; message: string }[] }).lines.slice(0, 20).map((l) => (
            <li key={l.line}>
              line {l.line}: {l.message}
            </li>
          ))}
        </ul>
      )}
      {running.length > 0 && (
        <div className="stack" data-testid="replay-progress">
          {running.map((p) => (
            <div key={p.replayId} className="form-row">
              <progress max={p.total || 1} value={p.sent} aria-label={`Replay ${p.replayId}`} />
              <span>
                {p.done ? (p.error ? `failed: ${p.error}` : 'done') : 'replaying'}: {formatNumber(p.sent)} /{' '}
                {formatNumber(p.total)} ({formatNumber(p.rate)} msgs/s)
              </span>
              {!p.done && (
                <button type="button" onClick={() => void cancel.run({ replayId: p.replayId })}>
                  Cancel replay
                </button>
              )}
            </div>
          ))}
        </div>
      )}
      <ErrorNote error={list.error} />
      {list.data && (
        <DataTable
          label="Recordings"
          rows={list.data.recordings}
          columns={columns}
          rowKey={(r) => String(r.id)}
          rowTestId="recording-row"
          initialSort={{ id: 'created', dir: 'desc' }}
          empty={
            <EmptyState title="No recordings yet.">
              Record live traffic or a stream range above, or import an NDJSON file.
            </EmptyState>
          }
        />
      )}
      {panel && panelRec && (
        <RecordingPanel
          key={`${panel.id}-${panel.kind}`}
          rec={panelRec}
          kind={panel.kind}
          onClose={() => setPanel(null)}
        />
      )}
    </article>
  );
}
