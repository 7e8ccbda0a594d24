import { useCallback, useEffect, useRef, useState, type DragEvent } from 'react';
import type { ErrorShape, ImportProgressPayload } from '../../../../main/contract';
import { ErrorNote } from '../../components/ErrorNote';
import { useAction, useClient, useConnection, useQuery } from '../../client/context';
import { formatBytes } from '../../lib/format';
import { ImportStatus, type ImportState, type LineProblem } from './import-status';

/**
 * Opens a recording file: in the browser an upload (streamed, size-limited) or a drop, on the desktop
 * a native dialog or a file the OS opened with the app. Every line is checked before anything is
 * stored; a bad file shows its bad lines by number and nothing is sent. A good one can be replayed.
 */
export function ImportPanel({ onImported }: { onImported: () => void }) {
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
      <ImportStatus state={state} checked={checked} />
    </section>
  );
}
