import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { AlertsView } from '../../renderer/src/views/Alerts';
import { pending, type Answers } from './fake-client';
import { alert, unreachable } from './fixtures';
import { renderWithApp } from './render';

const base: Answers = { 'alerts.rules': pending };

describe('Alerts view', () => {
  it('shows no table, count or empty state while loading', () => {
    renderWithApp(<AlertsView />, { ...base, 'alerts.list': pending });
    expect(screen.getByRole('heading', { level: 1, name: 'Alerts' })).toBeTruthy();
    expect(screen.queryByText(/matching$/)).toBeNull();
    expect(screen.queryByText('No active alerts.')).toBeNull();
    expect(screen.queryByRole('table', { name: 'Alerts' })).toBeNull();
  });

  it('says there are no active alerts, and no matching ones once the filter widens', async () => {
    const user = userEvent.setup();
    const { client } = renderWithApp(<AlertsView />, { ...base, 'alerts.list': { alerts: [], total: 0 } });
    expect(await screen.findByText('No active alerts.')).toBeTruthy();
    await user.selectOptions(screen.getByRole('combobox', { name: /State/ }), 'all');
    expect(await screen.findByText('No alerts match these filters.')).toBeTruthy();
    expect(client.callsOf('alerts.list').at(-1)).toMatchObject({ state: 'all' });
  });

  it('shows the typed error with its next step', async () => {
    renderWithApp(<AlertsView />, { ...base, 'alerts.list': unreachable() });
    const note = await screen.findByRole('alert');
    expect(note.textContent).toContain('NATS_UNREACHABLE');
    expect(note.textContent).toContain('pick another connection profile');
  });

  it('lists alerts and acknowledges one, then shows the list as it is now', async () => {
    const user = userEvent.setup();
    const { client } = renderWithApp(<AlertsView />, {
      ...base,
      'alerts.list': {
        alerts: [
          alert(7, 'NATS is unreachable'),
          alert(8, 'Consumer lag', {
            state: 'acknowledged',
            acknowledgedAt: '2026-12-06T12:01:00.000Z',
            acknowledgedBy: 'ops',
            rule: 'consumer.pending',
            target: 'ORDERS/worker'
          })
        ],
        total: 2
      },
      'alerts.acknowledge': (input) => alert(input.id, 'NATS is unreachable', { state: 'acknowledged' })
    });
    const table = await screen.findByRole('table', { name: 'Alerts' });
    expect(within(table).getAllByTestId('alert-row')).toHaveLength(2);
    expect(screen.getByText('2 matching')).toBeTruthy();
    expect(within(table).getByText(/by ops/)).toBeTruthy();
    client.answer({ 'alerts.list': { alerts: [], total: 0 } });
    await user.click(within(table).getByRole('button', { name: 'Acknowledge nats.disconnected connection' }));
    await waitFor(() => expect(client.callsOf('alerts.acknowledge')).toEqual([{ id: 7 }]));
    expect(await screen.findByText('No active alerts.')).toBeTruthy();
  });

  it('shows why an acknowledgement failed', async () => {
    const user = userEvent.setup();
    renderWithApp(<AlertsView />, {
      ...base,
      'alerts.list': { alerts: [alert(7, 'NATS is unreachable')], total: 1 },
      'alerts.acknowledge': unreachable()
    });
    await user.click(await screen.findByRole('button', { name: 'Acknowledge nats.disconnected connection' }));
    expect((await screen.findByRole('alert')).textContent).toContain('NATS_UNREACHABLE');
  });
});
