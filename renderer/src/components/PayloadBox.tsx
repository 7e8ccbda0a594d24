import { useMemo } from 'react';
import { renderPayload, type PayloadView } from '../lib/payload';

/** A payload rendered as JSON, text or hex, with its headers. */
export function PayloadBox({
  bytes,
  view,
  headers,
  truncated,
  label
}: {
  bytes: Uint8Array;
  view: PayloadView;
  headers?: Record<string, string[]> | null;
  truncated?: boolean;
  label: string;
}) {
  const text = useMemo(() => renderPayload(bytes, view), [bytes, view]);
  return (
    <div>
      {headers && Object.keys(headers).length > 0 && (
        <dl className="facts headers" aria-label={`Headers of ${label}`}>
          {/* One line per value, the name repeated as on the wire: joined with ", " a value that
              itself holds a comma could not be told from two values. */}
          {Object.entries(headers).flatMap(([k, vs]) =>
            vs.map((v, i) => (
              <div key={`${k}\u0000${i}`} style={{ display: 'contents' }}>
                <dt className="mono">{k}</dt>
                <dd className="mono">{v}</dd>
              </div>
            ))
          )}
        </dl>
      )}
      <pre className="payload" aria-label={`Payload of ${label}`}>
        {text}
      </pre>
      {truncated && <p className="hint">Only the first {bytes.length} bytes are shown.</p>}
    </div>
  );
}

/** The "Show as JSON / text / hex" choice shared by every payload view. */
export function PayloadViewSelect({ value, onChange }: { value: PayloadView; onChange: (view: PayloadView) => void }) {
  return (
    <label>
      Show as{' '}
      <select value={value} onChange={(e) => onChange(e.target.value as PayloadView)}>
        <option value="json">JSON</option>
        <option value="text">Text</option>
        <option value="hex">Hex</option>
      </select>
    </label>
  );
}
