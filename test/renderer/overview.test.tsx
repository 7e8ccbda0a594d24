import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { OverviewView } from '../../renderer/src/views/Overview';
import { pending, type Answers } from './fake-client';
import {
  alert,
  connected,
  disconnected,
  emptyPicture,
  engineSnapshot,
  metricsSnapshot,
  systemInfo,
  unreachable
} from './fixtures';
import { renderWithApp } from './render';

const live: Answers = {
  'connection.status': connected,
  'alerts.list': { alerts: [], total: 0 },
  'metrics.snapshot': metricsSnapshot,
  'engine.state': engineSnapshot('orders'),
  'health.services': [],
  'system.info': systemInfo,
  'overview.picture': emptyPicture
};

describe('Overview view', () => {
  it('shows placeholders, not data or empty states, while loading', async () => {
    const loading = Object.fromEntries(Object.keys(live).map((k) => [k, pending])) as Answers;
    renderWithApp(<OverviewView />, loading);
    expect(screen.getByRole('heading', { level: 1, name: 'Overview' })).toBeTruthy();
    expect(screen.getByTestId('server-url').textContent).toBe('—');
    expect(screen.getByTestId('app-version').textContent).toBe('—');
    expect(screen.queryByTestId('overview-no-alerts')).toBeNull();
    expect(screen.queryByTestId('overview-no-services')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('says nothing is firing and no service reported when the lists are empty', async () => {
    renderWithApp(<OverviewView />, live);
    expect((await screen.findByTestId('overview-no-alerts')).textContent).toContain('Nothing is firing.');
    expect(screen.getByTestId('overview-no-services').textContent).toContain('No service has reported');
  });

  it('shows a failed card’s typed error with its next step, and the other cards still load', async () => {
    renderWithApp(<OverviewView />, { ...live, 'alerts.list': unreachable() });
    const alertCard = (await screen.findByRole('link', { name: 'Firing alerts' })).closest('article')!;
    const note = await within(alertCard).findByRole('alert');
    expect(note.textContent).toContain('NATS_UNREACHABLE');
    expect(note.textContent).toContain('refused the connection');
    expect(note.textContent).toContain('pick another connection profile');
    expect((await screen.findByTestId('app-version')).textContent).toBe('0.1.0');
  });

  it('shows the offline state: the last error, the hint and since when', async () => {
    renderWithApp(<OverviewView />, { ...live, 'connection.status': disconnected });
    const card = (await screen.findByRole('heading', { name: 'Connection' })).closest('article')!;
    expect((await within(card).findByRole('alert')).textContent).toContain('NATS_UNREACHABLE');
    expect(within(card).getByText('Start nats-server or check the URL')).toBeTruthy();
    expect(within(card).getByText('Offline since')).toBeTruthy();
  });

  it('shows the data and keeps it current from pushes (engine state written, alerts re-asked once per burst)', async () => {
    const { client } = renderWithApp(<OverviewView />, {
      ...live,
      'alerts.list': { alerts: [alert(1, 'NATS is unreachable')], total: 3 }
    });
    expect(await screen.findByText('NATS is unreachable')).toBeTruthy();
    expect(screen.getByText('… and 2 more')).toBeTruthy();
    expect(screen.getByTestId('overview-engine-focus').textContent).toBe('orders');
    expect(screen.getByTestId('overview-outbox-backlog').textContent).toBe('4');
    expect(screen.getByTestId('server-url').textContent).toBe('nats://127.0.0.1:4222');

    const engineCalls = client.callsOf('engine.state').length;
    client.push('engine.state', engineSnapshot('payments', 0.9));
    await waitFor(() => expect(screen.getByTestId('overview-engine-focus').textContent).toBe('payments'));
    expect(client.callsOf('engine.state').length).toBe(engineCalls);

    const alertCalls = client.callsOf('alerts.list').length;
    client.answer({ 'alerts.list': { alerts: [alert(2, 'Breaker publish is open')], total: 1 } });
    const a = alert(2, 'Breaker publish is open');
    const transition = {
      id: 9,
      alertId: 2,
      kind: 'fired' as const,
      severity: 'CRITICAL' as const,
      at: a.since,
      value: null,
      message: a.message,
      publishedAt: null
    };
    for (let i = 0; i < 5; i++) client.push('alerts.transition', { transition, alert: a });
    expect(await screen.findByText('Breaker publish is open')).toBeTruthy();
    expect(screen.queryByText('NATS is unreachable')).toBeNull();
    expect(client.callsOf('alerts.list').length).toBe(alertCalls + 1);
  });
});
