import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { OutputOf } from '../../main/contract';
import { SettingsView } from '../../renderer/src/views/Settings';
import { pending, type Answers } from './fake-client';
import { connected, disconnected, metricsSnapshot, systemInfo, unreachable } from './fixtures';
import { renderWithApp } from './render';

const startup: OutputOf<'settings.startup'> = {
  synchronous: 'NORMAL',
  metricsPort: null,
  jetstreamSampleIntervalMs: 15_000,
  running: { synchronous: 'NORMAL', metricsPort: null, jetstreamSampleIntervalMs: 15_000 },
  configFile: '/var/lib/synos-cc/config.json'
};

const live: Answers = {
  'connection.status': connected,
  'profiles.list': { profiles: [], activeProfileId: null },
  'system.info': systemInfo,
  'metrics.snapshot': metricsSnapshot,
  'settings.startup': startup,
  'alerts.rules': pending
};

function coreCard(): HTMLElement {
  return screen.getByRole('heading', { name: 'Durability and metrics' }).closest('article')!;
}

describe('Settings view', () => {
  it('shows placeholders and a disabled Save while loading', () => {
    const loading = Object.fromEntries(Object.keys(live).map((k) => [k, pending])) as Answers;
    renderWithApp(<SettingsView />, loading);
    expect(screen.getByTestId('settings-running').textContent).toBe('—');
    expect((within(coreCard()).getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.queryByText('No saved profiles.')).toBeNull();
  });

  it('says there are no saved profiles', async () => {
    renderWithApp(<SettingsView />, live);
    expect(await screen.findByText('No saved profiles.')).toBeTruthy();
  });

  it('shows the typed error when the start-up settings cannot be read', async () => {
    renderWithApp(<SettingsView />, { ...live, 'settings.startup': unreachable() });
    const note = await within(coreCard()).findByRole('alert');
    expect(note.textContent).toContain('NATS_UNREACHABLE');
    expect(note.textContent).toContain('pick another connection profile');
  });

  it('shows the last connection error while NATS is unreachable', async () => {
    renderWithApp(<SettingsView />, { ...live, 'connection.status': disconnected });
    const card = screen.getByRole('heading', { name: 'Connection' }).closest('article')!;
    expect((await within(card).findByRole('alert')).textContent).toContain('connection refused');
    expect(within(card).getByRole('button', { name: 'Connect' })).toBeTruthy();
  });

  it('shows the running settings, refuses a bad port, and saves a new durability mode', async () => {
    const user = userEvent.setup();
    const { client } = renderWithApp(<SettingsView />, {
      ...live,
      'settings.setStartup': (input) => ({ ...startup, synchronous: input.synchronous ?? 'NORMAL' })
    });
    await waitFor(() =>
      expect(screen.getByTestId('settings-running').textContent).toBe(
        'NORMAL, metrics off, JetStream sample every 15 s'
      )
    );
    expect(screen.getByText('/var/lib/synos-cc/config.json')).toBeTruthy();
    const card = coreCard();
    await user.type(within(card).getByLabelText('Metrics port'), '70000');
    expect(within(card).getByText(/The port must be a whole number/)).toBeTruthy();
    expect((within(card).getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(true);
    await user.clear(within(card).getByLabelText('Metrics port'));
    client.answer({ 'settings.startup': { ...startup, synchronous: 'FULL' } });
    await user.selectOptions(within(card).getByLabelText('Durability mode'), 'FULL');
    await user.click(within(card).getByRole('button', { name: 'Save' }));
    await waitFor(() =>
      expect(client.callsOf('settings.setStartup')).toEqual([{ synchronous: 'FULL', metricsPort: null }])
    );
    expect((await screen.findByTestId('settings-restart')).textContent).toContain('restart the app to apply');
  });
});
