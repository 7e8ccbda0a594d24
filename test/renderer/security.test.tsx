import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { OutputOf } from '../../main/contract';
import { SecurityView } from '../../renderer/src/views/Security';
import { pending, type Answers } from './fake-client';
import { engineSnapshot, NOW, unreachable } from './fixtures';
import { renderWithApp } from './render';

type SecurityEvent = OutputOf<'security.events'>['items'][number];

function securityEvent(seq: number, summary: string): SecurityEvent {
  return {
    id: `s${seq}`,
    seq,
    time: NOW,
    receivedAt: NOW,
    type: 'security.auth.failure',
    severity: 'high',
    source: 'gateway',
    target: 'admin',
    summary,
    data: {}
  };
}

const empty: Answers = {
  'engine.state': engineSnapshot(null),
  'security.events': { items: [], countsBySeverity: {} },
  'bridge.invalidMessages': { counts: {}, total: 0, items: [] }
};

describe('Security view', () => {
  it('shows no tables and no empty states while loading', () => {
    const loading = Object.fromEntries(Object.keys(empty).map((k) => [k, pending])) as Answers;
    renderWithApp(<SecurityView />, loading);
    expect(screen.getByRole('heading', { level: 1, name: 'Security' })).toBeTruthy();
    expect(screen.queryByText('No security events match.')).toBeNull();
    expect(screen.queryByText('No message has been rejected.')).toBeNull();
  });

  it('says there are no security events and no rejected messages', async () => {
    renderWithApp(<SecurityView />, empty);
    expect(await screen.findByText('No security events match.')).toBeTruthy();
    expect(await screen.findByText('No message has been rejected.')).toBeTruthy();
  });

  it('shows the typed error of a failed list', async () => {
    renderWithApp(<SecurityView />, { ...empty, 'security.events': unreachable() });
    const card = screen.getByRole('heading', { name: 'Security events' }).closest('article')!;
    const note = await within(card).findByRole('alert');
    expect(note.textContent).toContain('NATS_UNREACHABLE');
    expect(note.textContent).toContain('pick another connection profile');
  });

  it('lists security events and re-asks once after a burst of pushed ones', async () => {
    const { client } = renderWithApp(<SecurityView />, {
      ...empty,
      'security.events': { items: [securityEvent(1, 'bad password for admin')], countsBySeverity: { high: 1 } }
    });
    const table = await screen.findByRole('table', { name: 'Security events' });
    expect(within(table).getAllByTestId('security-row')).toHaveLength(1);
    const asked = client.callsOf('security.events').length;
    const fresh = [
      securityEvent(3, 'token replay'),
      securityEvent(2, 'bad password for root'),
      securityEvent(1, 'bad password for admin')
    ];
    client.answer({ 'security.events': { items: fresh, countsBySeverity: { high: 3 } } });
    client.push('security.event', fresh[1]!, fresh[0]!);
    client.push('security.event', fresh[0]!);
    await waitFor(() => expect(within(table).getAllByTestId('security-row')).toHaveLength(3));
    expect(within(table).getByText('token replay')).toBeTruthy();
    expect(client.callsOf('security.events').length).toBe(asked + 1);
  });
});
