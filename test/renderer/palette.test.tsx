import { screen, waitFor, within } from '@testing-library/react';
import { VIEWS } from '../../renderer/src/views/registry';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from '../../renderer/src/App';
import type { Answers } from './fake-client';
import { connected, engineSnapshot, metricsSnapshot, systemInfo } from './fixtures';
import { renderWithApp } from './render';

const answers: Answers = {
  'connection.status': connected,
  'connection.connect': connected,
  'alerts.list': { alerts: [], total: 0 },
  'metrics.snapshot': metricsSnapshot,
  'engine.state': engineSnapshot('orders'),
  'health.services': [],
  'system.info': systemInfo
};

describe('command palette and keyboard navigation', () => {
  it('opens with Ctrl+K, filters as the operator types, and runs the chosen action with Enter', async () => {
    const user = userEvent.setup();
    const { client } = renderWithApp(<App />, answers);
    await screen.findByRole('heading', { level: 1, name: 'Overview' });
    expect(screen.queryByRole('dialog', { name: 'Command palette' })).toBeNull();

    await user.keyboard('{Control>}k{/Control}');
    const dialog = await screen.findByRole('dialog', { name: 'Command palette' });
    const input = within(dialog).getByRole('combobox', { name: 'Command' });
    expect(document.activeElement).toBe(input);
    const all = within(dialog).getAllByRole('option').length;

    await user.keyboard('reconnect');
    const options = within(dialog).getAllByRole('option');
    expect(options.length).toBeLessThan(all);
    expect(options.map((o) => o.textContent)).toEqual(['Action Connect to NATS (reconnect)']);
    expect(options[0]!.getAttribute('aria-selected')).toBe('true');

    await user.keyboard('{Enter}');
    await waitFor(() => expect(client.callsOf('connection.connect')).toEqual([{}]));
    expect(screen.queryByRole('dialog', { name: 'Command palette' })).toBeNull();
    expect((await screen.findByTestId('toasts')).textContent).toContain('Connect: done');
  });

  it('opens with Cmd+K too, says when nothing matches, and goes to a view chosen with the arrows', async () => {
    const user = userEvent.setup();
    renderWithApp(<App />, { ...answers, 'alerts.list': { alerts: [], total: 0 } });
    await screen.findByRole('heading', { level: 1, name: 'Overview' });
    await user.keyboard('{Meta>}k{/Meta}');
    const dialog = await screen.findByRole('dialog', { name: 'Command palette' });
    await user.keyboard('zzzz');
    expect(within(dialog).getByText('No command matches “zzzz”.')).toBeTruthy();
    await user.clear(within(dialog).getByRole('combobox'));
    await user.keyboard('go to');
    const first = within(dialog).getAllByRole('option')[0]!;
    expect(first.textContent).toBe('Go to Overview');
    await user.keyboard('{ArrowDown}');
    const second = within(dialog).getAllByRole('option')[1]!;
    expect(second.textContent).toBe('Go to Streams');
    expect(second.getAttribute('aria-selected')).toBe('true');
    await user.keyboard('{Enter}');
    await waitFor(() => expect(window.location.hash).toBe('#/streams'));
    expect(await screen.findByRole('heading', { level: 1, name: 'Streams' })).toBeTruthy();
  });

  it('moves between views with Alt+digit and Alt+arrows', async () => {
    const user = userEvent.setup();
    renderWithApp(<App />, answers);
    await screen.findByRole('heading', { level: 1, name: 'Overview' });
    // Alt+9 is the ninth view of the navigation, whichever that is today.
    await user.keyboard('{Alt>}9{/Alt}');
    expect(await screen.findByRole('heading', { level: 1, name: VIEWS[8]!.label })).toBeTruthy();
    await user.keyboard('{Alt>}{ArrowUp}{/Alt}');
    expect(await screen.findByRole('heading', { level: 1, name: VIEWS[7]!.label })).toBeTruthy();
    expect(screen.getByRole('link', { name: VIEWS[7]!.label }).getAttribute('aria-current')).toBe('page');
  });
});
