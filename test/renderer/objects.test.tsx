import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { ObjectBucket, ObjectBucketList, ObjectEntry, ObjectList } from '../../main/contract';
import { ObjectStoresView } from '../../renderer/src/views/ObjectStores';
import { pending } from './fake-client';
import { NOW, unreachable } from './fixtures';
import { renderWithApp } from './render';

function store(bucket: string, over: Partial<ObjectBucket> = {}): ObjectBucket {
  return {
    bucket,
    stream: `OBJ_${bucket}`,
    description: null,
    storage: 'file',
    replicas: 1,
    sealed: false,
    ttlMs: 0,
    maxBytes: -1,
    compression: false,
    size: 4096,
    usageBytes: null,
    created: NOW,
    ...over
  };
}

function list(buckets: ObjectBucket[], cached = false): ObjectBucketList {
  return { cached, snapshotTime: NOW, buckets };
}

function info(bucket: ObjectBucket, cached = false) {
  return { cached, snapshotTime: NOW, bucket };
}

function entry(bucket: string, name: string, over: Partial<ObjectEntry> = {}): ObjectEntry {
  return {
    bucket,
    name,
    description: null,
    size: 2048,
    chunks: 1,
    digest: `SHA-256=${name}-digest`,
    modified: NOW,
    deleted: false,
    headers: null,
    link: null,
    revision: 1,
    metadata: null,
    ...over
  };
}

function objects(bucket: string, entries: ObjectEntry[], cached = false): ObjectList {
  return { cached, snapshotTime: NOW, bucket, objects: entries };
}

describe('Object Stores view: the list of stores', () => {
  it('says it is loading, with no empty state or rows before the list comes', () => {
    renderWithApp(<ObjectStoresView rest={[]} />, { 'objects.list': pending });
    expect(screen.getByText('Loading object stores…')).toBeTruthy();
    expect(screen.queryByTestId('obj-empty')).toBeNull();
    expect(screen.queryAllByTestId('obj-bucket-row')).toHaveLength(0);
  });

  it('says the server has no object stores and how to make one', async () => {
    renderWithApp(<ObjectStoresView rest={[]} />, { 'objects.list': list([]) });
    const empty = await screen.findByTestId('obj-empty');
    expect(empty.textContent).toContain('This server has no object stores.');
    expect(empty.textContent).toContain('synos-cc object add NAME');
    expect(screen.queryByText('Loading object stores…')).toBeNull();
  });

  it('shows the typed error with its code, message and next step', async () => {
    renderWithApp(<ObjectStoresView rest={[]} />, { 'objects.list': unreachable() });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('NATS_UNREACHABLE');
    expect(alert.textContent).toContain('refused the connection');
    expect(alert.textContent).toContain('pick another connection profile');
    expect(screen.queryByRole('table', { name: 'Object stores' })).toBeNull();
  });

  it('lists the stores from the snapshot cache while offline, marked so', async () => {
    renderWithApp(<ObjectStoresView rest={[]} />, { 'objects.list': list([store('ASSETS'), store('BACKUPS')], true) });
    expect(await screen.findAllByTestId('obj-bucket-row')).toHaveLength(2);
    expect((await screen.findByTestId('cached-mark')).textContent).toMatch(
      /Cached snapshot from .* \(NATS unreachable\)/
    );
    expect(screen.queryByTestId('live-mark')).toBeNull();
  });

  it('lists each store with a link to its page, its storage and whether it is sealed', async () => {
    renderWithApp(<ObjectStoresView rest={[]} />, {
      'objects.list': list([
        store('ASSETS', { description: 'images' }),
        store('ARCHIVE', { sealed: true, replicas: 3, storage: 'memory' })
      ])
    });
    const table = await screen.findByRole('table', { name: 'Object stores' });
    expect(screen.getByTestId('live-mark')).toBeTruthy();
    const rows = within(table).getAllByTestId('obj-bucket-row');
    // Sorted by name: ARCHIVE first.
    expect(within(rows[0]!).getByRole('link', { name: 'ARCHIVE' }).getAttribute('href')).toBe('#/objects/ARCHIVE');
    expect(rows[0]!.textContent).toContain('sealed');
    expect(rows[0]!.textContent).toContain('memory, R3');
    expect(rows[1]!.textContent).toContain('images');
    expect(rows[1]!.textContent).toContain('file, R1');
  });
});

describe('Object Stores view: one store', () => {
  it('says the store and its objects are loading, with no empty state yet', () => {
    renderWithApp(<ObjectStoresView rest={['ASSETS']} />, { 'objects.info': pending, 'objects.objects': pending });
    expect(screen.getByRole('heading', { name: 'Store ASSETS' })).toBeTruthy();
    expect(screen.getByText('Loading the store…')).toBeTruthy();
    expect(screen.getByText('Loading objects…')).toBeTruthy();
    expect(screen.queryByTestId('obj-objects-empty')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Upload a file…' })).toBeNull();
  });

  it('says the store has no objects and how to add one', async () => {
    renderWithApp(<ObjectStoresView rest={['ASSETS']} />, {
      'objects.info': info(store('ASSETS')),
      'objects.objects': objects('ASSETS', [])
    });
    const empty = await screen.findByTestId('obj-objects-empty');
    expect(empty.textContent).toContain('This store has no objects.');
    expect(empty.textContent).toContain('synos-cc object put ASSETS FILE');
  });

  it('shows the typed error of the store and of its objects', async () => {
    renderWithApp(<ObjectStoresView rest={['GONE']} />, {
      'objects.info': unreachable(),
      'objects.objects': unreachable()
    });
    await waitFor(() => expect(screen.getAllByRole('alert')).toHaveLength(2));
    for (const alert of screen.getAllByRole('alert')) {
      expect(alert.textContent).toContain('NATS_UNREACHABLE');
      expect(alert.textContent).toContain('pick another connection profile');
    }
    expect(screen.queryByRole('button', { name: 'Upload a file…' })).toBeNull();
  });

  it('shows the cached store and objects while offline, and offers nothing that would change them', async () => {
    const user = userEvent.setup();
    renderWithApp(<ObjectStoresView rest={['ASSETS']} />, {
      'objects.info': info(store('ASSETS'), true),
      'objects.objects': objects('ASSETS', [entry('ASSETS', 'logo.png')], true)
    });
    await waitFor(() => expect(screen.getAllByTestId('cached-mark')).toHaveLength(2));
    expect((screen.getByRole('button', { name: 'Upload a file…' }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Seal…' }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Delete store…' }) as HTMLButtonElement).disabled).toBe(true);
    await user.click(screen.getByRole('button', { name: 'logo.png' }));
    const details = screen.getByRole('article', { name: 'Object details' });
    expect(within(details).getByText('SHA-256=logo.png-digest')).toBeTruthy();
    expect((within(details).getByRole('button', { name: 'Download' }) as HTMLButtonElement).disabled).toBe(true);
    expect((within(details).getByRole('button', { name: 'Delete…' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('shows the store, its objects and the chosen object with its headers and link', async () => {
    const user = userEvent.setup();
    renderWithApp(<ObjectStoresView rest={['ASSETS']} />, {
      'objects.info': info(store('ASSETS', { maxBytes: 1_000_000, usageBytes: 0.25, description: 'site images' })),
      'objects.objects': objects('ASSETS', [
        entry('ASSETS', 'logo.png', { headers: { 'Content-Type': ['image/png'] }, description: 'the logo' }),
        entry('ASSETS', 'alias', { link: { bucket: 'OTHER', name: 'banner.png' } })
      ])
    });
    const status = await screen.findByLabelText('Status of ASSETS');
    expect(within(status).getByTestId('obj-sealed').textContent).toBe('no');
    expect(status.textContent).toContain('site images');
    expect(screen.getAllByTestId('live-mark')).toHaveLength(2);
    const table = screen.getByRole('table', { name: 'Objects of ASSETS' });
    expect(within(table).getAllByTestId('obj-row')).toHaveLength(2);
    expect(within(table).getByText('→ OTHER / banner.png')).toBeTruthy();
    const details = screen.getByRole('article', { name: 'Object details' });
    expect(details.textContent).toContain('Choose an object');
    await user.click(within(table).getByRole('button', { name: 'logo.png' }));
    expect(within(table).getByRole('button', { name: 'logo.png' }).getAttribute('aria-pressed')).toBe('true');
    expect(within(details).getByRole('heading', { name: 'logo.png' })).toBeTruthy();
    expect(within(details).getByText('Content-Type')).toBeTruthy();
    expect(within(details).getByText('image/png')).toBeTruthy();
    expect(within(details).getByText('the logo')).toBeTruthy();
    expect((within(details).getByRole('button', { name: 'Download' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('offers no upload or seal on a sealed store, but still its deletion', async () => {
    renderWithApp(<ObjectStoresView rest={['ARCHIVE']} />, {
      'objects.info': info(store('ARCHIVE', { sealed: true })),
      'objects.objects': objects('ARCHIVE', [])
    });
    expect((await screen.findByTestId('obj-sealed')).textContent).toBe('yes: nothing can change any more');
    expect((screen.getByRole('button', { name: 'Upload a file…' }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Seal…' }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Delete store…' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('seals only after the store name is typed, then asks for the store again', async () => {
    const user = userEvent.setup();
    const { client } = renderWithApp(<ObjectStoresView rest={['ASSETS']} />, {
      'objects.info': info(store('ASSETS')),
      'objects.objects': objects('ASSETS', []),
      'objects.seal': info(store('ASSETS', { sealed: true }))
    });
    await user.click(await screen.findByRole('button', { name: 'Seal…' }));
    const dialog = screen.getByRole('dialog', { name: 'Seal ASSETS?' });
    const seal = within(dialog).getByRole('button', { name: 'Seal' }) as HTMLButtonElement;
    expect(seal.disabled).toBe(true);
    await user.type(within(dialog).getByRole('textbox'), 'ASSETS');
    expect(seal.disabled).toBe(false);
    const asked = client.callsOf('objects.info').length;
    client.answer({ 'objects.info': info(store('ASSETS', { sealed: true })) });
    await user.click(seal);
    expect(client.callsOf('objects.seal')).toEqual([{ bucket: 'ASSETS', confirm: true }]);
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(await screen.findByText('Sealed ASSETS')).toBeTruthy();
    await waitFor(() => expect(client.callsOf('objects.info').length).toBeGreaterThan(asked));
    expect((await screen.findByTestId('obj-sealed')).textContent).toBe('yes: nothing can change any more');
  });

  it('shows the transfers this client started as they report progress', async () => {
    const { client } = renderWithApp(<ObjectStoresView rest={['ASSETS']} />, {
      'objects.info': info(store('ASSETS')),
      'objects.objects': objects('ASSETS', [])
    });
    await screen.findByLabelText('Status of ASSETS');
    expect(screen.queryByRole('list', { name: 'Transfers' })).toBeNull();
    client.push('objects.progress', {
      transferId: 't1',
      bucket: 'ASSETS',
      name: 'big.bin',
      direction: 'upload',
      bytes: 512,
      total: 2048,
      state: 'running',
      error: null
    });
    const transfer = await screen.findByTestId('obj-transfer');
    expect(transfer.textContent).toContain('Upload of big.bin');
    expect(transfer.textContent).toContain('25 %');
    expect(transfer.getAttribute('data-state')).toBe('running');
    client.push('objects.progress', {
      transferId: 't1',
      bucket: 'ASSETS',
      name: 'big.bin',
      direction: 'upload',
      bytes: 2048,
      total: 2048,
      state: 'done',
      error: null
    });
    await waitFor(() => expect(screen.getByTestId('obj-transfer').getAttribute('data-state')).toBe('done'));
    expect(screen.getByTestId('obj-transfer').textContent).toContain('done, digest checked');
  });
});
