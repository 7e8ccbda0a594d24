import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { Recordings } from '../../renderer/src/views/Recordings';
import { pending } from './fake-client';
import { recording, unreachable } from './fixtures';
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
