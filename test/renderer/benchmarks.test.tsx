import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { BenchRunSummary } from '../../main/contract';
import { BenchmarksView } from '../../renderer/src/views/Benchmarks';
import { pending } from './fake-client';
import { unreachable } from './fixtures';
import { renderWithApp } from './render';

describe('Benchmarks view', () => {
  it('shows no history table and no empty state while loading', () => {
    renderWithApp(<BenchmarksView />, { 'bench.active': pending, 'bench.history': pending });
    expect(screen.getByRole('heading', { level: 1, name: 'Benchmarks' })).toBeTruthy();
    expect(screen.queryByText('No benchmark has run yet.')).toBeNull();
    expect(screen.queryByRole('table', { name: 'Benchmark history' })).toBeNull();
  });

  it('says no benchmark has run yet', async () => {
    renderWithApp(<BenchmarksView />, { 'bench.active': { progress: null }, 'bench.history': { runs: [], total: 0 } });
    expect(await screen.findByText('No benchmark has run yet.')).toBeTruthy();
  });

  it('shows the typed error of the history with its next step', async () => {
    renderWithApp(<BenchmarksView />, { 'bench.active': { progress: null }, 'bench.history': unreachable() });
    const note = await screen.findByRole('alert');
    expect(note.textContent).toContain('NATS_UNREACHABLE');
    expect(note.textContent).toContain('pick another connection profile');
  });

  it('lists the kept runs, newest first, with their figures', async () => {
    renderWithApp(<BenchmarksView />, { 'bench.active': { progress: null }, 'bench.history': { runs, total: 2 } });
    const table = await screen.findByRole('table', { name: 'Benchmark history' });
    const rows = within(table).getAllByTestId('bench-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]!.textContent).toContain('js-pub-async');
    expect(rows[0]!.textContent).toContain('after tuning');
    expect(rows[1]!.textContent).toContain('pub');
    expect(screen.getByRole('heading', { name: 'Over time, per mode' })).toBeTruthy();
  });

  it('keeps showing the stored history while NATS is unreachable', async () => {
    renderWithApp(<BenchmarksView />, { 'bench.active': unreachable(), 'bench.history': { runs, total: 2 } });
    const table = await screen.findByRole('table', { name: 'Benchmark history' });
    expect(within(table).getAllByTestId('bench-row')).toHaveLength(2);
  });

  it('shows pushed progress, and on the finish drops it and asks the history again', async () => {
    const { client } = renderWithApp(<BenchmarksView />, {
      'bench.active': { progress: null },
      'bench.history': { runs: [], total: 0 }
    });
    await screen.findByText('No benchmark has run yet.');
    act(() =>
      client.push('bench.progress', {
        runId: 'r3',
        mode: 'pub',
        phase: 'running',
        done: 250,
        total: 1000,
        elapsedMs: 100,
        msgsPerSec: 2500
      })
    );
    const progress = await screen.findByTestId('bench-progress');
    expect(progress.textContent).toContain('pub running');
    expect(within(progress).getByRole('progressbar', { name: 'Benchmark progress' }).getAttribute('value')).toBe('250');
    expect((screen.getByRole('button', { name: 'Start' }) as HTMLButtonElement).disabled).toBe(true);
    const asked = client.callsOf('bench.history').length;
    client.answer({ 'bench.history': { runs: [runs[1]!], total: 1 } });
    act(() =>
      client.push('bench.finished', { runId: 'r3', mode: 'pub', status: 'completed', run: runs[1]!, error: null })
    );
    expect(await screen.findByTestId('bench-row')).toBeTruthy();
    expect(screen.queryByTestId('bench-progress')).toBeNull();
    expect(client.callsOf('bench.history').length).toBeGreaterThan(asked);
  });

  it('compares two runs picked with the keyboard (Space on each checkbox)', async () => {
    const user = userEvent.setup();
    const { client } = renderWithApp(<BenchmarksView />, {
      'bench.active': { progress: null },
      'bench.history': { runs, total: 2 },
      'bench.compare': pending
    });
    const boxes = await screen.findAllByRole('checkbox', { name: /^Compare run/ });
    boxes[0]!.focus();
    await user.keyboard(' ');
    expect(screen.getByText('Select one more run to compare.')).toBeTruthy();
    boxes[1]!.focus();
    await user.keyboard(' ');
    expect(await screen.findByTestId('bench-compare')).toBeTruthy();
    expect(client.callsOf('bench.compare')).toContainEqual({ ids: ['r2', 'r1'] });
  });
});

const runs: BenchRunSummary[] = [
  {
    id: 'r2',
    mode: 'js-pub-async',
    label: 'after tuning',
    startedAt: '2026-12-06T12:10:00.000Z',
    msgs: 100_000,
    size: 128,
    pub: 1,
    sub: 0,
    storage: 'file',
    msgsPerSec: 85_000,
    bytesPerSec: 10_880_000,
    p50Ms: 0.8,
    p99Ms: 3.1,
    serverVersion: '2.10.24'
  },
  {
    id: 'r1',
    mode: 'pub',
    label: null,
    startedAt: '2026-12-06T12:00:00.000Z',
    msgs: 1_000_000,
    size: 128,
    pub: 1,
    sub: 0,
    storage: 'file',
    msgsPerSec: 1_200_000,
    bytesPerSec: 153_600_000,
    p50Ms: null,
    p99Ms: null,
    serverVersion: '2.10.24'
  }
];
