/** Turning message bytes into what the operator reads: JSON, text or a hex dump. */

export type PayloadView = 'json' | 'text' | 'hex';

export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

export function bytesToText(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/** Pretty JSON when the text parses, else null. */
export function prettyJson(text: string): string | null {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return null;
  }
}

/** A classic 16-bytes-a-line dump: offset, hex, printable ASCII. */
export function hexDump(bytes: Uint8Array, maxBytes = 4096): string {
  const lines: string[] = [];
  const n = Math.min(bytes.length, maxBytes);
  for (let off = 0; off < n; off += 16) {
    const row = bytes.subarray(off, Math.min(off + 16, n));
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (bytes.length > n) lines.push(`… ${bytes.length - n} more bytes`);
  return lines.join('\n');
}

/** Renders bytes in the chosen view; JSON falls back to text when the payload is not JSON. */
export function renderPayload(bytes: Uint8Array, view: PayloadView): string {
  if (bytes.length === 0) return '(empty payload)';
  if (view === 'hex') return hexDump(bytes);
  const text = bytesToText(bytes);
  if (view === 'json') return prettyJson(text) ?? text;
  return text;
}
