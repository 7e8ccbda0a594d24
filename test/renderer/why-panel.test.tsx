import { fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { DecisionWhy, OutputOf } from '../../main/contract';
import { ContractError } from '../../main/contract/errors';
import { EngineView } from '../../renderer/src/views/Engine';
import { WhyPanel } from '../../renderer/src/views/engine/WhyPanel';
import { pending, type Answers } from './fake-client';
import { engineSnapshot, NOW, unreachable } from './fixtures';
import { renderWithApp } from './render';

function why(over: Partial<DecisionWhy> = {}): DecisionWhy {
  return {
    decisionId: 'p-abc-1',
    messageId: 'out-decision-1',
    decidedAt: NOW,
    decision: {
      problem_id: 'p-abc-1',
      kind: 'service_unhealthy',
      action: 'restart_service',
      confidence: 0.7,
      rationale: 'payments unhealthy; restart_service has the highest learned weight',
      target: 'payments'
    },
    inputs: [
      {
        id: 'in-77',
        source: 'orchestrator/health',
        type: 'service.health.update',
        time: NOW,
        subject: 'orchestrator.service.health',
        stream: 'ORCHESTRATOR_EVENTS',
        seq: 42,
        durable: 'consciousness_bridge_service',
        deliveryCount: 1
      }
    ],
    state: {
      state: { ...engineSnapshot('payments', 0.61).state, mode: 'adaptive', valence: -0.35 },
      attention: [
        { target: 'payments', weight: 0.8 },
        { target: 'orders', weight: 0.2 }
      ],
      inputRatePerSecond: 3.5
    },
    strategy: {
      kind: 'service_unhealthy',
      action: 'restart_service',
      weight: 0.7,
      alternatives: [{ action: 'investigate', weight: 0.55 }]
    },
    outputs: [
      {
        id: 'out-decision-1',
        type: 'consciousness.decision_made',
        subject: 'consciousness.decision_made',
        state: 'published',
        stream: 'CONSCIOUSNESS_EVENTS',
        seq: 9001,
        duplicate: false,
        attempts: 1,
        lastError: null
      },
      {
        id: 'out-decision-1-fwd',
        type: 'consciousness.decision_made',
        subject: 'orchestrator.consciousness.decision',
        state: 'dead',
        stream: null,
        seq: null,
        duplicate: null,
        attempts: 10,
        lastError: 'no stream takes the subject'
      },
      {
        id: 'out-state-1',
        type: 'consciousness.state_change',
        subject: 'consciousness.state_change',
        state: 'pending',
        stream: null,
        seq: null,
        duplicate: null,
        attempts: 0,
        lastError: null
      }
    ],
    ...over
  };
}

describe('Why panel', () => {
  it('says it is loading, and shows no explanation yet', () => {
    renderWithApp(<WhyPanel id="p-abc-1" onClose={() => undefined} />, { 'engine.why': pending });
    expect(within(screen.getByTestId('why-panel')).getByRole('status').textContent).toContain('Loading');
    expect(screen.queryByTestId('why-inputs')).toBeNull();
  });

  it('says so when no explanation is recorded (NOT_FOUND), with the reason', async () => {
    renderWithApp(<WhyPanel id="p-old-1" onClose={() => undefined} />, {
      'engine.why': new ContractError('NOT_FOUND', 'no decision "p-old-1" is recorded in this data directory')
    });
    const missing = await screen.findByTestId('why-missing');
    expect(missing.textContent).toContain('No explanation is recorded for this decision.');
    expect(missing.textContent).toContain('no decision "p-old-1"');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows any other typed error with its next step', async () => {
    renderWithApp(<WhyPanel id="p-abc-1" onClose={() => undefined} />, { 'engine.why': unreachable() });
    const note = await screen.findByRole('alert');
    expect(note.textContent).toContain('NATS_UNREACHABLE');
  });

  it('shows the input with a link to it in the message browser, the state, the strategy and each output’s PubAck', async () => {
    const { client } = renderWithApp(<WhyPanel id="p-abc-1" onClose={() => undefined} />, { 'engine.why': why() });
    const link = await screen.findByTestId('why-input-link');
    expect(link.textContent).toBe('ORCHESTRATOR_EVENTS #42');
    expect(link.getAttribute('href')).toBe('#/streams/ORCHESTRATOR_EVENTS/messages/42');
    expect(screen.getByTestId('why-inputs').textContent).toContain('in-77');
    expect(client.callsOf('engine.why')).toEqual([{ id: 'p-abc-1' }]);

    const state = screen.getByTestId('why-state');
    expect(state.textContent).toContain('0.61');
    expect(state.textContent).toContain('adaptive');
    expect(state.textContent).toContain('-0.35');
    const attention = screen.getByRole('table', { name: 'Attention weights when it decided' });
    expect(within(attention).getByText('payments')).toBeTruthy();

    expect(screen.getByTestId('why-strategy').textContent).toMatch(/restart_service has the learned weight 0\.7/);
    expect(screen.getByTestId('why-strategy').textContent).toContain('investigate 0.55');

    const rows = screen.getAllByTestId('why-output');
    expect(rows).toHaveLength(3);
    expect(rows[0]!.textContent).toContain('published');
    const seqLink = within(rows[0]!).getByRole('link');
    expect(seqLink.textContent).toBe('CONSCIOUSNESS_EVENTS #9001');
    expect(seqLink.getAttribute('href')).toBe('#/streams/CONSCIOUSNESS_EVENTS/messages/9001');
    expect(rows[1]!.textContent).toContain('dead letter');
    expect(rows[1]!.textContent).toContain('no stream takes the subject');
    expect(rows[2]!.textContent).toContain('pending (no PubAck yet)');
    expect(rows[2]!.textContent).toContain('not yet');
  });
});

describe('Engine view opens the why panel', () => {
  const problems: OutputOf<'engine.problems'> = [
    {
      id: 'p-abc-1',
      kind: 'service_unhealthy',
      target: 'payments',
      trigger: 'payments unhealthy',
      openedAt: NOW,
      status: 'open',
      resolvedAt: null,
      action: 'restart_service',
      confidence: 0.7,
      rationale: 'because',
      outcome: null,
      judgedAt: null,
      weightAfter: null
    }
  ];
  const answers: Answers = {
    'engine.state': engineSnapshot(null),
    'engine.problems': problems,
    'engine.strategies': [],
    'engine.memory': { longTerm: [], total: 0 },
    'engine.events': [
      {
        id: 'out-decision-1',
        time: NOW,
        priority: 'high',
        subjects: ['consciousness.decision_made'],
        type: 'consciousness.decision_made',
        data: why().decision
      }
    ],
    'engine.why': why(),
    'engine.timeline': { from: NOW, to: NOW, events: [], inputs: [], inputsSince: NOW, series: [] }
  };

  it('from a problem row and from a decision event, and closes again', async () => {
    const { client } = renderWithApp(<EngineView />, answers);
    fireEvent.click(await screen.findByRole('button', { name: 'Why restart_service for payments (p-abc-1)' }));
    const panel = await screen.findByTestId('why-panel');
    expect(await within(panel).findByTestId('why-input-link')).toBeTruthy();
    expect(client.callsOf('engine.why')).toContainEqual({ id: 'p-abc-1' });
    fireEvent.click(within(panel).getByRole('button', { name: 'Close' }));
    expect(screen.queryByTestId('why-panel')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Why restart_service (p-abc-1)' }));
    expect(await screen.findByTestId('why-panel')).toBeTruthy();
  });
});
