import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { StreamsView } from '../../renderer/src/views/Streams';
import { pending, type Answers } from './fake-client';
import { connected, inSync, NOW, stream, streamList, unreachable } from './fixtures';
import { renderWithApp } from './render';

const base: Answers = {
  'connection.status': connected,
  'streams.series': { points: [] },
  'streams.drift': inSync
};

describe('Streams view', () => {
  it('shows nothing but the heading while the list loads (no premature empty state)', async () => {
    renderWithApp(<StreamsView rest={[]} />, { ...base, 'streams.list': pending });
    expect(screen.getByRole('heading', { level: 1, name: 'Streams' })).toBeTruthy();
    await waitFor(() => expect(screen.queryByText(/No canned answer/)).toBeNull());
    expect(screen.queryByText('This server has no streams.')).toBeNull();
    expect(screen.queryByRole('table', { name: 'Streams' })).toBeNull();
  });

  it('says so when the server has no streams', async () => {
    renderWithApp(<StreamsView rest={[]} />, { ...base, 'streams.list': streamList([]) });
    expect(await screen.findByText('This server has no streams.')).toBeTruthy();
  });

  it('shows the typed error with its code, message and next step', async () => {
    renderWithApp(<StreamsView rest={[]} />, { ...base, 'streams.list': unreachable() });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('NATS_UNREACHABLE');
    expect(alert.textContent).toContain('refused the connection');
    expect(alert.textContent).toContain('Start nats-server, or pick another connection profile in Settings');
  });

  it('marks a list answered from the snapshot cache', async () => {
    renderWithApp(<StreamsView rest={[]} />, { ...base, 'streams.list': streamList([stream('ORDERS')], true) });
    const mark = await screen.findByTestId('cached-mark');
    expect(mark.textContent).toMatch(/Cached snapshot from .* \(NATS unreachable\)/);
    expect(screen.getByText('ORDERS')).toBeTruthy();
  });

  it('lists the streams and replaces them with a pushed snapshot without asking again', async () => {
    const { client } = renderWithApp(<StreamsView rest={[]} />, {
      ...base,
      'streams.list': streamList([stream('ORDERS'), stream('AUDIT')])
    });
    const table = await screen.findByRole('table', { name: 'Streams' });
    expect(within(table).getByText('ORDERS')).toBeTruthy();
    expect(within(table).getByText('AUDIT')).toBeTruthy();
    expect(screen.getByTestId('live-mark')).toBeTruthy();
    const asked = client.callsOf('streams.list').length;
    client.push('streams.snapshot', {
      cached: false,
      snapshotTime: new Date(Date.parse(NOW) + 1000).toISOString(),
      streams: [stream('PAYMENTS')]
    });
    expect(await within(table).findByText('PAYMENTS')).toBeTruthy();
    expect(within(table).queryByText('ORDERS')).toBeNull();
    expect(client.callsOf('streams.list').length).toBe(asked);
  });

  it('sorts by a column header from the keyboard (Enter, then Space)', async () => {
    const user = userEvent.setup();
    renderWithApp(<StreamsView rest={[]} />, {
      ...base,
      'streams.list': streamList([stream('BETA', { messages: 5 }), stream('ALPHA', { messages: 50 })])
    });
    const table = await screen.findByRole('table', { name: 'Streams' });
    const names = () =>
      within(table)
        .getAllByTestId('stream-row')
        .map((r) => r.querySelector('td')?.textContent);
    expect(names()).toEqual(['ALPHA', 'BETA']);
    const nameHeader = within(table).getByRole('columnheader', { name: /Name/ });
    expect(nameHeader.getAttribute('aria-sort')).toBe('ascending');
    within(nameHeader).getByRole('button').focus();
    await user.keyboard('{Enter}');
    expect(nameHeader.getAttribute('aria-sort')).toBe('descending');
    expect(names()).toEqual(['BETA', 'ALPHA']);
    await user.keyboard(' ');
    expect(nameHeader.getAttribute('aria-sort')).toBe('ascending');
    expect(names()).toEqual(['ALPHA', 'BETA']);
  });
});
