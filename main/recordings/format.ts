/**
 * The file formats of recordings: NDJSON (one message a line, lossless, importable) and CSV (for
 * spreadsheets). A line is `{ subject, headers, payload, encoding, time, seq }`: the payload as
 * UTF-8 text when it is readable text, else base64 with `encoding: "base64"`; `time` ISO-8601;
 * `seq` the stream sequence or null for a live capture. Import checks every line and reports
 * each bad one by line number before anything is sent.
 */
import { z } from 'zod';
import { toCsv, toCsvLine, unguardCsvText, type CsvCell } from '../core/csv';

/** One captured message. */
export interface RecordedMessage {
  subject: string;
  /** Every value per header name, or null. */
  headers: Record<string, string[]> | null;
  payload: Uint8Array;
  /** Epoch milliseconds. */
  time: number;
  /** Stream sequence, null for a live (core NATS) capture. */
  seq: number | null;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Readable text: valid UTF-8 without control characters other than tab, CR and LF. */
export function payloadAsText(payload: Uint8Array): string | null {
  for (const byte of payload) {
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return null;
    if (byte === 0x7f) return null;
  }
  try {
    return strictUtf8.decode(payload);
  } catch {
    return null;
  }
}

export interface NdjsonLine {
  subject: string;
  headers: Record<string, string[]> | null;
  payload: string;
  encoding: 'utf8' | 'base64';
  time: string;
  seq: number | null;
}

export function toNdjsonLine(m: RecordedMessage): string {
  const text = payloadAsText(m.payload);
  const line: NdjsonLine = {
    subject: m.subject,
    headers: m.headers,
    payload: text ?? Buffer.from(m.payload).toString('base64'),
    encoding: text === null ? 'base64' : 'utf8',
    time: new Date(m.time).toISOString(),
    seq: m.seq
  };
  return JSON.stringify(line);
}

export const CSV_COLUMNS = ['seq', 'time', 'subject', 'encoding', 'payload', 'headers'] as const;
export const CSV_HEADER = CSV_COLUMNS.join(',');

/**
 * One CSV row through the shared writer (formula guard, RFC 4180 quoting); headers as a JSON object
 * in the last column.
 */
export function toCsvRow(m: RecordedMessage): string {
  return toCsvLine(csvCells(m));
}

/** Several rows at once, each ended by a line feed (faster than one call per row on exports). */
export function toCsvRows(messages: readonly RecordedMessage[]): string {
  return toCsv(messages.map(csvCells));
}

function csvCells(m: RecordedMessage): CsvCell[] {
  const text = payloadAsText(m.payload);
  return [
    m.seq,
    new Date(m.time).toISOString(),
    m.subject,
    text === null ? 'base64' : 'utf8',
    text ?? Buffer.from(m.payload).toString('base64'),
    m.headers ? JSON.stringify(m.headers) : null
  ];
}

const SubjectToken = /^[^\s.*>]+$/;
const LineSchema = z
  .object({
    subject: z
      .string()
      .min(1)
      .refine(
        (s) => s.split('.').every((t) => SubjectToken.test(t)),
        'must be a subject to publish on (no wildcards, no spaces)'
      ),
    headers: z
      .record(z.string().min(1), z.union([z.string(), z.array(z.string())]))
      .nullable()
      .optional(),
    payload: z.string(),
    encoding: z.enum(['utf8', 'base64']).default('utf8'),
    time: z.iso.datetime({ offset: true }),
    seq: z.number().int().min(0).nullable().optional()
  })
  .strict();

export interface LineError {
  line: number;
  message: string;
}

export interface ParsedNdjson {
  messages: RecordedMessage[];
  errors: LineError[];
  /** Lines read, blank ones included. */
  lines: number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const KNOWN_FIELDS = new Set<string>(CSV_COLUMNS);

/**
 * Why JSON.parse refused a line, without the line: V8's message quotes the text it choked on, and
 * a file that is not a recording (a password file imported by mistake) must not be echoed back.
 */
function jsonProblem(error: unknown): string {
  const message = (error as Error).message;
  if (/end of JSON input|Unterminated/i.test(message)) return 'not JSON (it ends in the middle of a value)';
  const at = /position (\d+)/.exec(message);
  return at ? `not JSON (unexpected character at column ${Number(at[1]) + 1})` : 'not JSON';
}

/** The schema's complaints, naming only the fields a recording has (never a value from the file). */
function schemaProblems(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const field = issue.path.length > 0 && KNOWN_FIELDS.has(String(issue.path[0])) ? String(issue.path[0]) : null;
      if (issue.code === 'unrecognized_keys')
        return `unknown field${issue.keys.length === 1 ? '' : 's'} (a line has only ${CSV_COLUMNS.join(', ')})`;
      if (issue.code === 'invalid_type' && issue.path.length === 0) return 'a line must be a JSON object';
      if (issue.code === 'invalid_format' && field === 'time')
        return 'time: must be an ISO-8601 time with its offset, e.g. 2026-01-31T12:00:00Z';
      return `${field ?? '(line)'}: ${issue.message}`;
    })
    .join('; ');
}

/** A parsed line value (from JSON or from CSV cells) as a message, or what is wrong with it. */
export function messageFromValue(value: unknown): RecordedMessage | string {
  const parsed = LineSchema.safeParse(value);
  if (!parsed.success) return schemaProblems(parsed.error.issues);
  const l = parsed.data;
  if (l.encoding === 'base64' && !BASE64.test(l.payload))
    return 'payload: encoding is base64 but the payload is not valid base64';
  let headers: Record<string, string[]> | null = null;
  if (l.headers) {
    headers = {};
    for (const [k, v] of Object.entries(l.headers)) headers[k] = Array.isArray(v) ? v : [v];
  }
  return {
    subject: l.subject,
    headers,
    payload:
      l.encoding === 'base64' ? new Uint8Array(Buffer.from(l.payload, 'base64')) : new TextEncoder().encode(l.payload),
    time: Date.parse(l.time),
    seq: l.seq ?? null
  };
}

/** One NDJSON line as a message, or what is wrong with it (never quoting the line). */
export function messageFromNdjsonLine(raw: string): RecordedMessage | string {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    return jsonProblem(error);
  }
  return messageFromValue(value);
}

/** Six CSV cells (as {@link toCsvRows} writes them) as a message, or what is wrong with them. */
export function messageFromCsvCells(cells: readonly string[]): RecordedMessage | string {
  if (cells.length !== CSV_COLUMNS.length)
    return `a row has ${CSV_COLUMNS.length} cells (${CSV_COLUMNS.join(',')}), this one has ${cells.length}`;
  const [seq, time, subject, encoding, payload, headers] = cells.map(unguardCsvText) as [
    string,
    string,
    string,
    string,
    string,
    string
  ];
  let headerValue: unknown = null;
  if (headers !== '') {
    try {
      headerValue = JSON.parse(headers);
    } catch (error) {
      return `headers: ${jsonProblem(error)}`;
    }
  }
  if (seq !== '' && !/^\d+$/.test(seq)) return 'seq: must be a whole number or empty';
  return messageFromValue({
    seq: seq === '' ? null : Number(seq),
    time,
    subject,
    encoding,
    payload,
    headers: headerValue
  });
}

/**
 * Reassembles CSV records from lines: a quoted cell may hold line ends, so a record can span lines.
 * `push` returns the finished record's cells and first line number, or null while a quote is open.
 */
export class CsvRecordReader {
  private pending = '';
  private startLine = 0;
  private open = false;

  push(line: number, text: string, eol: string): { line: number; cells: string[] } | null {
    if (!this.open) {
      this.pending = text;
      this.startLine = line;
    } else {
      this.pending += text;
    }
    // Only the new text is scanned: the record's quote parity so far is `open`.
    if (oddQuotes(text)) this.open = !this.open;
    if (this.open) {
      this.pending += eol;
      return null;
    }
    const cells = splitCsvRecord(this.pending);
    this.pending = '';
    return { line: this.startLine, cells };
  }

  /** The line where a record still open at the end of the file began, or null. */
  unterminated(): number | null {
    return this.open ? this.startLine : null;
  }

  /** Characters held for an open record (to refuse a runaway quote before it eats memory). */
  get heldLength(): number {
    return this.open ? this.pending.length : 0;
  }
}

function oddQuotes(text: string): boolean {
  let odd = false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 34) odd = !odd;
  return odd;
}

/** RFC 4180 cells of one complete record (quotes balanced). */
function splitCsvRecord(text: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

/**
 * Parses and checks NDJSON text. Every bad line is reported (up to `maxErrors`), with its line
 * number and what is wrong; blank lines are skipped.
 */
export function parseNdjson(text: string, maxErrors = 100): ParsedNdjson {
  const messages: RecordedMessage[] = [];
  const errors: LineError[] = [];
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, index) => {
    if (raw.trim() === '') return;
    const result = messageFromNdjsonLine(raw);
    if (typeof result === 'string') {
      if (errors.length < maxErrors) errors.push({ line: index + 1, message: result });
    } else messages.push(result);
  });
  return { messages, errors, lines: lines.length };
}

/** A rule `FROM=TO` rewriting subjects; FROM may use `*` and `>`, TO reuses them in order. */
export interface SubjectRule {
  from: string;
  to: string;
}

/** Parses `FROM=TO`; throws with a message an operator can act on. */
export function parseSubjectRule(text: string): SubjectRule {
  const at = text.indexOf('=');
  const from = at > 0 ? text.slice(0, at).trim() : '';
  const to = at > 0 ? text.slice(at + 1).trim() : '';
  if (!from || !to)
    throw new Error(`subject map "${text}" must look like FROM=TO, e.g. orchestrator.>=replay.orchestrator.>`);
  const fromTokens = from.split('.');
  const toTokens = to.split('.');
  if (fromTokens.some((t, i) => t === '' || (t === '>' && i !== fromTokens.length - 1))) {
    throw new Error(`subject map "${text}": FROM is not a valid subject filter ('>' only at the end)`);
  }
  const stars = fromTokens.filter((t) => t === '*').length;
  if (toTokens.filter((t) => t === '*').length > stars)
    throw new Error(`subject map "${text}": TO uses more '*' than FROM has`);
  if (toTokens.includes('>') && fromTokens[fromTokens.length - 1] !== '>') {
    throw new Error(`subject map "${text}": TO uses '>' but FROM does not end with '>'`);
  }
  if (toTokens.some((t, i) => t === '' || (t === '>' && i !== toTokens.length - 1))) {
    throw new Error(`subject map "${text}": TO is not a valid subject ('>' only at the end)`);
  }
  return { from, to };
}

/** The subject after the first matching rule, or the subject unchanged. */
export function mapSubject(subject: string, rules: readonly SubjectRule[]): string {
  const tokens = subject.split('.');
  for (const rule of rules) {
    const pattern = rule.from.split('.');
    const stars: string[] = [];
    let tail: string[] | null = null;
    let ok = true;
    for (let i = 0; i < pattern.length; i++) {
      const p = pattern[i];
      if (p === '>') {
        if (i >= tokens.length) ok = false;
        else tail = tokens.slice(i);
        break;
      }
      const t = tokens[i];
      if (t === undefined) {
        ok = false;
        break;
      }
      if (p === '*') stars.push(t);
      else if (p !== t) {
        ok = false;
        break;
      }
    }
    if (ok && tail === null && tokens.length !== pattern.length) ok = false;
    if (!ok) continue;
    let star = 0;
    const out: string[] = [];
    for (const t of rule.to.split('.')) {
      if (t === '*') out.push(stars[star++] ?? '*');
      else if (t === '>') out.push(...(tail ?? []));
      else out.push(t);
    }
    return out.join('.');
  }
  return subject;
}
