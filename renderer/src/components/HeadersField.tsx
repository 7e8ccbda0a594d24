import { useId } from 'react';
import type { HeaderParse } from '../../../main/contract/header-lines';

/**
 * The headers editor of the publish and request forms: one `Name: value` a line, a repeated name
 * for several values. The parse result comes from the form (it also decides whether to send), so
 * the inline error names the same line the send button is blocked on.
 */
export function HeadersField({
  value,
  onChange,
  parsed,
  rows = 2
}: {
  value: string;
  onChange: (text: string) => void;
  parsed: HeaderParse;
  rows?: number;
}) {
  const errorId = useId();
  return (
    <>
      <label className="field">
        Headers (one “Name: value” a line; repeat a name for several values)
        <textarea
          rows={rows}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          spellCheck={false}
          className="mono"
          placeholder="X-Trace-Id: abc123"
          aria-invalid={!parsed.ok}
          aria-describedby={parsed.ok ? undefined : errorId}
        />
      </label>
      {!parsed.ok && (
        <div className="error-note" role="alert" id={errorId} data-testid="headers-error">
          {parsed.message}
        </div>
      )}
    </>
  );
}
