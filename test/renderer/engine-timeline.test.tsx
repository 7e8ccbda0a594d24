import { fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { EngineTimeline } from '../../main/contract';
import { EngineTimelineCard, stateAt, windowAround } from '../../renderer/src/views/engine/Timeline';
import { pending } from './fake-client';
import { unreachable } from './fixtures';
import { renderWithApp } from './render';

const T0 = Date.parse('2026-12-06T12:00:00.000Z');
const at = (min: number): string => new Date(T0 + min * 60_000).toISOString();

function timeline(): EngineTimeline {
  return {
    from: at(0),
    to: at(60),
    events: [
      { at: at(5), kind: 'attention', label: 'nothing → payments (unhealthy)', decisionId: null, input: null },
      {
        at: at(6),
        kind: 'decision',
        label: 'restart_service for service_unhealthy on payments',
        decisionId: 'p-1',
        input: { family: 'service', stream: 'ORCHESTRATOR_EVENTS', seq: 42 }
      },
      { at: at(30), kind: 'mode', label: 'mode adaptive → focused', decisionId: null, input: null },
      { at: at(58), kind: 'learning', label: 'restart_service worked', decisionId: 'p-1', input: null }
    ],
    inputs: [{ at: at(6), service: 3, system: 0, user: 0, security: 1 }],
    inputsSince: at(0),
    series: [
      { at: at(1), load: 0.1, valence: 0, mode: 1 },
      { at: at(6), load: 0.4, valence: -0.3, mode: 1 },
      { at: at(30), load: 0.9, valence: -0.5, mode: 0 }
    ]
  };
}

describe('timeline helpers', () => {
  it('stateAt is the last state at or before the cursor', () => {
    const s = timeline().series;
    expect(stateAt(s, T0 + 7 * 60_000)?.load).toBe(0.4);
    expect(stateAt(s, T0 + 59 * 60_000)?.mode).toBe(0);
    expect(stateAt([], T0)).toBeNull();
  });

  it('windowAround keeps the span inside the window', () => {
    expect(windowAround(50, 0, 100, 20)).toEqual({ from: 40, to: 60 });
    expect(windowAround(5, 0, 100, 20)).toEqual({ from: 0, to: 20 });
    expect(windowAround(99, 0, 100, 20)).toEqual({ from: 80, to: 100 });
    expect(windowAround(5, 0, 10, 20)).toEqual({ from: 0, to: 10 });
  });
});

describe('Engine timeline card', () => {
  it('says it is loading', () => {
    renderWithApp(<EngineTimelineCard onWhy={() => undefined} />, { 'engine.timeline': pending });
    expect(within(screen.getByTestId('engine-timeline')).getByRole('status').textContent).toContain(
      'Loading the timeline'
    );
  });

  it('says what would fill an empty window', async () => {
    renderWithApp(<EngineTimelineCard onWhy={() => undefined} />, {
      'engine.timeline': { from: at(0), to: at(60), events: [], inputs: [], inputsSince: at(0), series: [] }
    });
    expect((await screen.findByTestId('empty-state')).textContent).toContain('run synos-cc simulate');
  });

  it('shows the typed error', async () => {
    renderWithApp(<EngineTimelineCard onWhy={() => undefined} />, { 'engine.timeline': unreachable() });
    expect((await screen.findByRole('alert')).textContent).toContain('NATS_UNREACHABLE');
  });

  it('scrubs: previous / next event move the cursor, the state at the cursor follows, filters hide kinds, a decision opens why', async () => {
    const asked: string[] = [];
    renderWithApp(<EngineTimelineCard onWhy={(id) => asked.push(id)} />, { 'engine.timeline': timeline() });
    // Following the newest: the window is the last 10 minutes, holding the learning event.
    const list = await screen.findByTestId('timeline-events');
    expect(list.textContent).toContain('restart_service worked');
    expect(screen.getByTestId('timeline-at-cursor').textContent).toContain('focused');

    // Back to the learning event (the cursor was past it), the mode change, then the decision.
    fireEvent.click(screen.getByRole('button', { name: '◀ Previous event' }));
    expect(screen.getByRole('listitem', { current: true }).textContent).toContain('restart_service worked');
    fireEvent.click(screen.getByRole('button', { name: '◀ Previous event' }));
    expect(screen.getByRole('listitem', { current: true }).textContent).toContain('mode adaptive → focused');
    fireEvent.click(screen.getByRole('button', { name: '◀ Previous event' }));
    const current = screen.getByRole('listitem', { current: true });
    expect(current.textContent).toContain('restart_service for service_unhealthy on payments');
    expect(within(current).getByRole('link').getAttribute('href')).toBe('#/streams/ORCHESTRATOR_EVENTS/messages/42');
    const facts = screen.getByTestId('timeline-at-cursor').textContent;
    expect(facts).toContain('Load0.4Valence-0.3');
    expect(facts).toContain('adaptive');
    fireEvent.click(within(current).getByRole('button', { name: /^Why restart_service/ }));
    expect(asked).toEqual(['p-1']);

    // Hiding decisions takes them off the list; the slider moves the cursor too.
    fireEvent.click(screen.getByRole('checkbox', { name: 'decisions' }));
    expect(screen.getByTestId('timeline-events').textContent).not.toContain('restart_service for');
    fireEvent.change(screen.getByRole('slider'), { target: { value: String(T0 + 2 * 60_000) } });
    expect(screen.getByTestId('timeline-at-cursor').textContent).toContain('Load0.1Valence0');
    fireEvent.click(screen.getByRole('button', { name: 'Follow the newest' }));
    expect(screen.getByTestId('timeline-at-cursor').textContent).toContain('focused');
  });
});
