import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { OutputOf } from '../../main/contract';
import { StreamsView } from '../../renderer/src/views/Streams';
import { pending, type Answers } from './fake-client';
import { consumer, NOW, stream, unreachable } from './fixtures';
import { renderWithApp } from './render';

function info(cached: boolean): OutputOf<'streams.info'> {
  return {
    cached,
    snapshotTime: NOW,
    stream: stream('ORDERS', { messages: 4321 }),
    config: {},
    state: {},
    cluster: null
  };
}

const base: Answers = { 'streams.series': { points: [] } };

describe('Stream detail (Streams view, one stream)', () => {
  it('shows the stream name and no facts while loading', () => {
    renderWithApp(<StreamsView rest={['ORDERS']} />, { ...base, 'streams.info': pending });
    expect(screen.getByTestId('stream-title').textContent).toBe('ORDERS');
    expect(screen.queryByTestId('stream-messages')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows the typed error with its next step', async () => {
    renderWithApp(<StreamsView rest={['ORDERS']} />, { ...base, 'streams.info': unreachable() });
    const note = await screen.findByRole('alert');
    expect(note.textContent).toContain('NATS_UNREACHABLE');
    expect(note.textContent).toContain('pick another connection profile');
  });

  it('marks facts read from the snapshot cache', async () => {
    renderWithApp(<StreamsView rest={['ORDERS']} />, { ...base, 'streams.info': info(true) });
    expect((await screen.findByTestId('cached-mark')).textContent).toContain('Cached snapshot');
    expect(screen.getByTestId('stream-messages').textContent).toBe('4,321');
  });

  it('lists the stream’s consumers on its Consumers tab, and says when it has none', async () => {
    const r = renderWithApp(<StreamsView rest={['ORDERS', 'consumers']} />, {
      ...base,
      'consumers.list': {
        cached: false,
        snapshotTime: NOW,
        stream: 'ORDERS',
        consumers: [consumer('ORDERS', 'shipper', 3)]
      }
    });
    expect(screen.getByRole('tab', { name: 'Consumers' }).getAttribute('aria-selected')).toBe('true');
    const panel = screen.getByRole('tabpanel', { name: 'Consumers' });
    expect(await within(panel).findByText('shipper')).toBeTruthy();
    r.unmount();
    renderWithApp(<StreamsView rest={['ORDERS', 'consumers']} />, {
      ...base,
      'consumers.list': { cached: false, snapshotTime: NOW, stream: 'ORDERS', consumers: [] }
    });
    const empty = await screen.findByTestId('empty-state');
    expect(empty.textContent).toMatch(/consumer/i);
  });
});
