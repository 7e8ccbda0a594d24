import type { ErrorShape } from '../../../main/contract';

/** A typed error as the operator sees it: the code, the message, and the next step when there is one. */
export function ErrorNote({ error }: { error: ErrorShape | null | undefined }) {
  if (!error) return null;
  const hint = (error.details as { hint?: unknown } | undefined)?.hint;
  return (
    <div className="error-note" role="alert">
      <strong>{error.code}</strong> {error.message}
      {typeof hint === 'string' && hint.length > 0 && <div className="hint">{hint}</div>}
    </div>
  );
}
