import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { PayloadOf } from '../../main/contract';
import { MetricsView } from '../../renderer/src/views/Metrics';
import { pending } from './fake-client';
import { metricsSnapshot, NOW, unreachable } from './fixtures';
import { renderWithApp } from './render';

const sample: PayloadOf<'metrics.sample'> = {
  time: NOW,
  connected: true,
  publishedPerSecond: 10,
  receivedPerSecond: 8,
  invalidPerSecond: 0,
  publishP50Seconds: 0.001,
  publishP99Seconds: 0.004,
  handlerP99Seconds: null,
  outboxBacklog: 4,
  outboxDead: 2,
  breakersOpen: 1,
  engineLoad: 0.25,
  engineValence: 0.1
};

describe('Metrics view', () => {
  it('shows no totals and no empty state while loading', () => {
    renderWithApp(<MetricsView />, { 'metrics.snapshot': pending });
    expect(screen.getByRole('heading', { level: 1, name: 'Metrics' })).toBeTruthy();
    expect(screen.queryByTestId('metrics-published')).toBeNull();
    expect(screen.queryByText('No samples yet.')).toBeNull();
  });

  it('shows the typed error with its next step', async () => {
    renderWithApp(<MetricsView />, { 'metrics.snapshot': unreachable() });
    const note = await screen.findByRole('alert');
    expect(note.textContent).toContain('NATS_UNREACHABLE');
    expect(note.textContent).toContain('pick another connection profile');
  });

  it('says there are no samples yet, then draws the charts from the first pushed sample without asking', async () => {
    const { client } = renderWithApp(<MetricsView />, { 'metrics.snapshot': metricsSnapshot });
    expect(await screen.findByText('No samples yet.')).toBeTruthy();
    expect(screen.getByTestId('metrics-published').textContent).toBe('1,200');
    expect(screen.getByTestId('metrics-endpoint').textContent).toBe('off (set a metrics port in Settings)');
    const asked = client.callsOf('metrics.snapshot').length;
    client.push('metrics.sample', sample);
    expect(await screen.findByRole('heading', { name: 'Message rates' })).toBeTruthy();
    expect(screen.queryByText('No samples yet.')).toBeNull();
    expect(client.callsOf('metrics.snapshot').length).toBe(asked);
  });
});
