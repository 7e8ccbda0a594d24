/**
 * The CloudEvents envelope of a stored message, for the header row of the message browser: read
 * from a structured-mode JSON body (`specversion`, `id`, `source`, `type`, …) or from binary-mode
 * `ce-*` headers (the NATS protocol binding). The Syn_OS epoch (the lease term an engine output was
 * made under) is the `synosepoch` extension, or the `Synos-Epoch` header.
 */

export interface CloudEventHeader {
  specversion: string;
  type: string;
  source: string;
  id: string;
  time: string | null;
  epoch: number | null;
  /** 'structured': the envelope is the JSON body; 'binary': it is in ce-* headers. */
  mode: 'structured' | 'binary';
}

type Headers = Record<string, string[]> | null | undefined;

function header(headers: Headers, name: string): string | null {
  if (!headers) return null;
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === want) return v[0] ?? null;
  return null;
}

function epochOf(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** The envelope, or null when the message is not a CloudEvent (or its body was cut short). */
export function cloudEventOf(text: string | null, headers: Headers): CloudEventHeader | null {
  const headerEpoch = epochOf(header(headers, 'Synos-Epoch'));
  const ceType = header(headers, 'ce-type');
  if (ceType !== null) {
    const source = header(headers, 'ce-source');
    const id = header(headers, 'ce-id');
    if (source === null || id === null) return null;
    return {
      specversion: header(headers, 'ce-specversion') ?? '1.0',
      type: ceType,
      source,
      id,
      time: header(headers, 'ce-time'),
      epoch: epochOf(header(headers, 'ce-synosepoch')) ?? headerEpoch,
      mode: 'binary'
    };
  }
  if (text === null || !text.trimStart().startsWith('{')) return null;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const b = body as Record<string, unknown>;
  if (typeof b.specversion !== 'string' || typeof b.type !== 'string') return null;
  if (typeof b.source !== 'string' || typeof b.id !== 'string') return null;
  return {
    specversion: b.specversion,
    type: b.type,
    source: b.source,
    id: b.id,
    time: typeof b.time === 'string' ? b.time : null,
    epoch: epochOf(b.synosepoch) ?? headerEpoch,
    mode: 'structured'
  };
}
