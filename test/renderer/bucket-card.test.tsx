import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { QueryState } from '../../renderer/src/client/context';
import {
  BucketCard,
  BucketSize,
  maxBytesText,
  replicasText,
  ttlText,
  type BucketStatus
} from '../../renderer/src/views/bucket-card';
import { NOW, unreachable } from './fixtures';

interface Bucket extends BucketStatus {
  values: number;
}

const bucket = (over: Partial<Bucket> = {}): Bucket => ({
  size: 2048,
  maxBytes: -1,
  usageBytes: null,
  ttlMs: 0,
  storage: 'file',
  replicas: 1,
  values: 7,
  ...over
});

type Info = { cached: boolean; snapshotTime: string; bucket: Bucket };

function query(over: Partial<QueryState<Info>>): QueryState<Info> {
  return { data: undefined, error: null, loading: false, reload: () => undefined, ...over };
}

/** The card as the views use it: a count and the size in the facts, one action, a note after. */
function renderCard(info: QueryState<Info>) {
  return render(
    <BucketCard
      title="Bucket"
      name="CONFIG"
      loadingText="Loading the bucket…"
      info={info}
      facts={(b) => (
        <>
          <dt>Values</dt>
          <dd data-testid="values">{b.values}</dd>
          <dt>Size</dt>
          <dd data-testid="size">
            <BucketSize bucket={b} />
          </dd>
        </>
      )}
      actions={(b) => (
        <button type="button" disabled={info.data?.cached}>
          Edit {b.storage}…
        </button>
      )}
    >
      <p>after the actions</p>
    </BucketCard>
  );
}

describe('the bucket card shared by the Key-Value and Object Stores pages', () => {
  it('says it is loading and shows no facts or actions before the first answer', () => {
    renderCard(query({ loading: true }));
    expect(screen.getByRole('heading', { name: 'Bucket CONFIG' })).toBeTruthy();
    expect(screen.getByText('Loading the bucket…')).toBeTruthy();
    expect(screen.queryByLabelText('Status of CONFIG')).toBeNull();
    expect(screen.queryByRole('button')).toBeNull();
    expect(screen.queryByTestId('cached-mark')).toBeNull();
    expect(screen.queryByTestId('live-mark')).toBeNull();
    expect(screen.getByText('after the actions')).toBeTruthy();
  });

  it('shows the typed error with its next step while nothing is known', () => {
    renderCard(query({ error: unreachable() }));
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('NATS_UNREACHABLE');
    expect(alert.textContent).toContain('pick another connection profile');
    expect(screen.queryByText('Loading the bucket…')).toBeNull();
    expect(screen.queryByLabelText('Status of CONFIG')).toBeNull();
  });

  it('shows the facts and actions of a live bucket, marked live', () => {
    renderCard(query({ data: { cached: false, snapshotTime: NOW, bucket: bucket() } }));
    const facts = screen.getByLabelText('Status of CONFIG');
    expect(facts.tagName).toBe('DL');
    expect(within(facts).getByTestId('values').textContent).toBe('7');
    expect(within(facts).getByTestId('size').textContent).toBe('2 KiB ');
    expect(screen.getByTestId('live-mark')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Edit file…' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('keeps showing a cached answer, marked, instead of a later error, and disables what would change it', () => {
    renderCard(query({ data: { cached: true, snapshotTime: NOW, bucket: bucket() }, error: unreachable() }));
    expect(screen.getByTestId('cached-mark').textContent).toMatch(/Cached snapshot from .* \(NATS unreachable\)/);
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByLabelText('Status of CONFIG')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Edit file…' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('shows how full a bucket with a byte limit is, and words the limits', () => {
    renderCard(
      query({ data: { cached: false, snapshotTime: NOW, bucket: bucket({ maxBytes: 4096, usageBytes: 0.5 }) } })
    );
    expect(screen.getByTestId('size').textContent).toBe('2 KiB 50 %');
    expect(maxBytesText(bucket())).toBe('unlimited');
    expect(maxBytesText(bucket({ maxBytes: 4096 }))).toBe('4 KiB');
    expect(ttlText(bucket())).toBe('none');
    expect(ttlText(bucket({ ttlMs: 90_000 }))).toBe('90 s');
    expect(replicasText(bucket())).toBe('1 replica');
    expect(replicasText(bucket({ replicas: 3 }))).toBe('3 replicas');
  });
});
