import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { BrowsedMessage, OutputOf } from '../../main/contract';
import { ContractError } from '../../main/contract/errors';
import { EnvelopeRow } from '../../renderer/src/components/EnvelopeRow';
import { cloudEventOf } from '../../renderer/src/lib/cloudevent';
import { MessagesBrowser } from '../../renderer/src/views/MessagesBrowser';
import { pending, type Answers } from './fake-client';
import { NOW, recording, unreachable } from './fixtures';
import { renderWithApp } from './render';

function b64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function message(seq: number, body: unknown, headers: BrowsedMessage['headers'] = null): BrowsedMessage {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    seq,
    subject: 'consciousness.decision_made',
    time: NOW,
    headers,
    size: text.length,
    format: typeof body === 'string' ? 'text' : 'json',
    payloadBase64: b64(text),
    truncated: false
  };
}

const cloudEvent = {
  specversion: '1.0',
  id: 'evt-1',
  source: 'synos/control-center',
  type: 'consciousness.decision_made',
  time: NOW,
  synosepoch: 7,
  data: { problem_id: 'p-1' }
};

function page(messages: BrowsedMessage[]): OutputOf<'streams.browse'> {
  return {
    stream: 'CONSCIOUSNESS_EVENTS',
    messages,
    nextSeq: null,
    firstSeq: 1,
    lastSeq: 100,
    method: 'direct'
  };
}

describe('CloudEvents envelope of a message', () => {
  it('reads a structured-mode body, the epoch from synosepoch or else the Synos-Epoch header', () => {
    expect(cloudEventOf(JSON.stringify(cloudEvent), null)).toMatchObject({
      type: 'consciousness.decision_made',
      id: 'evt-1',
      source: 'synos/control-center',
      epoch: 7,
      mode: 'structured'
    });
    const { synosepoch: _dropped, ...noEpoch } = cloudEvent;
    expect(cloudEventOf(JSON.stringify(noEpoch), { 'Synos-Epoch': ['12'] })?.epoch).toBe(12);
    expect(cloudEventOf(JSON.stringify(noEpoch), null)?.epoch).toBeNull();
  });

  it('reads binary-mode ce-* headers, and is null for anything that is not a CloudEvent', () => {
    expect(
      cloudEventOf('raw', { 'ce-type': ['x.y'], 'ce-source': ['s'], 'ce-id': ['1'], 'ce-time': [NOW] })
    ).toMatchObject({ type: 'x.y', source: 's', id: '1', time: NOW, epoch: null, mode: 'binary' });
    expect(cloudEventOf('{"hello":1}', null)).toBeNull();
    expect(cloudEventOf('{"specversion":"1.0","id":"1"', null)).toBeNull();
    expect(cloudEventOf('plain text', null)).toBeNull();
    expect(cloudEventOf(null, null)).toBeNull();
  });

  it('shows type, source, id, time and epoch in one row', () => {
    renderWithApp(<EnvelopeRow envelope={cloudEventOf(JSON.stringify(cloudEvent), null)!} />);
    const row = screen.getByTestId('envelope-row');
    expect(within(row).getByTestId('envelope-type').textContent).toBe('consciousness.decision_made');
    expect(within(row).getByTestId('envelope-id').textContent).toBe('evt-1');
    expect(within(row).getByTestId('envelope-epoch').textContent).toBe('7');
    expect(row.textContent).toContain('synos/control-center');
  });
});

describe('Message browser', () => {
  const answers: Answers = {
    'streams.browse': page([message(5, cloudEvent), message(6, 'not an event'), message(7, cloudEvent)])
  };

  it('shows nothing while loading, and the typed error when the page cannot be read', async () => {
    const r = renderWithApp(<MessagesBrowser name="CONSCIOUSNESS_EVENTS" />, { 'streams.browse': pending });
    expect(screen.queryByTestId('browsed-messages')).toBeNull();
    expect(screen.queryByTestId('empty-state')).toBeNull();
    r.unmount();
    renderWithApp(<MessagesBrowser name="CONSCIOUSNESS_EVENTS" />, { 'streams.browse': unreachable() });
    expect((await screen.findByRole('alert')).textContent).toContain('NATS_UNREACHABLE');
  });

  it('says what the stream holds when the page is empty', async () => {
    renderWithApp(<MessagesBrowser name="CONSCIOUSNESS_EVENTS" />, { 'streams.browse': page([]) });
    expect((await screen.findByTestId('empty-state')).textContent).toContain('holds sequences 1 … 100');
  });

  it('opens at a sequence with that message expanded; a CloudEvent shows its envelope row, other messages none', async () => {
    const { client, container } = renderWithApp(<MessagesBrowser name="CONSCIOUSNESS_EVENTS" seq={7} />, answers);
    await screen.findAllByTestId('browsed-message');
    expect(client.callsOf('streams.browse')[0]).toMatchObject({ from: { seq: 7 } });
    const open = container.querySelectorAll('details[open]');
    expect(open).toHaveLength(1);
    expect(open[0]!.textContent).toContain('#7');
    const rows = screen.getAllByTestId('browsed-message');
    expect(within(rows[0]!).queryByTestId('envelope-row')).not.toBeNull();
    expect(within(rows[1]!).queryByTestId('envelope-row')).toBeNull();
  });

  it('ticking the first and last message selects the range; Export sends it as a stream range with the subject filter', async () => {
    const { client } = renderWithApp(<MessagesBrowser name="CONSCIOUSNESS_EVENTS" />, {
      ...answers,
      'recordings.export': { file: 'range.ndjson', path: '/d/exports/range.ndjson', count: 3, bytes: 300 }
    });
    await screen.findAllByTestId('browsed-message');
    fireEvent.change(screen.getByRole('textbox', { name: 'Subject filter' }), { target: { value: 'consciousness.>' } });
    fireEvent.click(screen.getByRole('button', { name: 'Load' }));
    fireEvent.click(await screen.findByRole('checkbox', { name: 'Select message 5' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select message 7' }));
    expect((screen.getByRole('checkbox', { name: 'Select message 6' }) as HTMLInputElement).checked).toBe(true);
    expect(screen.getByTestId('range-label').textContent).toBe('CONSCIOUSNESS_EVENTS #5–#7 on consciousness.>');
    fireEvent.click(screen.getByRole('button', { name: 'Export…' }));
    fireEvent.change(screen.getByRole('combobox', { name: 'Export format' }), { target: { value: 'csv' } });
    fireEvent.click(screen.getByRole('button', { name: 'Export' }));
    expect((await screen.findByTestId('range-exported')).textContent).toContain('exports/range.ndjson');
    expect(client.callsOf('recordings.export')).toEqual([
      { range: { stream: 'CONSCIOUSNESS_EVENTS', fromSeq: 5, toSeq: 7, filter: 'consciousness.>' }, format: 'csv' }
    ]);
    // Unticking clears the selection.
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select message 5' }));
    expect(screen.queryByTestId('range-actions')).toBeNull();
  });

  it('Record keeps the range as a recording; Replay to… records it and offers the replay form', async () => {
    const rec = recording(31, 'CONSCIOUSNESS_EVENTS #5–#7', { source: 'stream', status: 'complete', messageCount: 3 });
    const { client } = renderWithApp(<MessagesBrowser name="CONSCIOUSNESS_EVENTS" />, {
      ...answers,
      'recordings.start': rec,
      'profiles.list': { profiles: [], activeProfileId: null }
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Select this page' }));
    fireEvent.click(screen.getByRole('button', { name: 'Replay to…' }));
    expect(await screen.findByRole('form', { name: 'Replay CONSCIOUSNESS_EVENTS #5–#7' })).toBeTruthy();
    expect(screen.getByTestId('range-recorded').textContent).toContain('Recording 31 (3 messages)');
    expect(client.callsOf('recordings.start')).toEqual([
      { name: 'CONSCIOUSNESS_EVENTS #5–#7', range: { stream: 'CONSCIOUSNESS_EVENTS', fromSeq: 5, toSeq: 7 } }
    ]);
  });

  it('shows why an action failed', async () => {
    renderWithApp(<MessagesBrowser name="CONSCIOUSNESS_EVENTS" />, {
      ...answers,
      'recordings.start': new ContractError('NOT_CONNECTED', 'not connected to NATS')
    });
    fireEvent.click(await screen.findByRole('checkbox', { name: 'Select message 6' }));
    fireEvent.click(screen.getByRole('button', { name: 'Record' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('NOT_CONNECTED'));
  });
});
