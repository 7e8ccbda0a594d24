import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
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
});
