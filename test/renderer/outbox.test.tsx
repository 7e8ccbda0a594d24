import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { OutboxView } from '../../renderer/src/views/Outbox';
import { pending, type Answers } from './fake-client';
import { breakers, outboxEntry, outboxStats, unreachable } from './fixtures';
import { renderWithApp } from './render';

const live: Answers = {
  'outbox.stats': outboxStats(3),
  'resilience.breakers': breakers('closed'),
  'dlq.list': { entries: [], total: 0 },
  'outbox.list': { entries: [] },
  'recordings.list': { recordings: [] }
};

describe('Outbox view', () => {
  it('shows no counts or empty lists while loading', () => {
    const loading = Object.fromEntries(Object.keys(live).map((k) => [k, pending])) as Answers;
    renderWithApp(<OutboxView />, loading);
    expect(screen.getByRole('heading', { level: 1, name: 'Outbox' })).toBeTruthy();
    expect(screen.queryByTestId('outbox-counts')).toBeNull();
    expect(screen.queryByText('No dead letters.')).toBeNull();
    expect(screen.queryByText('No pending messages.')).toBeNull();
  });

  it('says so when there are no dead letters and no pending messages', async () => {
    renderWithApp(<OutboxView />, live);
    expect(await screen.findByText('No dead letters.')).toBeTruthy();
    expect(await screen.findByText('No pending messages.')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Dead letters (DLQ) — 0' })).toBeTruthy();
  });

  it('shows the typed error of a failed list', async () => {
    renderWithApp(<OutboxView />, { ...live, 'dlq.list': unreachable() });
    const card = screen.getByRole('heading', { name: /Dead letters/ }).closest('article')!;
    const note = await within(card).findByRole('alert');
    expect(note.textContent).toContain('NATS_UNREACHABLE');
    expect(note.textContent).toContain('pick another connection profile');
  });

  it('shows the counts and writes pushed stats and breakers into the view without asking again', async () => {
    const { client } = renderWithApp(<OutboxView />, live);
    expect((await screen.findByTestId('outbox-pending')).textContent).toBe('3');
    const asked = client.callsOf('outbox.stats').length;
    client.push('outbox.stats', outboxStats(42));
    await waitFor(() => expect(screen.getByTestId('outbox-pending').textContent).toBe('42'));
    expect(client.callsOf('outbox.stats').length).toBe(asked);

    const breakersCard = screen.getByRole('heading', { name: /breaker/i }).closest('article')!;
    expect(within(breakersCard).queryByText('open')).toBeNull();
    client.push('resilience.breakers', breakers('open'));
    expect(await within(breakersCard).findByText('open')).toBeTruthy();
  });

  it('lists dead letters and retries the selected one', async () => {
    const user = userEvent.setup();
    const { client } = renderWithApp(<OutboxView />, {
      ...live,
      'dlq.list': {
        entries: [outboxEntry('a1', 'orders.created'), outboxEntry('b2', 'orders.paid')],
        total: 2
      },
      'dlq.retry': { count: 1 }
    });
    const table = await screen.findByRole('table', { name: 'Dead letters' });
    expect(within(table).getAllByTestId('dlq-row')).toHaveLength(2);
    await user.click(within(table).getByRole('checkbox', { name: 'Select dead letter b2' }));
    await user.click(screen.getByRole('button', { name: 'Retry 1 selected' }));
    await waitFor(() => expect(client.callsOf('dlq.retry')).toEqual([{ ids: ['b2'] }]));
    expect((await screen.findByTestId('toasts')).textContent).toContain('back in the outbox');
  });
});
