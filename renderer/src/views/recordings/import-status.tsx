import type { ErrorShape, ImportProgressPayload, RecordingPayload } from '../../../../main/contract';
import { ErrorNote } from '../../components/ErrorNote';
import { formatBytes, formatNumber, formatPercent } from '../../lib/format';
import { ReplayForm } from './replay';

export interface LineProblem {
  line: number;
  message: string;
}

export type ImportState =
  | { phase: 'idle' }
  | { phase: 'uploading'; name: string; fraction: number }
  | { phase: 'checking'; name: string }
  | { phase: 'invalid'; name: string; error: ErrorShape; lines: LineProblem[]; errorCount: number; total: number }
  | { phase: 'failed'; name: string; error: ErrorShape }
  | { phase: 'ready'; recording: RecordingPayload };

/**
 * Where an import stands: the upload, the core checking and storing the file (with its progress),
 * the bad lines by number, another failure, or the stored recording with its replay form.
 */
export function ImportStatus({ state, checked }: { state: ImportState; checked: ImportProgressPayload | null }) {
  return (
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
  );
}
