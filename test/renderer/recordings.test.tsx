import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ContractError } from '../../main/contract/errors';
import type { FileTransfer } from '../../renderer/src/client/connect';
import { Recordings } from '../../renderer/src/views/Recordings';
import { pending, type Answers } from './fake-client';
import { NOW, recording, unreachable } from './fixtures';
import { renderWithApp } from './render';

describe('Recordings (in the Outbox view)', () => {
  it('shows no table and no empty state while loading', () => {
    renderWithApp(<Recordings />, { 'recordings.list': pending });
    expect(screen.getByRole('heading', { name: 'Recordings' })).toBeTruthy();
    expect(screen.queryByText('No recordings yet.')).toBeNull();
    expect(screen.queryByRole('table', { name: 'Recordings' })).toBeNull();
  });

  it('says there are no recordings yet', async () => {
    renderWithApp(<Recordings />, { 'recordings.list': { recordings: [] } });
    expect(await screen.findByText('No recordings yet.')).toBeTruthy();
  });

  it('shows the typed error with its next step', async () => {
    renderWithApp(<Recordings />, { 'recordings.list': unreachable() });
    const note = await screen.findByRole('alert');
    expect(note.textContent).toContain('NATS_UNREACHABLE');
    expect(note.textContent).toContain('pick another connection profile');
  });

  it('updates a row from the pushed recording without asking, and asks for the list when a new one appears', async () => {
    const { client } = renderWithApp(<Recordings />, {
      'recordings.list': {
        recordings: [recording(1, 'morning'), recording(2, 'failed run', { status: 'failed', error: 'disk full' })]
      }
    });
    const table = await screen.findByRole('table', { name: 'Recordings' });
    expect(within(table).getAllByTestId('recording-row')).toHaveLength(2);
    expect(within(table).getByText('failed: disk full')).toBeTruthy();
    const asked = client.callsOf('recordings.list').length;

    client.push('recordings.updated', recording(1, 'morning', { messageCount: 5000, status: 'complete' }));
    expect(await within(table).findByText('5,000')).toBeTruthy();
    expect(within(table).getByText('complete')).toBeTruthy();
    expect(client.callsOf('recordings.list').length).toBe(asked);

    const fresh = recording(3, 'evening');
    client.answer({
      'recordings.list': { recordings: [recording(1, 'morning', { messageCount: 5000, status: 'complete' }), fresh] }
    });
    client.push('recordings.updated', fresh);
    expect(await within(table).findByText('evening')).toBeTruthy();
    await waitFor(() => expect(client.callsOf('recordings.list').length).toBe(asked + 1));
  });
});

/** The web server's upload route: records what was sent, reports progress, finishes when told. */
function uploads() {
  const sent: string[] = [];
  let finish: (() => void) | undefined;
  const files: FileTransfer = {
    upload(file, name, onProgress) {
      sent.push(name);
      onProgress?.(0.5);
      return new Promise((resolve) => {
        finish = () => resolve({ file: name, bytes: file.size });
      });
    },
    downloadUrl: (name) => `/files/exports/${name}`
  };
  return { files, sent, finish: () => finish?.() };
}

const importing: Answers = {
  'recordings.list': { recordings: [] },
  'recordings.files': { files: [], maxImportBytes: 1024 },
  'profiles.list': { profiles: [], activeProfileId: null },
  'system.takeOpenedFiles': []
};

const badLines = new ContractError('INVALID_INPUT', 'capture.ndjson has 2 bad lines', {
  errors: [
    { line: 3, message: 'not JSON: Unexpected token o' },
    { line: 7, message: 'subject is missing' }
  ],
  errorCount: 2,
  lines: 10
});

describe('Recordings: importing a file', () => {
  it('refuses a file over the limit before uploading anything, saying what to do', async () => {
    const user = userEvent.setup();
    const web = uploads();
    const { client } = renderWithApp(<Recordings />, importing, { files: web.files });
    const importer = screen.getByRole('region', { name: 'Import a recording' });
    await waitFor(() => expect(importer.textContent).toContain('up to 1 KiB'));
    await user.upload(within(importer).getByLabelText('Recording file'), new File(['x'.repeat(2000)], 'big.ndjson'));
    const alert = await within(importer).findByRole('alert');
    expect(alert.textContent).toContain('FILE_TOO_LARGE');
    expect(alert.textContent).toContain('raise recordings.maxImportBytes');
    expect(web.sent).toEqual([]);
    expect(client.callsOf('recordings.import')).toEqual([]);
  });

  it('shows the upload, then the check with its progress, then the bad lines by number; nothing is stored or sent', async () => {
    const user = userEvent.setup();
    const web = uploads();
    let reject: (e: ContractError) => void = () => undefined;
    const { client } = renderWithApp(
      <Recordings />,
      {
        ...importing,
        'recordings.import': () =>
          new Promise((_, no) => {
            reject = no;
          })
      },
      { files: web.files }
    );
    const importer = screen.getByRole('region', { name: 'Import a recording' });
    await user.upload(within(importer).getByLabelText('Recording file'), new File(['{}\n'], 'capture.ndjson'));
    expect(within(importer).getByRole('progressbar', { name: 'Uploading capture.ndjson' })).toBeTruthy();
    expect(within(importer).getByText('Uploading capture.ndjson: 50 %')).toBeTruthy();

    web.finish();
    expect(await within(importer).findByText('Checking every line of capture.ndjson…')).toBeTruthy();
    expect(client.callsOf('recordings.import')).toEqual([{ file: 'capture.ndjson', name: 'capture.ndjson' }]);
    client.push('recordings.importProgress', {
      name: 'capture.ndjson',
      phase: 'checking',
      bytes: 256,
      totalBytes: 1024
    });
    expect(await within(importer).findByRole('progressbar', { name: 'Checking capture.ndjson' })).toBeTruthy();
    expect(importer.textContent).toContain('Checking every line of capture.ndjson: 25 % of 1 KiB');

    reject(badLines);
    const problems = await screen.findByTestId('import-errors');
    expect(problems.textContent).toContain('capture.ndjson is not a valid recording: 2 bad lines of 10');
    expect(problems.textContent).toContain('Nothing was stored or sent');
    expect(
      within(problems)
        .getAllByRole('listitem')
        .map((li) => li.textContent)
    ).toEqual(['line 3: not JSON: Unexpected token o', 'line 7: subject is missing']);
    expect(screen.queryByTestId('import-ready')).toBeNull();
    expect(client.callsOf('recordings.replay')).toEqual([]);
  });

  it('stores a good file, lists it, and replays it with a subject rewrite at the recorded pace', async () => {
    const user = userEvent.setup();
    const web = uploads();
    const imported = recording(9, 'capture.ndjson', { source: 'import', status: 'complete', messageCount: 40 });
    const { client } = renderWithApp(
      <Recordings />,
      {
        ...importing,
        'recordings.import': () => {
          client.answer({ 'recordings.list': { recordings: [imported] } });
          return imported;
        },
        'recordings.replay': { replayId: 'r-1', total: 40 }
      },
      { files: web.files }
    );
    await user.upload(screen.getByLabelText('Recording file'), new File(['{}\n'], 'capture.ndjson'));
    web.finish();
    const ready = await screen.findByTestId('import-ready');
    expect(ready.textContent).toContain(
      'capture.ndjson: 40 messages checked and stored as recording 9; nothing sent yet.'
    );
    expect(await screen.findByTestId('recording-row')).toBeTruthy();

    const replay = within(ready).getByRole('form', { name: 'Replay the import' });
    await user.type(within(replay).getByLabelText('Subject map'), 'orchestrator.>=replayed.>');
    await user.selectOptions(within(replay).getByLabelText('Pace'), 'recorded');
    await user.clear(within(replay).getByLabelText('Speed ×'));
    await user.type(within(replay).getByLabelText('Speed ×'), '2');
    await user.click(within(replay).getByRole('button', { name: 'Replay' }));
    await waitFor(() =>
      expect(client.callsOf('recordings.replay')).toEqual([
        { id: 9, speed: 2, subjectMap: ['orchestrator.>=replayed.>'] }
      ])
    );
    expect(await screen.findByText('Replaying 40 messages')).toBeTruthy();
  });

  it('on the desktop, imports a file the OS opened with the app through its grant', async () => {
    const { client } = renderWithApp(<Recordings />, {
      ...importing,
      'system.takeOpenedFiles': [{ grant: 'grant-0123456789abcdef', name: 'double-clicked.ndjson', time: NOW }],
      'recordings.import': recording(4, 'double-clicked.ndjson', { source: 'import', messageCount: 3 })
    });
    expect(screen.getByRole('button', { name: 'Open a recording…' })).toBeTruthy();
    expect((await screen.findByTestId('import-ready')).textContent).toContain('double-clicked.ndjson: 3 messages');
    expect(client.callsOf('recordings.import')).toEqual([
      { grant: 'grant-0123456789abcdef', name: 'double-clicked.ndjson' }
    ]);
  });
});

describe('Recordings: replay progress', () => {
  it('shows each pushed replay with its progress, cancels a running one, and keeps a finished one with its outcome', async () => {
    const user = userEvent.setup();
    const { client } = renderWithApp(<Recordings />, {
      ...importing,
      'recordings.cancelReplay': { cancelled: true }
    });
    await screen.findByText('No recordings yet.');
    expect(screen.queryByTestId('replay-progress')).toBeNull();
    const report = { replayId: 'r-7', recordingId: 1, sent: 10, total: 40, bytes: 1000, elapsedMs: 500, rate: 20 };
    client.push('recordings.progress', { ...report, done: false, error: null });
    const progress = await screen.findByTestId('replay-progress');
    expect(progress.textContent).toContain('replaying: 10 / 40 (25 %, 20 msgs/s)');
    expect(within(progress).getByRole('progressbar', { name: 'Replay r-7' }).getAttribute('value')).toBe('10');
    await user.click(within(progress).getByRole('button', { name: 'Cancel replay' }));
    expect(client.callsOf('recordings.cancelReplay')).toEqual([{ replayId: 'r-7' }]);
    client.push('recordings.progress', { ...report, sent: 12, done: true, error: 'cancelled' });
    await waitFor(() => expect(progress.textContent).toContain('failed: cancelled: 12 / 40'));
    expect(within(progress).queryByRole('button', { name: 'Cancel replay' })).toBeNull();
  });
});
