import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { TailInfo, TailMessage } from '../../main/contract';
import { MessagesView } from '../../renderer/src/views/Messages';
import { pending } from './fake-client';
import { unreachable } from './fixtures';
import { renderWithApp } from './render';

const info = (over: Partial<TailInfo> = {}): TailInfo => ({
  id: 't1',
  subject: 'orders.>',
  state: 'running',
  capacity: 10_000,
  previewBytes: 2048,
  buffered: 0,
  received: 0,
  dropped: 0,
  startedAt: '2026-12-06T12:00:00.000Z',
  lastMessageAt: null,
  ...over
});

const message = (seq: number, subject: string, payload: string): TailMessage => ({
  seq,
  subject,
  time: '2026-12-06T12:00:01.000Z',
  reply: null,
  headers: null,
  size: payload.length,
  payload,
  encoding: 'utf8',
  truncated: false
});

async function startTail(user: ReturnType<typeof userEvent.setup>): Promise<void> {
  const form = screen.getByRole('form', { name: 'Live tail' });
  const subject = within(form).getByRole('textbox', { name: /Subject/ });
  await user.clear(subject);
  await user.type(subject, 'orders.>{Enter}');
}

describe('Messages view: live tail', () => {
  it('says no tail is running and how to start one', () => {
    renderWithApp(<MessagesView />);
    expect(screen.getByText('No live tail running.')).toBeTruthy();
    expect(screen.getByTestId('tail-state').textContent).toBe('stopped');
    expect((screen.getByRole('button', { name: 'Pause' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('while the tail is starting, shows no messages and still says stopped', async () => {
    const user = userEvent.setup();
    const { client } = renderWithApp(<MessagesView />, { 'tail.start': pending });
    await startTail(user);
    expect(client.callsOf('tail.start')).toEqual([{ subject: 'orders.>', capacity: 10_000, previewBytes: 2048 }]);
    expect(screen.getByTestId('tail-state').textContent).toBe('stopped');
    expect(screen.queryByRole('button', { name: /^Message \d+ on/ })).toBeNull();
  });

  it('shows the typed error with its next step when NATS is unreachable', async () => {
    const user = userEvent.setup();
    renderWithApp(<MessagesView />, { 'tail.start': unreachable() });
    await startTail(user);
    const note = await screen.findByRole('alert');
    expect(note.textContent).toContain('NATS_UNREACHABLE');
    expect(note.textContent).toContain('pick another connection profile');
    expect(screen.getByText('No live tail running.')).toBeTruthy();
  });

  it('started from the keyboard, waits for messages, then shows the pushed ones and their counters', async () => {
    const user = userEvent.setup();
    const { client } = renderWithApp(<MessagesView />, { 'tail.start': info(), 'tail.stop': { stopped: true } });
    await startTail(user);
    expect(await screen.findByText('Waiting for messages on orders.>…')).toBeTruthy();
    expect(screen.getByTestId('tail-state').textContent).toBe('tailing orders.>');
    act(() =>
      client.push('tail.messages', {
        tailId: 't1',
        messages: [message(1, 'orders.created', '{"id":1}'), message(3, 'orders.paid', '{"id":1}')],
        received: 3,
        dropped: 1,
        state: 'running'
      })
    );
    // The rows are virtualised (jsdom lays nothing out, so none is drawn): the counters and the list say it.
    await waitFor(() => expect(screen.getByTestId('tail-shown').textContent).toBe('2'));
    expect(screen.getByTestId('tail-received').textContent).toBe('3');
    expect(screen.getByTestId('tail-dropped').textContent).toBe('1');
    expect(screen.queryByText('Waiting for messages on orders.>…')).toBeNull();
    expect(screen.getByLabelText(/Tailed messages/)).toBeTruthy();
    // A batch of another tail (an earlier one, or another client's) is not counted.
    act(() =>
      client.push('tail.messages', {
        tailId: 'other',
        messages: [message(9, 'x', 'y')],
        received: 9,
        dropped: 0,
        state: 'running'
      })
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(screen.getByTestId('tail-shown').textContent).toBe('2');
    expect(screen.getByTestId('tail-received').textContent).toBe('3');
  });

  it('pauses and resumes, saying the ring keeps the newest messages while paused', async () => {
    const user = userEvent.setup();
    renderWithApp(<MessagesView />, {
      'tail.start': info(),
      'tail.pause': info({ state: 'paused' }),
      'tail.resume': info(),
      'tail.stop': { stopped: true }
    });
    await startTail(user);
    await screen.findByText('Waiting for messages on orders.>…');
    await user.click(screen.getByRole('button', { name: 'Pause' }));
    await waitFor(() => expect(screen.getByTestId('tail-state').textContent).toContain('paused: the ring keeps'));
    await user.click(screen.getByRole('button', { name: 'Resume' }));
    await waitFor(() => expect(screen.getByTestId('tail-state').textContent).toBe('tailing orders.>'));
  });
});

describe('Messages view: publish', () => {
  it('checks the data against the chosen envelope type and refuses to send invalid data', async () => {
    const user = userEvent.setup();
    renderWithApp(<MessagesView />);
    const form = screen.getByRole('form', { name: 'Publish' });
    expect(within(form).getByTestId('envelope-check').textContent).toContain('valid service.health.update data');
    const data = within(form).getByRole('textbox', { name: /Data \(JSON\)/ });
    await user.clear(data);
    await user.type(data, '{{"status": 1}');
    expect(within(form).getByTestId('envelope-check').getAttribute('role')).toBe('alert');
    expect((within(form).getByRole('button', { name: 'Publish' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('publishes from the keyboard (Enter in the subject) and shows the typed error when refused', async () => {
    const user = userEvent.setup();
    const { client } = renderWithApp(<MessagesView />, { 'messages.publish': unreachable() });
    const form = screen.getByRole('form', { name: 'Publish' });
    const subject = within(form).getByRole('textbox', { name: /Subject/ });
    await user.clear(subject);
    await user.type(subject, 'orchestrator.service.health{Enter}');
    expect(client.callsOf('messages.publish')).toHaveLength(1);
    expect(client.callsOf('messages.publish')[0]).toMatchObject({
      subject: 'orchestrator.service.health',
      count: 1,
      envelope: { type: 'service.health.update' }
    });
    expect((await within(form).findByText(/NATS_UNREACHABLE/)).textContent).toContain('NATS_UNREACHABLE');
  });
});
