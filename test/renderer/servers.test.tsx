import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ServersView } from '../../renderer/src/views/Servers';
import { pending, type Answers } from './fake-client';
import { server, serversOverview, unreachable } from './fixtures';
import { renderWithApp } from './render';

const base: Answers = {
  'servers.series': { samples: [] },
  'servers.connections': { source: 'system', hint: null, connections: [], total: 0 }
};

describe('Servers view', () => {
  it('says it is asking the servers while loading', () => {
    renderWithApp(<ServersView />, { ...base, 'servers.overview': pending });
    expect(screen.getByText('Asking the servers…')).toBeTruthy();
    expect(screen.queryByTestId('server-card')).toBeNull();
  });

  it('says there is nothing to show, with the hint, and no samples yet', async () => {
    renderWithApp(<ServersView />, { ...base, 'servers.overview': serversOverview([]) });
    expect(await screen.findByText('Nothing to show about the servers.')).toBeTruthy();
    expect(screen.getByText('Connect with a system account user to see the servers')).toBeTruthy();
    expect(await screen.findByText('No samples yet.')).toBeTruthy();
  });

  it('shows the typed error with its next step', async () => {
    renderWithApp(<ServersView />, { ...base, 'servers.overview': unreachable() });
    const note = await screen.findByRole('alert');
    expect(note.textContent).toContain('NATS_UNREACHABLE');
    expect(note.textContent).toContain('pick another connection profile');
  });

  it('marks the last kept sample as cached and leaves out the live-only connections table', async () => {
    renderWithApp(<ServersView />, { ...base, 'servers.overview': serversOverview([server('n1', 3)], true) });
    expect((await screen.findByTestId('cached-mark')).textContent).toContain('Cached snapshot');
    expect(screen.getByRole('article', { name: 'Server n1' })).toBeTruthy();
    expect(screen.queryByRole('article', { name: 'Connections' })).toBeNull();
  });

  it('shows each server and takes a pushed sample as the new overview without asking', async () => {
    const { client } = renderWithApp(<ServersView />, {
      ...base,
      'servers.overview': serversOverview([server('n1', 3), server('n2', 4)])
    });
    const n1 = await screen.findByRole('article', { name: 'Server n1' });
    expect(within(n1).getByTestId('server-connections').textContent).toBe('3');
    expect(screen.getAllByTestId('server-card')).toHaveLength(2);
    expect(await screen.findByText('No client connections.')).toBeTruthy();
    const asked = client.callsOf('servers.overview').length;
    client.push('servers.sample', serversOverview([server('n1', 17), server('n2', 4)]));
    await waitFor(() =>
      expect(
        within(screen.getByRole('article', { name: 'Server n1' })).getByTestId('server-connections').textContent
      ).toBe('17')
    );
    expect(client.callsOf('servers.overview').length).toBe(asked);
  });

  it('keeps the cached servers when a pushed sample reached none', async () => {
    const { client } = renderWithApp(<ServersView />, {
      ...base,
      'servers.overview': serversOverview([server('n1', 3)], true)
    });
    await screen.findByRole('article', { name: 'Server n1' });
    client.push('servers.sample', serversOverview([]));
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.getByRole('article', { name: 'Server n1' })).toBeTruthy();
    expect(screen.queryByText('Nothing to show about the servers.')).toBeNull();
  });
});

describe('Servers view going offline', () => {
  it('asks for the overview when live servers go silent, and shows the kept snapshot the core answers with', async () => {
    const { client } = renderWithApp(<ServersView />, {
      ...base,
      'servers.overview': serversOverview([server('n1', 3)])
    });
    await screen.findByRole('article', { name: 'Server n1' });
    expect(screen.getByTestId('live-mark')).toBeTruthy();
    const asked = client.callsOf('servers.overview').length;
    client.answer({ 'servers.overview': serversOverview([server('n1', 3)], true) });
    client.push('servers.sample', serversOverview([]));
    expect(await screen.findByTestId('cached-mark')).toBeTruthy();
    expect(screen.getByRole('article', { name: 'Server n1' })).toBeTruthy();
    expect(client.callsOf('servers.overview').length).toBe(asked + 1);
  });
});
