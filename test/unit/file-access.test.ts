import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContractError } from '../../main/contract';
import { FileGrants } from '../../main/core/file-grants';
import { chooseRecordingFile, type DialogApi } from '../../main/desktop/file-dialog';
import { checkFileName, createExportFile, ImportFile } from '../../main/recordings/files';
import { checkRecordingFile, readRecordingBatches } from '../../main/recordings/import';
import { uploadName } from '../../main/recordings/web-routes';
import { tempDir } from '../harness/temp';

async function refusal(promise: Promise<unknown>): Promise<ContractError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e
  );
  expect(error).toBeInstanceOf(ContractError);
  return error as ContractError;
}

const line = (subject: string, payload: string): string =>
  JSON.stringify({ subject, payload, encoding: 'utf8', time: '2026-01-01T00:00:00Z', seq: null });

describe('opening a file to import', () => {
  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const dir = tempDir();
    const fifo = path.join(dir, 'pipe.ndjson');
    execFileSync('mkfifo', [fifo]);
    const error = await refusal(ImportFile.open(fifo, { maxBytes: 1024 }));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toMatch(/FIFO/);
  });

  it('refuses /dev/zero, also through a symlink, and a symlink leading out of its folder', async () => {
    const dir = tempDir();
    expect((await refusal(ImportFile.open('/dev/zero', { maxBytes: 1024 }))).message).toMatch(/character device/);
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.ndjson'));
    expect((await refusal(ImportFile.open(path.join(dir, 'zero.ndjson'), { maxBytes: 1024 }))).code).toBe('FORBIDDEN');
    const outside = path.join(tempDir(), 'secret.ndjson');
    fs.writeFileSync(outside, line('a.b', 'x') + '\n');
    fs.symlinkSync(outside, path.join(dir, 'link.ndjson'));
    const error = await refusal(ImportFile.open(path.join(dir, 'link.ndjson'), { maxBytes: 1024, folder: dir }));
    expect(error.message).toMatch(/leading out of its folder/);
    // A link that stays inside the folder is fine.
    fs.copyFileSync(outside, path.join(dir, 'real.ndjson'));
    fs.symlinkSync(path.join(dir, 'real.ndjson'), path.join(dir, 'inside.ndjson'));
    const ok = await ImportFile.open(path.join(dir, 'inside.ndjson'), { maxBytes: 1024, folder: dir });
    expect(ok.size).toBeGreaterThan(0);
    await ok.close();
  });

  it('refuses a file over the cap with FILE_TOO_LARGE and says how to proceed', async () => {
    const file = path.join(tempDir(), 'big.ndjson');
    fs.writeFileSync(file, (line('a.b', 'x'.repeat(100)) + '\n').repeat(100));
    const error = await refusal(ImportFile.open(file, { maxBytes: 4096 }));
    expect(error.code).toBe('FILE_TOO_LARGE');
    expect(error.message).toMatch(/larger than the import limit of 4\.0 KiB/);
    expect(error.details).toMatchObject({ maxBytes: 4096, hint: expect.stringMatching(/Split the file/) });
  });

  it('never quotes the content of a file that is not a recording (a shadow-like file)', async () => {
    const file = path.join(tempDir(), 'shadow');
    const secret = 'root:$6$Qm9vQmFy$hashhashhashhash:19000:0:99999:7:::';
    fs.writeFileSync(
      file,
      [secret, 'daemon:*:19000:0:99999:7:::', '{"subject":"x","surprise":"zzsecretzz"}'].join('\n'),
      {
        mode: 0o600
      }
    );
    const opened = await ImportFile.open(file, { maxBytes: 1 << 20 });
    const error = await refusal(checkRecordingFile(opened));
    await opened.close();
    expect(error.code).toBe('INVALID_INPUT');
    expect((error.details as { errors: Array<{ line: number }> }).errors.map((e) => e.line)).toEqual([1, 2, 3]);
    const shown = JSON.stringify(error.toShape());
    for (const fragment of ['root', '$6$', 'daemon', 'hash', 'surprise', 'zzsecretzz', '19000']) {
      expect(shown).not.toContain(fragment);
    }
  });

  it('reads NDJSON and CSV with line numbers, CRLF and quoted line ends included', async () => {
    const dir = tempDir();
    const csv = path.join(dir, 'r.csv');
    fs.writeFileSync(
      csv,
      'seq,time,subject,encoding,payload,headers\r\n1,2026-01-01T00:00:00Z,a.b,utf8,"two\r\nlines, ""quoted""",\r\n' +
        ",2026-01-01T00:00:01Z,a.c,utf8,'=1+1,\r\n,2026-01-01T00:00:02Z,a d,utf8,x,\r\n"
    );
    const opened = await ImportFile.open(csv, { maxBytes: 1 << 20 });
    const error = await refusal(checkRecordingFile(opened));
    expect((error.details as { errors: Array<{ line: number }> }).errors.map((e) => e.line)).toEqual([5]);
    fs.writeFileSync(csv, fs.readFileSync(csv, 'utf8').replace('a d', 'a.d'));
    const fixed = await ImportFile.open(csv, { maxBytes: 1 << 20 });
    expect(await checkRecordingFile(fixed)).toEqual({ format: 'csv', messages: 3, lines: 5 });
    const batches = [];
    for await (const b of readRecordingBatches(fixed, 2)) batches.push(b);
    await fixed.close();
    expect(batches.map((b) => b.length)).toEqual([2, 1]);
    const payloads = batches.flat().map((m) => new TextDecoder().decode(m.payload));
    expect(payloads).toEqual(['two\r\nlines, "quoted"', '=1+1', 'x']);
    expect(batches[0]![0]!.seq).toBe(1);
  });
});

describe('creating an export', () => {
  it('never writes over an existing file or through a planted symlink, and creates 0600', async () => {
    const dir = tempDir();
    const existing = path.join(dir, 'old.csv');
    fs.writeFileSync(existing, 'keep me', { mode: 0o600 });
    expect((await refusal(createExportFile(existing, { mode: 'exclusive' }))).code).toBe('CONFLICT');
    expect(fs.readFileSync(existing, 'utf8')).toBe('keep me');
    const rc = path.join(tempDir(), '.bashrc');
    fs.writeFileSync(rc, '# rc\n');
    fs.symlinkSync(rc, path.join(dir, 'rc.csv'));
    expect((await refusal(createExportFile(path.join(dir, 'rc.csv'), { mode: 'exclusive' }))).code).toBe('CONFLICT');
    expect(fs.readFileSync(rc, 'utf8')).toBe('# rc\n');
    const fresh = await createExportFile(path.join(dir, 'new.ndjson'), { mode: 'exclusive' });
    await fresh.write('x\n');
    await fresh.commit();
    expect(fs.statSync(path.join(dir, 'new.ndjson')).mode & 0o777).toBe(0o600);
  });

  it('replaces a file chosen in a save dialog atomically, leaving it untouched on failure', async () => {
    const dir = tempDir();
    const chosen = path.join(dir, 'chosen.ndjson');
    fs.writeFileSync(chosen, 'old');
    const failed = await createExportFile(chosen, { mode: 'replace' });
    await failed.write('half');
    await failed.abort();
    expect(fs.readFileSync(chosen, 'utf8')).toBe('old');
    expect(fs.readdirSync(dir)).toEqual(['chosen.ndjson']);
    const done = await createExportFile(chosen, { mode: 'replace' });
    await done.write('new');
    await done.commit();
    expect(fs.readFileSync(chosen, 'utf8')).toBe('new');
    expect(fs.statSync(chosen).mode & 0o777).toBe(0o600);
  });

  it('takes file names only, never paths', () => {
    for (const bad of ['../x', '/etc/shadow', 'a/b', '..', '.bashrc', 'a\\b', 'a\u0000b', '']) {
      expect(() => checkFileName(bad)).toThrow(ContractError);
    }
    expect(checkFileName('range-1.csv')).toBe('range-1.csv');
    expect(uploadName('../../etc/passwd')).toBe('passwd.ndjson');
    expect(uploadName('C:\\Users\\me\\my rec.CSV')).toBe('my_rec.csv');
    expect(uploadName('.bashrc')).toBe('bashrc.ndjson');
  });
});

describe('file grants and the desktop dialog', () => {
  function fakeDialog(open: string[] | null, save: string | null): DialogApi & { calls: unknown[] } {
    const calls: unknown[] = [];
    return {
      calls,
      showOpenDialog: (o) => {
        calls.push(o);
        return Promise.resolve({ canceled: open === null, filePaths: open ?? [] });
      },
      showSaveDialog: (o) => {
        calls.push(o);
        return Promise.resolve(save === null ? { canceled: true } : { canceled: false, filePath: save });
      }
    };
  }

  it('grants the chosen regular file for reading, and refuses a FIFO picked by mistake', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'rec.ndjson');
    fs.writeFileSync(file, line('a.b', 'x') + '\n');
    const grants = new FileGrants();
    const chosen = await chooseRecordingFile(fakeDialog([file], null), { purpose: 'import' }, grants, {
      defaultDir: dir
    });
    expect(chosen?.name).toBe('rec.ndjson');
    expect(chosen?.grant).not.toContain(dir);
    expect(grants.resolve(chosen!.grant, 'read').path).toBe(file);
    expect(() => grants.resolve(chosen!.grant, 'write')).toThrow(/chosen to be read/);
    expect(await chooseRecordingFile(fakeDialog(null, null), { purpose: 'import' }, grants, { defaultDir: dir })).toBe(
      null
    );
    const fifo = path.join(dir, 'p');
    execFileSync('mkfifo', [fifo]);
    const error = await refusal(
      chooseRecordingFile(fakeDialog([fifo], null), { purpose: 'import' }, grants, { defaultDir: dir })
    );
    expect(error.code).toBe('FORBIDDEN');
  });

  it('grants a save target with the format extension added, refuses a folder', async () => {
    const dir = tempDir();
    const grants = new FileGrants();
    const dialog = fakeDialog(null, path.join(dir, 'out'));
    const chosen = await chooseRecordingFile(
      dialog,
      { purpose: 'export', format: 'csv', suggestedName: 'r-1.csv' },
      grants,
      { defaultDir: dir }
    );
    expect(chosen?.name).toBe('out.csv');
    expect(grants.resolve(chosen!.grant, 'write').path).toBe(path.join(dir, 'out.csv'));
    expect(dialog.calls[0]).toMatchObject({ defaultPath: path.join(dir, 'r-1.csv') });
    fs.mkdirSync(path.join(dir, 'folder.csv'));
    expect(
      (
        await refusal(
          chooseRecordingFile(fakeDialog(null, path.join(dir, 'folder.csv')), { purpose: 'export' }, grants, {
            defaultDir: dir
          })
        )
      ).code
    ).toBe('FORBIDDEN');
  });

  it('expires grants', () => {
    let now = 0;
    const grants = new FileGrants({ ttlMs: 1000, now: () => now });
    const { grant } = grants.grant('/tmp/x.ndjson', 'read');
    now = 999;
    expect(grants.resolve(grant, 'read').path).toBe('/tmp/x.ndjson');
    now = 1000;
    expect(() => grants.resolve(grant, 'read')).toThrow(/expired/);
  });
});

describe('the first line', () => {
  it('may start with a byte-order mark, in NDJSON and in CSV', async () => {
    const dir = tempDir();
    const ndjson = path.join(dir, 'bom.ndjson');
    fs.writeFileSync(ndjson, '\uFEFF' + line('a.b', 'x') + '\n');
    const csv = path.join(dir, 'bom.csv');
    fs.writeFileSync(csv, '\uFEFFseq,time,subject,encoding,payload,headers\n,2026-01-01T00:00:00Z,a.b,utf8,x,\n');
    for (const [file, format] of [
      [ndjson, 'ndjson'],
      [csv, 'csv']
    ] as const) {
      const opened = await ImportFile.open(file, { maxBytes: 1024 });
      expect(await checkRecordingFile(opened)).toMatchObject({ format, messages: 1 });
      await opened.close();
    }
  });
});
