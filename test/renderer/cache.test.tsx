import { screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { useQuery } from '../../renderer/src/client/context';
import { connected, disconnected, stream, streamList } from './fixtures';
import { renderWithApp } from './render';

function StreamCount() {
  const list = useQuery('streams.list', {});
  return <p>{list.data ? `${list.data.streams.length} streams` : 'none yet'}</p>;
}

describe('the answer cache', () => {
  it('asks again when NATS comes back, so a cached answer turns live', async () => {
    const { client } = renderWithApp(<StreamCount />, {
      'connection.status': connected,
      'streams.list': streamList([stream('A')], true)
    });
    expect(await screen.findByText('1 streams')).toBeTruthy();
    client.push('connection.state', disconnected);
    client.answer({ 'streams.list': streamList([stream('A'), stream('B')]) });
    // Still offline: nothing is asked again.
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.getByText('1 streams')).toBeTruthy();
    client.push('connection.state', connected);
    expect(await screen.findByText('2 streams')).toBeTruthy();
  });

  it('asks again when the link to the app reopens', async () => {
    const r = renderWithApp(<StreamCount />, { 'streams.list': streamList([stream('A')]) });
    expect(await screen.findByText('1 streams')).toBeTruthy();
    const before = r.client.callsOf('streams.list').length;
    r.client.answer({ 'streams.list': streamList([]) });
    r.setLink('closed');
    r.setLink('open');
    expect(await screen.findByText('0 streams')).toBeTruthy();
    await waitFor(() => expect(r.client.callsOf('streams.list').length).toBe(before + 1));
  });

  it('shares one request between views asking for the same method and input', async () => {
    const { client } = renderWithApp(
      <>
        <StreamCount />
        <StreamCount />
      </>,
      { 'streams.list': streamList([stream('A')]) }
    );
    expect((await screen.findAllByText('1 streams')).length).toBe(2);
    expect(client.callsOf('streams.list').length).toBe(1);
  });
});
