import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ConsumersView } from '../../renderer/src/views/Consumers';
import { pending, type Answers } from './fake-client';
import { consumer, NOW, stream, streamList, unreachable } from './fixtures';
import { renderWithApp } from './render';

const base: Answers = { 'streams.series': { points: [] } };

describe('Consumers view', () => {
  it('shows no table and no empty state while the streams load', () => {
    renderWithApp(<ConsumersView rest={[]} />, { ...base, 'streams.list': pending });
    expect(screen.getByRole('heading', { level: 1, name: 'Consumers' })).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
    expect(screen.queryByText(/no consumers|has a consumer/)).toBeNull();
  });

  it('says there are no streams, or no consumers on the streams there are', async () => {
    const r = renderWithApp(<ConsumersView rest={[]} />, { ...base, 'streams.list': streamList([]) });
    expect(await screen.findByText('There are no streams, so no consumers.')).toBeTruthy();
    r.unmount();
    renderWithApp(<ConsumersView rest={[]} />, {
      ...base,
      'streams.list': streamList([stream('ORDERS')]),
      'consumers.list': { cached: false, snapshotTime: NOW, stream: 'ORDERS', consumers: [] }
    });
    expect(await screen.findByText('No stream has a consumer.')).toBeTruthy();
  });

  it('shows the typed error when the streams cannot be read', async () => {
    renderWithApp(<ConsumersView rest={[]} />, { ...base, 'streams.list': unreachable() });
    const note = await screen.findByRole('alert');
    expect(note.textContent).toContain('NATS_UNREACHABLE');
    expect(note.textContent).toContain('pick another connection profile');
  });

  it('marks consumers read from the snapshot cache', async () => {
    renderWithApp(<ConsumersView rest={[]} />, {
      ...base,
      'streams.list': streamList([stream('ORDERS')], true),
      'consumers.list': { cached: true, snapshotTime: NOW, stream: 'ORDERS', consumers: [consumer('ORDERS', 'w', 1)] }
    });
    expect((await screen.findByTestId('cached-mark')).textContent).toContain('Cached snapshot');
    expect(screen.getByText('w')).toBeTruthy();
  });

  it('lists every stream’s consumers, most pending first, and re-sorts from the keyboard', async () => {
    const user = userEvent.setup();
    renderWithApp(<ConsumersView rest={[]} />, {
      ...base,
      'streams.list': streamList([stream('ORDERS'), stream('AUDIT')]),
      'consumers.list': (input) => ({
        cached: false,
        snapshotTime: NOW,
        stream: input.stream,
        consumers:
          input.stream === 'ORDERS'
            ? [consumer('ORDERS', 'shipper', 5), consumer('ORDERS', 'billing', 70)]
            : [consumer('AUDIT', 'archiver', 12)]
      })
    });
    const table = await screen.findByRole('table', { name: 'Consumers' });
    await waitFor(() => expect(within(table).getAllByTestId('consumer-row')).toHaveLength(3));
    const order = () =>
      within(table)
        .getAllByTestId('consumer-row')
        .map((r) => r.textContent);
    expect(order()[0]).toContain('billing');
    expect(order()[2]).toContain('shipper');
    expect(screen.getByTestId('live-mark')).toBeTruthy();
    const pendingHeader = within(table).getByRole('columnheader', { name: /^Pending/ });
    expect(pendingHeader.getAttribute('aria-sort')).toBe('descending');
    within(pendingHeader).getByRole('button').focus();
    await user.keyboard(' ');
    expect(pendingHeader.getAttribute('aria-sort')).toBe('ascending');
    expect(order()[0]).toContain('shipper');
  });
});

describe('Consumers view and pushes', () => {
  it('re-reads the consumers after a pushed stream snapshot, including a new stream’s', async () => {
    const { client } = renderWithApp(<ConsumersView rest={[]} />, {
      ...base,
      'streams.list': streamList([stream('ORDERS')]),
      'consumers.list': (input) => ({
        cached: false,
        snapshotTime: NOW,
        stream: input.stream,
        consumers: [consumer(input.stream, `${input.stream.toLowerCase()}-worker`, 1)]
      })
    });
    const table = await screen.findByRole('table', { name: 'Consumers' });
    expect(within(table).getByText('orders-worker')).toBeTruthy();
    client.push('streams.snapshot', streamList([stream('ORDERS'), stream('AUDIT')]));
    expect(await within(table).findByText('audit-worker')).toBeTruthy();
    await waitFor(() =>
      expect(client.callsOf('consumers.list').filter((i) => (i as { stream: string }).stream === 'ORDERS').length).toBe(
        2
      )
    );
  });
});
