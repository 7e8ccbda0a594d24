import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { KvBucketList } from '../../main/contract';
import { KeyValueView } from '../../renderer/src/views/KeyValue';
import { pending } from './fake-client';
import { unreachable } from './fixtures';
import { renderWithApp } from './render';

const NOW = '2026-12-06T12:00:00.000Z';

function list(names: string[], cached = false): KvBucketList {
  return {
    cached,
    snapshotTime: NOW,
    buckets: names.map((bucket) => ({
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
      lastRevision: 3
    }))
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
