import { useState } from 'react';
import type { RecordingPayload } from '../../../../main/contract';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { DataTable, type Column } from '../../components/DataTable';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNote } from '../../components/ErrorNote';
import { useAction } from '../../client/context';
import { formatBytes, formatNumber, formatTime } from '../../lib/format';
import { ExportForm } from './export-form';
import { ReplayForm } from './replay';

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
  return (
    <div className="card">
      {kind === 'export' ? <ExportForm rec={rec} /> : <ReplayForm rec={rec} label={`Replay ${rec.name}`} />}
      <button type="button" onClick={onClose}>
        Close
      </button>
    </div>
  );
}

/**
 * The recordings table (newest first) with each row's actions, and the export or replay form of the
 * row whose panel is open.
 */
export function RecordingTable({ recordings, onChange }: { recordings: RecordingPayload[]; onChange: () => void }) {
  const [panel, setPanel] = useState<{ id: number; kind: PanelKind } | null>(null);
  const panelRec = panel ? recordings.find((r) => r.id === panel.id) : undefined;
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
          onChange={onChange}
        />
      )
    }
  ];
  return (
    <>
      <DataTable
        label="Recordings"
        rows={recordings}
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
      {panel && panelRec && (
        <RecordingPanel
          key={`${panel.id}-${panel.kind}`}
          rec={panelRec}
          kind={panel.kind}
          onClose={() => setPanel(null)}
        />
      )}
    </>
  );
}
