import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { RuleSetting } from '../../main/contract';
import { ContractError } from '../../main/contract/errors';
import { RuleThresholds } from '../../renderer/src/views/RuleThresholds';
import { pending } from './fake-client';
import { renderWithApp } from './render';

function rule(over: Partial<RuleSetting> = {}): RuleSetting {
  const values = {
    enabled: true,
    threshold: 1000,
    criticalThreshold: 10_000,
    severity: 'WARNING' as const,
    forSeconds: 60
  };
  return {
    ...values,
    rule: 'outbox.backlog',
    title: 'Outbox backlog',
    description: 'Messages waiting in the outbox',
    unit: 'count',
    defaults: values,
    updatedAt: null,
    ...over
  };
}

describe('Alert rule thresholds', () => {
  it('shows no rules and no empty state while loading', () => {
    renderWithApp(<RuleThresholds />, { 'alerts.rules': pending });
    expect(screen.getByRole('heading', { name: 'Alert rule thresholds' })).toBeTruthy();
    expect(screen.queryByRole('form')).toBeNull();
    expect(screen.queryByText('No alert rules in this core.')).toBeNull();
  });

  it('says so when the core has no rules', async () => {
    renderWithApp(<RuleThresholds />, { 'alerts.rules': [] });
    expect(await screen.findByText('No alert rules in this core.')).toBeTruthy();
  });

  it('shows the typed error when the rules cannot be read', async () => {
    renderWithApp(<RuleThresholds />, {
      'alerts.rules': new ContractError('INTERNAL', 'the settings table is unreadable')
    });
    expect((await screen.findByRole('alert')).textContent).toContain('the settings table is unreadable');
  });

  it('shows each rule with its current values, and whether it is on its defaults', async () => {
    renderWithApp(<RuleThresholds />, {
      'alerts.rules': [
        rule(),
        rule({
          rule: 'nats.disconnected',
          title: 'NATS unreachable',
          unit: 'seconds',
          threshold: 5,
          criticalThreshold: null,
          updatedAt: '2026-12-06T12:00:00.000Z'
        })
      ]
    });
    const backlog = await screen.findByRole('form', { name: 'Rule outbox.backlog' });
    expect((within(backlog).getByRole('spinbutton', { name: /Threshold/ }) as HTMLInputElement).value).toBe('1000');
    expect((within(backlog).getByRole('spinbutton', { name: /Critical at/ }) as HTMLInputElement).value).toBe('10000');
    expect(within(backlog).getByText('defaults')).toBeTruthy();
    expect((within(backlog).getByRole('button', { name: 'Reset to defaults' }) as HTMLButtonElement).disabled).toBe(
      true
    );
    const nats = screen.getByRole('form', { name: 'Rule nats.disconnected' });
    expect(within(nats).getByRole('spinbutton', { name: /Threshold s/ })).toBeTruthy();
    expect((within(nats).getByRole('spinbutton', { name: /Critical at/ }) as HTMLInputElement).value).toBe('');
    expect(within(nats).getByText(/^edited /)).toBeTruthy();
  });

  it('saves a new threshold from the keyboard (Enter in the field) and shows the stored values', async () => {
    const user = userEvent.setup();
    const { client } = renderWithApp(<RuleThresholds />, {
      'alerts.rules': [rule()],
      'alerts.rules.set': (input) => rule({ threshold: input.threshold ?? 0, updatedAt: '2026-12-06T12:05:00.000Z' })
    });
    const form = await screen.findByRole('form', { name: 'Rule outbox.backlog' });
    const threshold = within(form).getByRole('spinbutton', { name: /Threshold/ });
    await user.clear(threshold);
    await user.type(threshold, '2500');
    await user.clear(within(form).getByRole('spinbutton', { name: /Critical at/ }));
    client.answer({
      'alerts.rules': [rule({ threshold: 2500, criticalThreshold: null, updatedAt: '2026-12-06T12:05:00.000Z' })]
    });
    await user.type(threshold, '{Enter}');
    expect(client.callsOf('alerts.rules.set')).toEqual([
      {
        rule: 'outbox.backlog',
        enabled: true,
        threshold: 2500,
        criticalThreshold: null,
        forSeconds: 60,
        severity: 'WARNING'
      }
    ]);
    expect(await screen.findByText(/^edited /)).toBeTruthy();
    const again = screen.getByRole('form', { name: 'Rule outbox.backlog' });
    expect((within(again).getByRole('button', { name: 'Reset to defaults' }) as HTMLButtonElement).disabled).toBe(
      false
    );
  });

  it('shows a refused change with its reason and keeps what was typed', async () => {
    const user = userEvent.setup();
    renderWithApp(<RuleThresholds />, {
      'alerts.rules': [rule()],
      'alerts.rules.set': new ContractError('INVALID_INPUT', 'threshold must be at most the critical threshold')
    });
    const form = await screen.findByRole('form', { name: 'Rule outbox.backlog' });
    const threshold = within(form).getByRole('spinbutton', { name: /Threshold/ });
    await user.clear(threshold);
    await user.type(threshold, '20000{Enter}');
    expect((await screen.findByRole('alert')).textContent).toContain(
      'threshold must be at most the critical threshold'
    );
    expect((threshold as HTMLInputElement).value).toBe('20000');
  });
});
