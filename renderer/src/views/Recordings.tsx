import { useCallback, useEffect, useRef, useState, type DragEvent, type FormEvent } from 'react';
import type {
  ErrorShape,
  ImportProgressPayload,
  RecordingPayload,
  ReplayProgressPayload
} from '../../../main/contract';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { DataTable, type Column } from '../components/DataTable';
import { EmptyState } from '../components/EmptyState';
import { ErrorNote } from '../components/ErrorNote';
import { useAction, useClient, useConnection, useQuery } from '../client/context';
import { formatBytes, formatNumber, formatPercent, formatTime } from '../lib/format';
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

/**
 * Replays one recording: subjects rewritten, at the recorded pace × speed or as fast as possible,
 * into the core's connection, a saved profile or other servers.
 */
export function ReplayForm({
  rec,
  label,
  onStarted
}: {
  rec: RecordingPayload;
  label: string;
  onStarted?: () => void;
}) {
  const replay = useAction('recordings.replay');
  const profiles = useQuery('profiles.list', {});
  const notify = useNotify();
  const [pace, setPace] = useState<'max' | 'recorded'>('max');
  const [speed, setSpeed] = useState('1');
  const [map, setMap] = useState('');
  const [target, setTarget] = useState('core');
  const [servers, setServers] = useState('');
  const onSubmit = (e: FormEvent): void => {
    e.preventDefault();
    const into =
      target === 'servers'
        ? {
            servers: servers
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          }
        : target === 'core'
          ? {}
          : { profileId: target };
    void replay
      .run({
        id: rec.id,
        speed: pace === 'max' ? null : Number(speed),
        subjectMap: map.split(/[\s,]+/).filter(Boolean),
        ...into
      })
      .then((r) => {
        if (!r) return;
        notify(`Replaying ${formatNumber(r.total)} messages`);
        onStarted?.();
      });
  };
  return (
    <form className="form-row" aria-label={label} onSubmit={onSubmit}>
      <strong>{label}</strong>
      <label>
        Subject map{' '}
        <input
          className="short"
          style={{ width: 240 }}
          value={map}
          placeholder="orchestrator.>=replay.>"
          onChange={(e) => setMap(e.target.value)}
          spellCheck={false}
        />
      </label>
      <label>
        Pace{' '}
        <select value={pace} onChange={(e) => setPace(e.target.value as 'max' | 'recorded')}>
          <option value="max">as fast as possible</option>
          <option value="recorded">recorded pace × speed</option>
        </select>
      </label>
      {pace === 'recorded' && (
        <label>
          Speed ×{' '}
          <input
            className="short"
            type="number"
            step="any"
            min={0.001}
            max={10000}
            value={speed}
            onChange={(e) => setSpeed(e.target.value)}
            required
          />
        </label>
      )}
      <label>
        Into{' '}
        <select value={target} onChange={(e) => setTarget(e.target.value)}>
          <option value="core">this connection</option>
          {(profiles.data?.profiles ?? []).map((p) => (
            <option key={p.id} value={p.id}>
              profile {p.name}
            </option>
          ))}
          <option value="servers">other servers…</option>
        </select>
      </label>
      {target === 'servers' && (
        <label>
          Servers{' '}
          <input
            className="short"
            style={{ width: 200 }}
            value={servers}
            placeholder="nats://host:4222"
            onChange={(e) => setServers(e.target.value)}
            required
          />
        </label>
      )}
      <button type="submit" disabled={replay.pending}>
        Replay
      </button>
      <ErrorNote error={replay.error} />
    </form>
  );
}

/** Exports one recording: a new file in exports/ (web mode downloads it), or a file chosen in a dialog (desktop). */
function ExportForm({ rec }: { rec: RecordingPayload }) {
  const connection = useConnection();
  const exp = useAction('recordings.export');
  const choose = useAction('recordings.chooseFile');
  const notify = useNotify();
  const [file, setFile] = useState('');
  const [format, setFormat] = useState<'ndjson' | 'csv'>('ndjson');
  const [done, setDone] = useState<{ file: string | null; count: number } | null>(null);
  const finish = (r: { file: string | null; count: number; path: string } | undefined): void => {
    if (!r) return;
    setDone(r);
    notify(`Exported ${formatNumber(r.count)} messages to ${r.file ? `exports/${r.file}` : r.path}`);
  };
  return (
    <form
      className="form-row"
      aria-label={`Export ${rec.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        setDone(null);
        void exp.run({ recordingId: rec.id, format, file: file.trim() || undefined }).then(finish);
      }}
    >
      <strong>Export {rec.name}</strong>
      <label>
        File name in exports/{' '}
        <input
          className="short"
          style={{ width: 240 }}
          value={file}
          placeholder="made from the recording's name"
          onChange={(e) => setFile(e.target.value)}
        />
      </label>
      <select aria-label="Export format" value={format} onChange={(e) => setFormat(e.target.value as 'ndjson' | 'csv')}>
        <option value="ndjson">NDJSON</option>
        <option value="csv">CSV</option>
      </select>
      <button type="submit" disabled={exp.pending}>
        Export
      </button>
      {connection.transport === 'ipc' && (
        <button
          type="button"
          disabled={exp.pending || choose.pending}
          onClick={() => {
            setDone(null);
            void choose
              .run({ purpose: 'export', format, suggestedName: `${rec.name.replace(/[^\w.-]+/g, '_')}.${format}` })
              .then((chosen) =>
                chosen?.grant ? exp.run({ recordingId: rec.id, format, grant: chosen.grant }).then(finish) : undefined
              );
          }}
        >
          Export to a file…
        </button>
      )}
      {done?.file && connection.files && (
        <a href={connection.files.downloadUrl(done.file)} download={done.file} data-testid="export-download">
          Download {done.file}
        </a>
      )}
      <ErrorNote error={exp.error ?? choose.error} />
    </form>
  );
}

/** The export or replay form of one recording, under the table. */
function RecordingPanel({ rec, kind, onClose }: { rec: RecordingPayload; kind: PanelKind; onClose: () => void }) {
  return (
    <div className="card">
      {kind === 'export' ? <ExportForm rec={rec} /> : <ReplayForm rec={rec} label={`Replay ${rec.name}`} />}
      <button type="button" onClick={onClose}>
        Close
      </button>
    </div>
  );
}

interface LineProblem {
  line: number;
  message: string;
}

type ImportState =
  | { phase: 'idle' }
  | { phase: 'uploading'; name: string; fraction: number }
  | { phase: 'checking'; name: string }
  | { phase: 'invalid'; name: string; error: ErrorShape; lines: LineProblem[]; errorCount: number; total: number }
  | { phase: 'failed'; name: string; error: ErrorShape }
  | { phase: 'ready'; recording: RecordingPayload };

/**
 * Opens a recording file: in the browser an upload (streamed, size-limited) or a drop, on the desktop
 * a native dialog or a file the OS opened with the app. Every line is checked before anything is
 * stored; a bad file shows its bad lines by number and nothing is sent. A good one can be replayed.
 */
function ImportPanel({ onImported }: { onImported: () => void }) {
  const connection = useConnection();
  const client = useClient();
  const limits = useQuery('recordings.files', {});
  const choose = useAction('recordings.chooseFile');
  const [state, setState] = useState<ImportState>({ phase: 'idle' });
  const [dragging, setDragging] = useState(false);
  const [checked, setChecked] = useState<ImportProgressPayload | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const maxBytes = limits.data?.maxImportBytes;

  const importFrom = useCallback(
    async (source: { file: string } | { grant: string }, name: string): Promise<void> => {
      setState({ phase: 'checking', name });
      try {
        const recording = await client.call('recordings.import', { ...source, name });
        setState({ phase: 'ready', recording });
        onImported();
      } catch (e) {
        const error = e as ErrorShape;
        const details = error.details as { errors?: LineProblem[]; errorCount?: number; lines?: number } | undefined;
        if (error.code === 'INVALID_INPUT' && Array.isArray(details?.errors)) {
          setState({
            phase: 'invalid',
            name,
            error,
            lines: details.errors,
            errorCount: details.errorCount ?? details.errors.length,
            total: details.lines ?? 0
          });
        } else setState({ phase: 'failed', name, error });
      }
    },
    [client, onImported]
  );

  const upload = (file: File): void => {
    const files = connection.files;
    if (!files) return;
    if (maxBytes !== undefined && file.size > maxBytes) {
      setState({
        phase: 'failed',
        name: file.name,
        error: {
          code: 'FILE_TOO_LARGE',
          message: `${file.name} (${formatBytes(file.size)}) is larger than the import limit of ${formatBytes(maxBytes)}`,
          details: {
            hint: 'Split the file at line ends and import the parts, or raise recordings.maxImportBytes in config.json.'
          }
        }
      });
      return;
    }
    setState({ phase: 'uploading', name: file.name, fraction: 0 });
    files
      .upload(file, file.name, (fraction) => setState({ phase: 'uploading', name: file.name, fraction }))
      .then((stored) => importFrom({ file: stored.file }, file.name))
      .catch((error: ErrorShape) => setState({ phase: 'failed', name: file.name, error }));
  };

  // Files the OS opened with the desktop app (double-click, "Open with"), offered as grants. They
  // are taken from the core (once, whoever asks first), on arrival and when the card mounts, so a
  // file opened while another view was shown is not lost and none is imported twice.
  useEffect(() => {
    let live = true;
    const take = (): void => {
      void client
        .call('system.takeOpenedFiles', {})
        .then((opened) => {
          const last = opened[opened.length - 1];
          if (live && last) void importFrom({ grant: last.grant }, last.name);
        })
        .catch(() => undefined);
    };
    take();
    const off = client.subscribe('system.fileOpened', take);
    return () => {
      live = false;
      off();
    };
  }, [client, importFrom]);

  // How far the core is through the file (large files take a while: checked, then stored).
  useEffect(
    () =>
      client.subscribe('recordings.importProgress', (payloads) => {
        const last = payloads[payloads.length - 1];
        if (last) setChecked(last);
      }),
    [client]
  );

  const onDrop = (e: DragEvent): void => {
    e.preventDefault();
    setDragging(false);
    const file = e.dataTransfer.files[0];
    if (file) upload(file);
  };

  return (
    <section
      className={`card drop-zone${dragging ? ' dragging' : ''}`}
      aria-label="Import a recording"
      onDragOver={(e) => {
        if (!connection.files) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={connection.files ? onDrop : undefined}
    >
      <div className="form-row">
        <strong>Import a recording</strong>
        {connection.files ? (
          <>
            <label>
              Open an .ndjson or .csv export{' '}
              <input
                ref={fileInput}
                type="file"
                accept=".ndjson,.jsonl,.json,.csv"
                aria-label="Recording file"
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  if (file) upload(file);
                  e.target.value = '';
                }}
              />
            </label>
            <span className="hint">
              or drop it here{maxBytes !== undefined ? ` (up to ${formatBytes(maxBytes)})` : ''}
            </span>
          </>
        ) : (
          <button
            type="button"
            disabled={choose.pending || state.phase === 'checking'}
            onClick={() =>
              void choose.run({ purpose: 'import' }).then((chosen) => {
                if (chosen?.grant) void importFrom({ grant: chosen.grant }, chosen.name ?? 'recording');
              })
            }
          >
            Open a recording…
          </button>
        )}
      </div>
      <ErrorNote error={choose.error} />
      <div data-testid="import-state" aria-live="polite">
        {state.phase === 'uploading' && (
          <div className="form-row">
            <progress max={1} value={state.fraction} aria-label={`Uploading ${state.name}`} />
            <span>
              Uploading {state.name}: {formatPercent(state.fraction)}
            </span>
          </div>
        )}
        {state.phase === 'checking' && (
          <div className="form-row">
            {checked?.name === state.name && checked.totalBytes > 0 ? (
              <>
                <progress
                  max={checked.totalBytes}
                  value={checked.bytes}
                  aria-label={`${checked.phase === 'checking' ? 'Checking' : 'Storing'} ${state.name}`}
                />
                <span>
                  {checked.phase === 'checking' ? 'Checking every line of' : 'Storing'} {state.name}:{' '}
                  {formatPercent(checked.bytes / checked.totalBytes)} of {formatBytes(checked.totalBytes)}
                </span>
              </>
            ) : (
              <span>Checking every line of {state.name}…</span>
            )}
          </div>
        )}
        {state.phase === 'invalid' && (
          <div role="alert" data-testid="import-errors">
            <p>
              <strong>{state.name} is not a valid recording</strong>: {formatNumber(state.errorCount)} bad line
              {state.errorCount === 1 ? '' : 's'}
              {state.total > 0 ? ` of ${formatNumber(state.total)}` : ''}. Nothing was stored or sent; fix the lines and
              open the file again.
            </p>
            <ul className="plain mono">
              {state.lines.slice(0, 50).map((l) => (
                <li key={l.line}>
                  line {l.line}: {l.message}
                </li>
              ))}
            </ul>
            {state.lines.length > 50 && <p>… and {formatNumber(state.errorCount - 50)} more.</p>}
          </div>
        )}
        {state.phase === 'failed' && <ErrorNote error={state.error} />}
        {state.phase === 'ready' && (
          <div data-testid="import-ready">
            <p>
              <strong>{state.recording.name}</strong>: {formatNumber(state.recording.messageCount)} messages checked and
              stored as recording {state.recording.id}; nothing sent yet.
            </p>
            <ReplayForm rec={state.recording} label="Replay the import" />
          </div>
        )}
      </div>
    </section>
  );
}

/** Recordings: record, export, import, replay with progress. */
export function Recordings() {
  const list = useQuery('recordings.list', {}, { refreshMs: 10_000 });
  const progress = useReplayProgress();
  const cancel = useAction('recordings.cancelReplay');
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
      <ImportPanel onImported={list.reload} />
      {running.length > 0 && (
        <div className="stack" data-testid="replay-progress">
          {running.map((p) => (
            <div key={p.replayId} className="form-row">
              <progress max={p.total || 1} value={p.sent} aria-label={`Replay ${p.replayId}`} />
              <span>
                {p.done ? (p.error ? `failed: ${p.error}` : 'done') : 'replaying'}: {formatNumber(p.sent)} /{' '}
                {formatNumber(p.total)} ({formatPercent(p.total > 0 ? p.sent / p.total : p.done ? 1 : 0)},{' '}
                {formatNumber(p.rate)} msgs/s)
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
              Record live traffic or a stream range above, or import an NDJSON or CSV export.
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
