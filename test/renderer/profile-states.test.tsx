import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { ProfileView } from '../../main/contract/profiles';
import { ProfilesCard } from '../../renderer/src/views/Profiles';
import { ContractError } from '../../main/contract/errors';
import { pending } from './fake-client';
import { unreachable } from './fixtures';
import { renderWithApp } from './render';

function profile(id: string, name: string, over: Partial<ProfileView> = {}): ProfileView {
  return {
    id,
    name,
    description: null,
    servers: ['nats://127.0.0.1:4222'],
    auth: { kind: 'none' },
    tls: null,
    source: 'manual',
    active: false,
    createdAt: '2026-12-06T12:00:00.000Z',
    updatedAt: '2026-12-06T12:00:00.000Z',
    ...over
  };
}

const two = {
  profiles: [
    profile('p1', 'local', { active: true }),
    profile('p2', 'prod', {
      servers: ['tls://a:4222', 'tls://b:4222'],
      auth: { kind: 'user', user: 'ops', hasPassword: true },
      source: 'natscli'
    })
  ],
  activeProfileId: 'p1'
};

describe('Profiles card', () => {
  it('shows neither a table nor the empty state while loading', () => {
    renderWithApp(<ProfilesCard />, { 'profiles.list': pending });
    expect(screen.getByRole('heading', { name: 'Connection profiles' })).toBeTruthy();
    expect(screen.queryByRole('table', { name: 'Connection profiles' })).toBeNull();
    expect(screen.queryByText('No saved profiles.')).toBeNull();
  });

  it('says there are no profiles and how to get one', async () => {
    renderWithApp(<ProfilesCard />, { 'profiles.list': { profiles: [], activeProfileId: null } });
    expect(await screen.findByText('No saved profiles.')).toBeTruthy();
    expect(screen.getByText(/import your natscli contexts/)).toBeTruthy();
  });

  it('shows the typed error of the list', async () => {
    renderWithApp(<ProfilesCard />, {
      'profiles.list': new ContractError('INTERNAL', 'the database is locked')
    });
    const note = await screen.findByRole('alert');
    expect(note.textContent).toContain('the database is locked');
    expect(screen.queryByRole('table', { name: 'Connection profiles' })).toBeNull();
  });

  it('lists the profiles with the active one marked, servers, auth and origin', async () => {
    renderWithApp(<ProfilesCard />, { 'profiles.list': two });
    const table = await screen.findByRole('table', { name: 'Connection profiles' });
    const rows = within(table).getAllByTestId('profile-row');
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByText('active')).toBeTruthy();
    expect(within(rows[1]!).getByText('tls://a:4222, tls://b:4222')).toBeTruthy();
    expect(within(rows[1]!).getByText('user')).toBeTruthy();
    expect(within(rows[1]!).getByText('natscli')).toBeTruthy();
  });

  it('keeps the saved profiles on screen when NATS is unreachable, with the error and its next step', async () => {
    const user = userEvent.setup();
    renderWithApp(<ProfilesCard />, { 'profiles.list': two, 'connection.connect': unreachable() });
    await user.click(await screen.findByRole('button', { name: 'Use profile prod' }));
    const note = await screen.findByRole('alert');
    expect(note.textContent).toContain('NATS_UNREACHABLE');
    expect(note.textContent).toContain('pick another connection profile');
    expect(screen.getAllByTestId('profile-row')).toHaveLength(2);
  });

  it('tests a saved profile and shows the server that answered', async () => {
    const user = userEvent.setup();
    const { client } = renderWithApp(<ProfilesCard />, {
      'profiles.list': two,
      'profiles.test': {
        ok: true,
        server: 'nats://127.0.0.1:4222',
        serverInfo: { version: '2.10.24' } as never,
        rttMs: 0.42,
        durationMs: 12,
        error: null,
        hint: null
      }
    });
    await user.click(await screen.findByRole('button', { name: 'Test profile local' }));
    expect((await screen.findByTestId('profile-test-ok')).textContent).toContain('nats-server 2.10.24');
    expect(client.callsOf('profiles.test')).toEqual([{ id: 'p1', timeoutMs: 3000 }]);
  });

  it('adds a profile from the keyboard alone: the form opens, Enter saves it, and the list is asked again', async () => {
    const user = userEvent.setup();
    const { client } = renderWithApp(<ProfilesCard />, {
      'profiles.list': { profiles: [], activeProfileId: null },
      'profiles.save': (input) => profile('p3', input.name, { servers: input.servers })
    });
    await screen.findByText('No saved profiles.');
    const add = screen.getByRole('button', { name: 'Add profile' });
    add.focus();
    await user.keyboard('{Enter}');
    const form = await screen.findByRole('form', { name: 'New profile' });
    const name = within(form).getByRole('textbox', { name: /Name/ });
    await user.click(name);
    await user.keyboard('edge');
    await user.tab();
    await user.keyboard('{Control>}a{/Control}nats://a:4222, nats://b:4222{Enter}');
    expect(client.callsOf('profiles.save')).toEqual([
      {
        id: undefined,
        name: 'edge',
        servers: ['nats://a:4222', 'nats://b:4222'],
        auth: { kind: 'none' },
        tls: null,
        description: undefined
      }
    ]);
    expect(await screen.findByRole('button', { name: 'Add profile' })).toBeTruthy();
    expect(client.callsOf('profiles.list').length).toBeGreaterThan(1);
  });

  it('deletes a profile and asks for the list again', async () => {
    const user = userEvent.setup();
    const { client } = renderWithApp(<ProfilesCard />, { 'profiles.list': two, 'profiles.delete': { deleted: true } });
    client.answer({ 'profiles.list': { profiles: [two.profiles[0]!], activeProfileId: 'p1' } });
    await user.click(await screen.findByRole('button', { name: 'Delete profile prod' }));
    expect(client.callsOf('profiles.delete')).toEqual([{ id: 'p2' }]);
    await screen.findByRole('button', { name: 'Use profile local' });
    expect(await screen.findByText('local')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Use profile prod' })).toBeNull();
  });
});
