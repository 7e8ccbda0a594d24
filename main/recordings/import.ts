/**
 * Streamed import of a recording file (NDJSON, or CSV as the export writes it), in two passes over
 * the open file: the first checks every line and reports each bad one by number before anything is
 * stored or sent; the second reads the messages again, batch by batch. Memory holds one batch, never
 * the file; the event loop gets control back between chunks.
 */
import { ContractError } from '../contract';
import { plural } from '../contract/text';
import { formatSize, MAX_LINE_BYTES, type ImportFile } from './files';
import {
  CSV_HEADER,
  CsvRecordReader,
  messageFromCsvCells,
  messageFromNdjsonLine,
  type LineError,
  type RecordedMessage
} from './format';

export type RecordingFileFormat = 'ndjson' | 'csv';

/** Errors kept for the report (the count goes on). */
export const MAX_REPORTED_ERRORS = 100;

export interface CheckedFile {
  format: RecordingFileFormat;
  /** Messages in the file. */
  messages: number;
  /** Lines read, blank ones included. */
  lines: number;
}

interface Item {
  line: number;
  result: RecordedMessage | string;
}

/** Every record of the file with its (first) line number: a message, or what is wrong with it. */
async function* records(file: ImportFile): AsyncGenerator<Item | { format: RecordingFileFormat; lines: number }> {
  let format: RecordingFileFormat | null = null;
  const csv = new CsvRecordReader();
  let lines = 0;
  for await (const line of file.lines()) {
    const { number, eol } = line;
    let { text } = line;
    lines = number;
    if (format === null) {
      if (text.trim() === '') continue;
      // A byte-order mark some editors add is not part of the first line.
      text = text.replace(/^\uFEFF/, '');
      format = text === CSV_HEADER ? 'csv' : 'ndjson';
      yield { format, lines: 0 };
      if (format === 'csv') continue;
    }
    if (format === 'ndjson') {
      if (text.trim() === '') continue;
      yield { line: number, result: messageFromNdjsonLine(text) };
      continue;
    }
    if (csv.heldLength === 0 && text === '') continue;
    const record = csv.push(number, text, eol);
    if (record) yield { line: record.line, result: messageFromCsvCells(record.cells) };
    else if (csv.heldLength > MAX_LINE_BYTES) {
      throw new ContractError(
        'INVALID_INPUT',
        `${file.name}: the quoted cell opened on line ${number} runs past ${formatSize(MAX_LINE_BYTES)}; a quote is missing`,
        { errors: [{ line: number, message: 'quoted cell never closed' }] }
      );
    }
  }
  const open = csv.unterminated();
  if (open !== null) yield { line: open, result: 'a quoted cell opened here is never closed' };
  yield { format: format ?? 'ndjson', lines };
}

/** A malformed import: INVALID_INPUT listing the bad lines by number (never their content). */
export function malformedFileError(
  file: string,
  errors: LineError[],
  errorCount: number,
  lines: number
): ContractError {
  const shown = errors
    .slice(0, 10)
    .map((e) => `line ${e.line}: ${e.message}`)
    .join('\n  ');
  return new ContractError(
    'INVALID_INPUT',
    `${file} is not a valid recording: ${plural(errorCount, 'bad line')} of ${lines}; nothing was sent or stored.\n  ${shown}`,
    {
      errors,
      errorCount,
      lines,
      hint: 'Each line must be a JSON object {subject, headers, payload, encoding, time, seq} (or a CSV row under the header seq,time,subject,encoding,payload,headers), as "synos-cc export" writes.'
    }
  );
}

/** First pass: checks every line; throws INVALID_INPUT with line numbers when any is bad. */
export async function checkRecordingFile(file: ImportFile): Promise<CheckedFile> {
  const errors: LineError[] = [];
  let errorCount = 0;
  let messages = 0;
  let format: RecordingFileFormat = 'ndjson';
  let lines = 0;
  for await (const item of records(file)) {
    if ('format' in item) {
      format = item.format;
      lines = item.lines;
    } else if (typeof item.result === 'string') {
      errorCount++;
      if (errors.length < MAX_REPORTED_ERRORS) errors.push({ line: item.line, message: item.result });
    } else messages++;
  }
  if (errorCount > 0) throw malformedFileError(file.name, errors, errorCount, lines);
  return { format, messages, lines };
}

/**
 * Second pass: the messages in batches of `batchSize`. A bad line now means the file changed since
 * the check: CONFLICT, so the caller drops what it stored.
 */
export async function* readRecordingBatches(file: ImportFile, batchSize = 1000): AsyncGenerator<RecordedMessage[]> {
  let batch: RecordedMessage[] = [];
  for await (const item of records(file)) {
    if ('format' in item) continue;
    if (typeof item.result === 'string') {
      throw new ContractError(
        'CONFLICT',
        `${file.name} changed while it was imported (line ${item.line} is no longer valid); nothing was kept`
      );
    }
    batch.push(item.result);
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** The messages one by one (for a replay straight from a file). */
export async function* readRecordingMessages(file: ImportFile): AsyncGenerator<RecordedMessage> {
  for await (const batch of readRecordingBatches(file)) yield* batch;
}
