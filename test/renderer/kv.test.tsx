import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { KvBucket, KvBucketList, KvEntry, KvKeysPage } from '../../main/contract';
import { ContractError } from '../../main/contract/errors';
import { KeyValueView } from '../../renderer/src/views/KeyValue';
import { pending } from './fake-client';
import { unreachable } from './fixtures';
import { renderWithApp } from './render';

const NOW = '2026-12-06T12:00:00.000Z';

function kvBucket(bucket: string, over: Partial<KvBucket> = {}): KvBucket {
  return {
    bucket,
    stream: `KV_${bucket}`,
    description: null,
    history: 1,
    ttlMs: 0,
    maxBytes: -1,
    maxValueSize: -1,
    replicas: 1,
    storage: 'file',
    compression: false,
    values: 3,
    size: 300,
    usageBytes: null,
    created: NOW,
    lastRevision: 3,
    ...over
  };
}

function list(names: string[], cached = false): KvBucketList {
  return { cached, snapshotTime: NOW, buckets: names.map((bucket) => kvBucket(bucket)) };
}

function info(bucket: KvBucket, cached = false) {
  return { cached, snapshotTime: NOW, bucket };
}

function keys(bucket: string, names: string[], over: Partial<KvKeysPage> = {}): KvKeysPage {
  return {
    bucket,
    keys: names.map((key, i) => ({ key, revision: i + 1, created: NOW, size: 12 })),
    next: null,
    remaining: 0,
    offset: 0,
    ...over
  };
}

function kvEntry(bucket: string, key: string, revision: number, text: string, over: Partial<KvEntry> = {}): KvEntry {
  return {
    bucket,
    key,
    revision,
    operation: 'PUT',
    created: NOW,
    size: text.length,
    format: 'json',
    valueBase64: btoa(text),
    truncated: false,
    ...over
  };
}

// The e2e test runs against a serve whose engine lease keeps its own buckets, so the empty list is
// checked here.
describe('Key-Value view', () => {
  it('says it is loading until the list comes', () => {
    renderWithApp(<KeyValueView rest={[]} />, { 'kv.list': pending });
    expect(screen.queryByTestId('kv-empty')).toBeNull();
    expect(screen.queryAllByTestId('kv-bucket-row')).toHaveLength(0);
  });

  it('says there are no buckets and how to make one', async () => {
    renderWithApp(<KeyValueView rest={[]} />, { 'kv.list': list([]) });
    expect((await screen.findByTestId('kv-empty')).textContent).toContain('This server has no key-value buckets.');
  });

  it('lists the buckets, marked cached when offline', async () => {
    renderWithApp(<KeyValueView rest={[]} />, { 'kv.list': list(['CONFIG', 'SESSIONS'], true) });
    expect(await screen.findAllByTestId('kv-bucket-row')).toHaveLength(2);
    expect((await screen.findByTestId('cached-mark')).textContent).toContain('Cached snapshot');
  });

  it('shows the typed error with its next step', async () => {
    renderWithApp(<KeyValueView rest={[]} />, { 'kv.list': unreachable() });
    expect((await screen.findByRole('alert')).textContent).toContain('NATS_UNREACHABLE');
  });
});

describe('Key-Value view: one bucket', () => {
  it('says the bucket and its keys are loading, with no facts, actions or empty state yet', () => {
    renderWithApp(<KeyValueView rest={['CONFIG']} />, { 'kv.info': pending, 'kv.keys': pending });
    expect(screen.getByRole('heading', { name: 'Bucket CONFIG' })).toBeTruthy();
    expect(screen.getByText('Loading the bucket…')).toBeTruthy();
    expect(screen.getByText('Loading keys…')).toBeTruthy();
    expect(screen.queryByLabelText('Status of CONFIG')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Edit…' })).toBeNull();
    expect(screen.queryByTestId('kv-keys-empty')).toBeNull();
  });

  it('says the bucket has no keys and how to put one', async () => {
    renderWithApp(<KeyValueView rest={['CONFIG']} />, {
      'kv.info': info(kvBucket('CONFIG', { values: 0 })),
      'kv.keys': keys('CONFIG', [])
    });
    const empty = await screen.findByTestId('kv-keys-empty');
    expect(empty.textContent).toContain('This bucket has no keys.');
    expect(empty.textContent).toContain('synos-cc kv put CONFIG KEY VALUE');
    expect(screen.queryByText('Loading keys…')).toBeNull();
  });

  it('shows the typed error of the bucket and of its keys', async () => {
    renderWithApp(<KeyValueView rest={['CONFIG']} />, { 'kv.info': unreachable(), 'kv.keys': unreachable() });
    await waitFor(() => expect(screen.getAllByRole('alert')).toHaveLength(2));
    for (const alert of screen.getAllByRole('alert')) {
      expect(alert.textContent).toContain('NATS_UNREACHABLE');
      expect(alert.textContent).toContain('pick another connection profile');
    }
    expect(screen.queryByLabelText('Status of CONFIG')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Delete bucket…' })).toBeNull();
  });

  it('shows the cached bucket while offline, marked, and offers no edit or delete', async () => {
    renderWithApp(<KeyValueView rest={['CONFIG']} />, {
      'kv.info': info(kvBucket('CONFIG'), true),
      'kv.keys': keys('CONFIG', ['a'])
    });
    expect((await screen.findByTestId('cached-mark')).textContent).toMatch(
      /Cached snapshot from .* \(NATS unreachable\)/
    );
    expect(screen.getByLabelText('Status of CONFIG')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Edit…' }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Delete bucket…' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('shows the bucket facts and a page of keys, each a link to the key', async () => {
    renderWithApp(<KeyValueView rest={['CONFIG']} />, {
      'kv.info': info(
        kvBucket('CONFIG', {
          values: 12,
          history: 5,
          maxBytes: 4096,
          usageBytes: 0.5,
          replicas: 3,
          compression: true,
          description: 'settings'
        })
      ),
      'kv.keys': keys('CONFIG', ['db.url', 'feature.x'], { next: 'cursor-2', remaining: 40 })
    });
    const facts = await screen.findByLabelText('Status of CONFIG');
    expect(within(facts).getByTestId('kv-values').textContent).toBe('12');
    expect(within(facts).getByTestId('kv-history-setting').textContent).toBe('5');
    expect(facts.textContent).toContain('file, 3 replicas, compressed');
    expect(facts.textContent).toContain('50 %');
    expect(facts.textContent).toContain('settings');
    expect(screen.getByTestId('live-mark')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Edit…' }) as HTMLButtonElement).disabled).toBe(false);
    const table = await screen.findByRole('table', { name: 'Keys of CONFIG' });
    const rows = within(table).getAllByTestId('kv-key-row');
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByRole('link', { name: 'db.url' }).getAttribute('href')).toBe('#/kv/CONFIG/db.url');
    expect(screen.getByTestId('kv-page-info').textContent).toContain('Keys 1–2, up to 40 more');
    expect((screen.getByRole('button', { name: 'Next page' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('shows a key’s value and its kept revisions', async () => {
    renderWithApp(<KeyValueView rest={['CONFIG', 'db.url']} />, {
      'kv.info': info(kvBucket('CONFIG')),
      'kv.keys': keys('CONFIG', ['db.url']),
      'kv.get': kvEntry('CONFIG', 'db.url', 2, '"postgres://b"'),
      'kv.history': {
        bucket: 'CONFIG',
        key: 'db.url',
        entries: [kvEntry('CONFIG', 'db.url', 1, '"postgres://a"'), kvEntry('CONFIG', 'db.url', 2, '"postgres://b"')]
      }
    });
    const key = await screen.findByRole('article', { name: 'Key db.url' });
    expect((await within(key).findByTestId('kv-entry-meta')).textContent).toContain('Revision 2 · PUT');
    const history = await within(key).findByRole('table', { name: 'History of db.url' });
    expect(
      within(history)
        .getAllByTestId('kv-history-row')
        .map((r) => r.textContent)
    ).toEqual([expect.stringContaining('"postgres://a"'), expect.stringContaining('"postgres://b"')]);
  });

  it('says a key without a value has none yet, instead of an error', async () => {
    renderWithApp(<KeyValueView rest={['CONFIG', 'new.key']} />, {
      'kv.info': info(kvBucket('CONFIG')),
      'kv.keys': keys('CONFIG', []),
      'kv.get': new ContractError('NOT_FOUND', 'new.key has no value'),
      'kv.history': new ContractError('NOT_FOUND', 'new.key has no value')
    });
    expect((await screen.findByTestId('kv-no-value')).textContent).toContain('new.key has no value yet');
    const key = screen.getByRole('article', { name: 'Key new.key' });
    expect(within(key).queryByRole('alert')).toBeNull();
  });
});

describe('Key-Value view: watching a bucket', () => {
  const page = {
    'kv.info': info(kvBucket('CONFIG')),
    'kv.keys': keys('CONFIG', []),
    'kv.watch.start': { id: 'w-1', bucket: 'CONFIG', key: 'db.*', received: 0, dropped: 0, startedAt: NOW },
    'kv.watch.stop': { stopped: true }
  };

  it('waits for a change, shows the pushed ones newest first, and says when the watch ended', async () => {
    const user = userEvent.setup();
    const { client } = renderWithApp(<KeyValueView rest={['CONFIG']} />, page);
    await user.clear(await screen.findByLabelText('Watch pattern'));
    await user.type(screen.getByLabelText('Watch pattern'), 'db.*');
    await user.click(screen.getByRole('button', { name: 'Watch' }));
    expect(await screen.findByText('No change yet.')).toBeTruthy();
    expect(client.callsOf('kv.watch.start')).toEqual([{ bucket: 'CONFIG', key: 'db.*' }]);
    expect((screen.getByLabelText('Watch pattern') as HTMLInputElement).disabled).toBe(true);

    // Another watch's batch is not ours.
    client.push('kv.watch', { watchId: 'w-other', entries: [kvEntry('X', 'db.x', 9, '1')], received: 1, dropped: 0 });
    client.push('kv.watch', {
      watchId: 'w-1',
      entries: [kvEntry('CONFIG', 'db.url', 4, '"a"'), kvEntry('CONFIG', 'db.pool', 5, '10')],
      received: 2,
      dropped: 3
    });
    const changes = await screen.findByRole('list', { name: 'Changes in CONFIG' });
    expect(
      within(changes)
        .getAllByTestId('kv-watch-event')
        .map((li) => li.textContent)
    ).toEqual([
      expect.stringContaining('PUT db.pool (revision 5)'),
      expect.stringContaining('PUT db.url (revision 4)')
    ]);
    expect(screen.getByText(/Watching; the newest changes come first \(3 dropped\)/)).toBeTruthy();

    client.push('kv.watch', {
      watchId: 'w-1',
      entries: [],
      received: 2,
      dropped: 3,
      ended: { reason: 'the connection closed' }
    });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The watch ended: the connection closed. Press Watch to start it again.');
    expect(screen.getByRole('button', { name: 'Watch' })).toBeTruthy();
    await waitFor(() => expect(client.callsOf('kv.watch.stop')).toEqual([{ id: 'w-1' }]));
  });

  it('shows why a watch could not start', async () => {
    const user = userEvent.setup();
    renderWithApp(<KeyValueView rest={['CONFIG']} />, { ...page, 'kv.watch.start': unreachable() });
    await user.click(await screen.findByRole('button', { name: 'Watch' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('NATS_UNREACHABLE');
    expect(screen.queryByText('No change yet.')).toBeNull();
  });
});
