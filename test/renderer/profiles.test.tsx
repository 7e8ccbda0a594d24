import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KeyFileView, KeyPick, ProfileView } from '../../main/contract';
import { ContractError } from '../../main/contract/errors';
import { ProfilesCard } from '../../renderer/src/views/Profiles';
import { renderWithApp } from './render';

const CONTENT = '-----BEGIN NATS USER JWT-----\neyJ0eXAi.CANARY-KEY-CONTENT.sig\n------END NATS USER JWT------\n';

const storedCreds: KeyFileView = {
  kind: 'creds',
  state: 'stored',
  fileName: 'ops.creds',
  bytes: 1234,
  sha256: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
  pickedAt: '2026-12-01T10:00:00.000Z',
  note: null
};

function profile(creds: KeyFileView | null): ProfileView {
  return {
    id: 'p1',
    name: 'prod',
    description: null,
    servers: ['nats://nats.example:4222'],
    auth: { kind: 'creds', creds },
    tls: null,
    source: 'manual',
    active: false,
    createdAt: '2026-12-01T10:00:00.000Z',
    updatedAt: '2026-12-01T10:00:00.000Z'
  };
}

const newPick: KeyPick = {
  pick: 'kp_abcdefghijklmnopqrstuvwx',
  kind: 'creds',
  fileName: 'ops-rotated.creds',
  bytes: 1301,
  sha256: 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100',
  pickedAt: '2026-12-06T20:00:00.000Z'
};

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('Connection profiles: key files', () => {
  it('shows a stored key file by name, fingerprint and time, and a missing one as "pick it again"', async () => {
    renderWithApp(<ProfilesCard />, {
      'profiles.list': {
        profiles: [
          profile(storedCreds),
          {
            ...profile({ ...storedCreds, state: 'missing', bytes: null, sha256: null, pickedAt: null, note: 'x' }),
            id: 'p2',
            name: 'old'
          }
        ],
        activeProfileId: null
      }
    });
    const rows = await screen.findAllByTestId('profile-row');
    expect(rows[0]!.textContent).toContain('ops.creds');
    expect(rows[0]!.textContent).toContain('a1b2c3d4e5f60718');
    expect(rows[1]!.textContent).toContain('key file missing — pick it again');
  });

  it('web mode: Replace… uploads the chosen file to a one-time ticket and saves the pick, never a path or the content', async () => {
    const user = userEvent.setup();
    const fetchMock = vi.fn((url: string, init: RequestInit) => {
      void url;
      void init;
      return Promise.resolve(new Response(JSON.stringify({ key: newPick }), { status: 200 }));
    });
    vi.stubGlobal('fetch', fetchMock);
    const { client } = renderWithApp(<ProfilesCard />, {
      'profiles.list': { profiles: [profile(storedCreds)], activeProfileId: null },
      'profiles.keyUpload': { path: '/profiles/key-upload/TICKET123', expiresAt: '2026-12-06T20:05:00.000Z' },
      'profiles.save': (input) => ({
        ...profile({ ...storedCreds, fileName: newPick.fileName, sha256: newPick.sha256 }),
        name: input.name
      })
    });
    await user.click(await screen.findByRole('button', { name: 'Edit profile prod' }));
    const form = screen.getByRole('form', { name: 'Edit profile prod' });
    const field = within(form).getByTestId('key-creds');
    expect(field.textContent).toContain('ops.creds');
    expect(field.textContent).toContain('a1b2c3d4e5f60718');
    expect(within(field).getByRole('button', { name: 'Replace Credentials file' })).toBeTruthy();

    const file = new File([CONTENT], 'ops-rotated.creds', { type: 'application/octet-stream' });
    await user.upload(within(field).getByLabelText('Credentials file file'), file);

    await waitFor(() => expect(field.textContent).toContain('ops-rotated.creds'));
    expect(field.textContent).toContain('ffeeddccbbaa9988');
    expect(field.textContent).toContain('picked now');
    expect(client.callsOf('profiles.keyUpload')).toEqual([{ kind: 'creds' }]);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe('/profiles/key-upload/TICKET123?name=ops-rotated.creds');
    expect(init.method).toBe('PUT');
    expect(init.body).toBe(file);

    await user.click(within(form).getByRole('button', { name: 'Save profile' }));
    await waitFor(() => expect(client.callsOf('profiles.save')).toHaveLength(1));
    const saved = client.callsOf('profiles.save')[0] as { auth: unknown; tls: unknown };
    expect(saved.auth).toEqual({ kind: 'creds', creds: newPick.pick });
    expect(saved.tls).toBeNull();
    const sent = JSON.stringify(client.calls);
    expect(sent).not.toContain('CANARY-KEY-CONTENT');
    // No path and no file field go to the core: only the pick.
    expect(JSON.stringify(saved)).not.toMatch(/File|ops-rotated\.creds/);
    expect(document.body.textContent).not.toContain('CANARY-KEY-CONTENT');
  });

  it('an edit that does not touch the key file keeps it; a refused upload shows the typed error', async () => {
    const user = userEvent.setup();
    vi.stubGlobal(
      'fetch',
      vi.fn(() =>
        Promise.resolve(
          new Response(
            JSON.stringify({
              code: 'CONFIG_INVALID',
              message: 'user.nk is not a usable creds file: holds no user JWT block',
              details: { reason: 'wrong-kind' }
            }),
            { status: 400 }
          )
        )
      )
    );
    const { client } = renderWithApp(<ProfilesCard />, {
      'profiles.list': { profiles: [profile(storedCreds)], activeProfileId: null },
      'profiles.keyUpload': { path: '/profiles/key-upload/T2', expiresAt: '2026-12-06T20:05:00.000Z' },
      'profiles.save': () => profile(storedCreds),
      'profiles.pickKeyFile': new ContractError('UNAVAILABLE', 'desktop only')
    });
    await user.click(await screen.findByRole('button', { name: 'Edit profile prod' }));
    const form = screen.getByRole('form', { name: 'Edit profile prod' });
    const field = within(form).getByTestId('key-creds');
    await user.upload(within(field).getByLabelText('Credentials file file'), new File(['SUAAAA'], 'user.nk'));
    expect((await within(field).findByRole('alert')).textContent).toContain('holds no user JWT block');
    expect(field.textContent).toContain('ops.creds');
    expect(client.callsOf('profiles.pickKeyFile')).toEqual([]);

    await user.click(within(form).getByRole('button', { name: 'Save profile' }));
    await waitFor(() => expect(client.callsOf('profiles.save')).toHaveLength(1));
    expect((client.callsOf('profiles.save')[0] as { auth: unknown }).auth).toEqual({ kind: 'creds', creds: 'keep' });
  });
});
