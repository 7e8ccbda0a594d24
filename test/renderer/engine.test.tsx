import { screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { EngineView } from '../../renderer/src/views/Engine';
import type { OutputOf } from '../../main/contract';
import { pending, type Answers } from './fake-client';
import { engineSnapshot, NOW, unreachable } from './fixtures';
import { renderWithApp } from './render';

type EngineEvent = OutputOf<'engine.events'>[number];

function stateChange(id: string, focus: string): EngineEvent {
  return {
    id,
    time: NOW,
    priority: 'normal',
    subjects: [],
    type: 'consciousness.state_change',
    data: engineSnapshot(focus).state
  };
}

const empty: Answers = {
  'engine.state': engineSnapshot(null),
  'engine.problems': [],
  'engine.strategies': [],
  'engine.memory': { longTerm: [], total: 0 },
  'engine.events': [],
  'engine.timeline': { from: NOW, to: NOW, events: [], inputs: [], inputsSince: NOW, series: [] }
};

describe('Engine view', () => {
  it('shows no state card and no empty lists while loading', () => {
    const loading = Object.fromEntries(Object.keys(empty).map((k) => [k, pending])) as Answers;
    renderWithApp(<EngineView />, loading);
    expect(screen.getByRole('heading', { level: 1, name: 'Engine' })).toBeTruthy();
    expect(screen.queryByRole('article', { name: 'Consciousness state' })).toBeNull();
    expect(screen.queryByText('No problems so far.')).toBeNull();
    expect(screen.queryByText('The engine has emitted nothing yet.')).toBeNull();
  });

  it('says what is empty: problems, strategies, working memory, events', async () => {
    renderWithApp(<EngineView />, empty);
    expect(await screen.findByText('No problems so far.')).toBeTruthy();
    expect(await screen.findByText('No strategies learned yet.')).toBeTruthy();
    expect(await screen.findByText('The engine has emitted nothing yet.')).toBeTruthy();
    expect(screen.getByText('Empty: nothing has been seen recently.')).toBeTruthy();
    expect(screen.getByTestId('engine-focus').textContent).toBe('nothing in focus');
  });

  it('shows the typed error when the engine state cannot be read', async () => {
    renderWithApp(<EngineView />, { ...empty, 'engine.state': unreachable() });
    const note = await screen.findByRole('alert');
    expect(note.textContent).toContain('NATS_UNREACHABLE');
    expect(note.textContent).toContain('pick another connection profile');
  });

  it('takes the pushed engine state as is, and shows pushed events without asking for the list again', async () => {
    const { client } = renderWithApp(<EngineView />, { ...empty, 'engine.events': [stateChange('e1', 'orders')] });
    expect(await screen.findByText(/focus orders/)).toBeTruthy();
    const stateCalls = client.callsOf('engine.state').length;
    const pushed = engineSnapshot('payments');
    pushed.counters.inputs = 1234;
    client.push('engine.state', pushed);
    await waitFor(() => expect(screen.getByTestId('engine-focus').textContent).toBe('payments'));
    expect(screen.getByTestId('engine-inputs').textContent).toBe('1,234');
    expect(client.callsOf('engine.state').length).toBe(stateCalls);

    // The recent-events list takes the pushed records themselves (newest first), not a re-fetch.
    client.push('engine.event', stateChange('e2', 'refunds'), stateChange('e3', 'refunds'));
    client.push('engine.event', stateChange('e4', 'refunds'));
    await waitFor(() => expect(screen.getAllByText(/focus refunds/).length).toBe(3));
    expect(screen.getAllByText(/focus orders/).length).toBeGreaterThanOrEqual(1);
  });
});
