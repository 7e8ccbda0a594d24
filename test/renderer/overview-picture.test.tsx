import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { hrefOfNode, layoutPicture, structureKey, SystemPictureCard } from '../../renderer/src/views/OverviewPicture';
import { pending } from './fake-client';
import { emptyPicture, systemPicture, unreachable } from './fixtures';
import { renderWithApp } from './render';

const nodeEl = (id: string): HTMLElement => {
  const el = document.querySelector<HTMLElement>(`.react-flow__node[data-id="${id}"]`);
  if (!el) throw new Error(`no node ${id}`);
  return el;
};

describe('System picture (Overview)', () => {
  it('says it is reading while the first answer is on its way', () => {
    renderWithApp(<SystemPictureCard />, { 'overview.picture': pending });
    expect(screen.getByTestId('picture-loading').textContent).toContain('Reading the system picture');
    expect(screen.queryByTestId('picture-canvas')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('with nothing to draw, says what would fill it', async () => {
    renderWithApp(<SystemPictureCard />, { 'overview.picture': emptyPicture });
    const empty = await screen.findByTestId('picture-empty');
    expect(empty.textContent).toContain('Nothing to draw yet.');
    expect(empty.textContent).toContain('synos-cc simulate');
    expect(screen.queryByRole('button', { name: 'Show as table' })).toBeNull();
  });

  it('shows a typed error with its next step', async () => {
    renderWithApp(<SystemPictureCard />, { 'overview.picture': unreachable() });
    const note = await screen.findByRole('alert');
    expect(note.textContent).toContain('NATS_UNREACHABLE');
    expect(note.textContent).toContain('pick another connection profile');
    expect(screen.queryByTestId('picture-canvas')).toBeNull();
  });

  it('offline: shows the kept picture marked as cached, with its time', async () => {
    renderWithApp(<SystemPictureCard />, { 'overview.picture': systemPicture({ cached: true }) });
    expect((await screen.findByTestId('cached-mark')).textContent).toContain('Cached snapshot from');
    expect(screen.getByTestId('picture-cached-note').textContent).toContain('last picture kept');
    expect(nodeEl('service:search').getAttribute('data-health')).toBe('critical');
  });

  it('draws every node with its health, the edges with their rates, and a growing consumer marked', async () => {
    renderWithApp(<SystemPictureCard />, { 'overview.picture': systemPicture() });
    await screen.findByTestId('picture-canvas');
    expect(screen.getByTestId('live-mark')).toBeTruthy();
    await waitFor(() => expect(document.querySelectorAll('.react-flow__node')).toHaveLength(7));
    expect(nodeEl('service:payments').getAttribute('data-health')).toBe('ok');
    expect(nodeEl('service:search').getAttribute('data-health')).toBe('critical');
    expect(nodeEl('service:search').getAttribute('aria-label')).toContain('critical, stopped');
    expect(nodeEl('service:search').tabIndex).toBe(0);
    const growing = nodeEl('consumer:ORCHESTRATOR_EVENTS/orchestrator_service');
    expect(growing.textContent).toContain('1,200 pending ▲ growing');
    await waitFor(() => expect(document.querySelectorAll('.pic-edge-label').length).toBe(6));
    const labels = [...document.querySelectorAll('.pic-edge-label')].map((l) => l.textContent);
    expect(labels).toContain('12.5 msg/s');
    expect(labels).toContain('40 msg/s');
  });

  it('a push updates the figures in place; the layout is kept while the node set is the same', async () => {
    const { client } = renderWithApp(<SystemPictureCard />, { 'overview.picture': systemPicture() });
    await waitFor(() => expect(document.querySelectorAll('.pic-edge-label').length).toBe(6));
    const before = nodeEl('engine').style.transform;
    const next = systemPicture();
    next.edges[0] = { ...next.edges[0]!, msgsPerSec: 99 };
    next.nodes[0] = { ...next.nodes[0]!, health: 'warning', status: 'degraded' };
    client.push('overview.picture', next);
    await waitFor(() =>
      expect([...document.querySelectorAll('.pic-edge-label')].map((l) => l.textContent)).toContain('99 msg/s')
    );
    expect(nodeEl('service:payments').getAttribute('data-health')).toBe('warning');
    expect(nodeEl('engine').style.transform).toBe(before);
    // No extra request: the push carried the picture.
    expect(client.callsOf('overview.picture')).toHaveLength(1);
  });

  it('opens a node’s view on click and on Enter', async () => {
    renderWithApp(<SystemPictureCard />, { 'overview.picture': systemPicture() });
    await waitFor(() => expect(document.querySelectorAll('.react-flow__node')).toHaveLength(7));
    fireEvent.click(nodeEl('stream:ORCHESTRATOR_EVENTS'));
    expect(window.location.hash).toBe('#/streams/ORCHESTRATOR_EVENTS');
    const consumer = nodeEl('consumer:ORCHESTRATOR_EVENTS/orchestrator_service');
    consumer.focus();
    fireEvent.keyDown(consumer, { key: 'Enter' });
    expect(window.location.hash).toBe('#/consumers/ORCHESTRATOR_EVENTS/orchestrator_service');
    fireEvent.keyDown(nodeEl('engine'), { key: 'Enter' });
    expect(window.location.hash).toBe('#/engine');
  });

  it('the same picture as a table, toggled', async () => {
    renderWithApp(<SystemPictureCard />, { 'overview.picture': systemPicture() });
    fireEvent.click(await screen.findByRole('button', { name: 'Show as table' }));
    const table = screen.getByTestId('picture-table');
    const rows = within(table).getAllByTestId('picture-row');
    expect(rows).toHaveLength(7);
    const search = rows.find((r) => r.getAttribute('data-id') === 'service:search')!;
    expect(search.textContent).toContain('critical');
    expect(within(search).getByRole('link', { name: 'search' }).getAttribute('href')).toBe(
      '#/streams/HEALTH_METRICS/messages/health.search'
    );
    const payments = rows.find((r) => r.getAttribute('data-id') === 'service:payments')!;
    expect(payments.textContent).toContain('ORCHESTRATOR_EVENTS (12.5 msg/s)');
    expect(screen.queryByTestId('picture-canvas')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Show as picture' }));
    expect(screen.getByTestId('picture-canvas')).toBeTruthy();
  });

  it('lays out left to right: services, streams, consumers, engine, outputs', () => {
    const p = systemPicture();
    const pos = layoutPicture(p.nodes, p.edges);
    const x = (id: string) => pos.get(id)!.x;
    expect(x('service:payments')).toBeLessThan(x('stream:ORCHESTRATOR_EVENTS'));
    expect(x('stream:ORCHESTRATOR_EVENTS')).toBeLessThan(
      x('consumer:ORCHESTRATOR_EVENTS/consciousness_bridge_service')
    );
    expect(x('consumer:ORCHESTRATOR_EVENTS/consciousness_bridge_service')).toBeLessThan(x('engine'));
    expect(x('engine')).toBeLessThan(x('output:consciousness.decision_made'));
    expect(x('output:consciousness.decision_made')).toBeLessThan(
      x('consumer:ORCHESTRATOR_EVENTS/orchestrator_service')
    );
    // A rate changes nothing in the structure; a new node does.
    const rates = systemPicture();
    rates.edges[0] = { ...rates.edges[0]!, msgsPerSec: 1 };
    expect(structureKey(rates)).toBe(structureKey(p));
    expect(structureKey({ ...p, nodes: p.nodes.slice(1) })).not.toBe(structureKey(p));
    expect(hrefOfNode(p.nodes[0]!)).toBe('#/security');
  });

  it('can be hidden, remembered, and then asks nothing of the core', async () => {
    renderWithApp(<SystemPictureCard />, { 'overview.picture': systemPicture() });
    fireEvent.click(await screen.findByRole('button', { name: 'Hide' }));
    expect(screen.getByTestId('system-picture-hidden')).toBeTruthy();
    expect(localStorage.getItem('synos.overview.picture')).toBe('hidden');
    fireEvent.click(screen.getByRole('button', { name: 'Show the picture' }));
    await waitFor(() => expect(document.querySelectorAll('.react-flow__node')).toHaveLength(7));
  });

  it('starts hidden when hidden before, without asking for the picture', () => {
    localStorage.setItem('synos.overview.picture', 'hidden');
    const { client } = renderWithApp(<SystemPictureCard />, { 'overview.picture': systemPicture() });
    expect(screen.getByRole('button', { name: 'Show the picture' })).toBeTruthy();
    expect(client.callsOf('overview.picture')).toHaveLength(0);
  });
});
