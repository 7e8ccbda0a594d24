/**
 * How message bytes and headers are shown to the operator: UTF-8 text when the bytes are text,
 * base64 otherwise, cut at a byte limit on a character boundary.
 */
import type { MsgHdrs } from '@nats-io/transport-node';
import type { PayloadPreview } from '../../contract';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Control bytes other than tab, LF and CR mark binary data even when they are valid UTF-8. */
function looksBinary(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) return true;
  }
  return false;
}

/** Backs a cut off to the start of a UTF-8 sequence, so a character is never split. */
function utf8Boundary(bytes: Uint8Array, cut: number): number {
  let end = cut;
  for (let back = 0; back < 3 && end > 0 && ((bytes[end] as number) & 0xc0) === 0x80; back++) end--;
  return end;
}

/** The preview of a payload, at most maxBytes of it. */
export function previewPayload(data: Uint8Array, maxBytes: number): PayloadPreview {
  const truncated = data.length > maxBytes;
  let slice = data;
  if (truncated) slice = data.subarray(0, utf8Boundary(data, maxBytes));
  if (!looksBinary(slice)) {
    try {
      return { size: data.length, payload: strictUtf8.decode(slice), encoding: 'utf8', truncated };
    } catch {
      // not UTF-8: shown as base64 below
    }
  }
  const raw = truncated ? data.subarray(0, maxBytes) : data;
  return { size: data.length, payload: Buffer.from(raw).toString('base64'), encoding: 'base64', truncated };
}

/** Headers as a plain record of every value per name; null when the message has none. */
export function headersOf(headers: MsgHdrs | undefined): Record<string, string[]> | null {
  if (!headers) return null;
  const out: Record<string, string[]> = {};
  let any = false;
  for (const [name, values] of headers) {
    out[name] = [...values];
    any = true;
  }
  return any ? out : null;
}
