/**
 * How the message browser shows a stored message: its format (JSON, text, binary, empty), its
 * headers without the ones a direct get adds, and the server-meaning headers (TTL, counters,
 * schedules, markers) in words.
 */
import type { MsgHdrs } from '@nats-io/transport-node';
import type { BrowsedMessage } from '../../contract';
import type { ReadMessage } from './direct-reader';

/** Above this size a payload's format is guessed from its start instead of parsed whole. */
const FULL_DETECT_BYTES = 256 * 1024;
/** Headers direct get adds to each answer; they describe the read, not the message. */
const DIRECT_HEADERS = new Set([
  'nats-stream',
  'nats-sequence',
  'nats-time-stamp',
  'nats-subject',
  'nats-last-sequence',
  'nats-num-pending'
]);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Control characters other than tab, newline and carriage return mean the payload is not text. */
function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return true;
  }
  return false;
}

/** Detects how a payload is best shown: JSON, text, binary (hex) or empty. */
export function detectFormat(data: Uint8Array): BrowsedMessage['format'] {
  if (data.length === 0) return 'empty';
  let text: string;
  try {
    text = utf8.decode(data.length > FULL_DETECT_BYTES ? data.subarray(0, FULL_DETECT_BYTES) : data);
  } catch {
    // A multi-byte character cut at the detection limit is not binary; anything else is.
    if (data.length <= FULL_DETECT_BYTES) return 'binary';
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(0, FULL_DETECT_BYTES - 4));
    } catch {
      return 'binary';
    }
  }
  if (hasControlCharacters(text)) return 'binary';
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') {
    if (data.length > FULL_DETECT_BYTES) return 'json';
    try {
      JSON.parse(text);
      return 'json';
    } catch {
      return 'text';
    }
  }
  return 'text';
}

function headersOf(header: MsgHdrs | undefined): Record<string, string[]> | null {
  if (!header) return null;
  const out: Record<string, string[]> = {};
  for (const key of header.keys()) {
    if (DIRECT_HEADERS.has(key.toLowerCase())) continue;
    out[key] = header.values(key);
  }
  return Object.keys(out).length > 0 ? out : null;
}

/** A stored message in the contract's shape, its payload cut to maxPayloadBytes. */
export function toBrowsedMessage(msg: ReadMessage, maxPayloadBytes: number): BrowsedMessage {
  const data = msg.data;
  const truncated = data.length > maxPayloadBytes;
  const shown = truncated ? data.subarray(0, maxPayloadBytes) : data;
  const headers = headersOf(msg.header);
  const notes = serverHeaderNotes(headers, msg.time, data);
  return {
    seq: msg.seq,
    subject: msg.subject,
    time: msg.time,
    headers,
    size: data.length,
    format: detectFormat(data),
    payloadBase64: Buffer.from(shown.buffer, shown.byteOffset, shown.byteLength).toString('base64'),
    truncated,
    ...(notes.length > 0 ? { notes } : {})
  };
}

/** Go-style durations as nats-server accepts them in Nats-TTL ("30s", "1h30m", "500ms") or bare seconds. */
export function parseServerDuration(value: string): number | null {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = v;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!m) return null;
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return v.length > 0 ? total : null;
}

/**
 * The headers nats-server ≥ 2.11/2.12 gives a meaning to, in words, so the browser does not show a
 * counter's or a schedule's message as an ordinary one: Nats-TTL (per-message TTL; "never" keeps it
 * past max_age), Nats-Incr with the {"val": total} body of a counter stream (2.12), Nats-Schedule
 * with its target (2.12), and Nats-Marker-Reason on a marker the server wrote itself (2.12).
 */
export function serverHeaderNotes(headers: Record<string, string[]> | null, time: string, data: Uint8Array): string[] {
  if (!headers) return [];
  const one = (name: string): string | undefined => {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
    return key ? headers[key]?.[0] : undefined;
  };
  const notes: string[] = [];
  const ttl = one('Nats-TTL');
  if (ttl !== undefined) {
    const ms = parseServerDuration(ttl);
    if (ttl.trim().toLowerCase() === 'never') notes.push('TTL never: kept past the stream max age');
    else if (ms === null) notes.push(`TTL ${ttl} (not a duration the server accepts)`);
    else notes.push(`TTL ${ttl}: expires ${new Date(Date.parse(time) + ms).toISOString()}`);
  }
  const incr = one('Nats-Incr');
  if (incr !== undefined) {
    let total: string | null = null;
    try {
      const body = JSON.parse(new TextDecoder().decode(data)) as { val?: unknown };
      total = typeof body.val === 'string' || typeof body.val === 'number' ? String(body.val) : null;
    } catch {
      total = null;
    }
    notes.push(`counter: ${incr.startsWith('-') ? incr : `+${incr}`}, total ${total ?? '(unreadable)'}`);
  }
  const schedule = one('Nats-Schedule');
  if (schedule !== undefined) {
    const target = one('Nats-Schedule-Target');
    notes.push(`scheduled ${schedule}${target ? ` → ${target}` : ''}`);
  }
  const marker = one('Nats-Marker-Reason');
  if (marker !== undefined) notes.push(`marker written by the server: ${marker}`);
  return notes;
}
