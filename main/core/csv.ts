/**
 * The one CSV writer every export uses (recordings, bench runs), on csv-stringify.
 *
 * Spreadsheets run a cell as a formula when it starts with `=`, `+`, `-`, `@`, a TAB or a CR, and
 * some (Apple Numbers, LibreOffice with normalisation) also with the full-width forms ＝ ＋ － ＠:
 * `=cmd|' /C calc'!A0` or `=HYPERLINK(…)` in a recorded payload would run on the reader's machine.
 * Such a text cell is written with a leading apostrophe (csv-stringify's `escape_formulas`), which
 * spreadsheets show as text. So that the guard stays reversible (an import gets back exactly what was
 * recorded), a text cell that itself starts with an apostrophe gets one more: reading strips one
 * apostrophe when the next character is one of the guarded ones or another apostrophe.
 *
 * A cell is quoted when it holds the delimiter, a quote, CR or LF (RFC 4180), and also when it holds
 * a `;` (the delimiter of spreadsheets in many locales) or starts or ends with white space (which
 * some readers trim).
 */
import { stringify } from 'csv-stringify/sync';

export type CsvCell = string | number | null | undefined;

/** First characters a spreadsheet may evaluate. */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/** Cells csv-stringify does not quote by itself but that we want quoted. */
const QUOTE_ALSO = [/;/, /^\s/, /\s$/];

/** The text of a cell as it is written, guard included (before RFC 4180 quoting). */
export function guardCsvText(text: string): string {
  if (text.startsWith("'")) return `'${text}`;
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** Reverses {@link guardCsvText} on a cell read back from a file this writer made. */
export function unguardCsvText(text: string): string {
  if (text.length >= 2 && text[0] === "'" && (text[1] === "'" || FORMULA_START.test(text.slice(1)))) {
    return text.slice(1);
  }
  return text;
}

/**
 * CSV lines for these rows (a header row is just the first row). Numbers are written as numbers
 * (a negative number is not guarded, it is not a formula); a non-finite number, null and undefined
 * are empty cells.
 */
export function toCsv(rows: readonly (readonly CsvCell[])[], options: { eol?: '\n' | '\r\n' } = {}): string {
  if (rows.length === 0) return '';
  return stringify(
    rows.map((row) =>
      row.map((cell) => {
        if (cell === null || cell === undefined) return null;
        if (typeof cell === 'number') return Number.isFinite(cell) ? cell : null;
        // Apostrophe-first text gets its second apostrophe here; escape_formulas adds the guard.
        return cell.startsWith("'") ? `'${cell}` : cell;
      })
    ),
    {
      escape_formulas: true,
      quoted_match: QUOTE_ALSO,
      record_delimiter: options.eol === '\r\n' ? 'windows' : 'unix',
      quote_record_delimiter: true
    }
  );
}

/** One CSV line without its line end. */
export function toCsvLine(row: readonly CsvCell[]): string {
  return toCsv([row]).replace(/\n$/, '');
}
