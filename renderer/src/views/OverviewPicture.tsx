/**
 * The live system picture on the Overview: services → streams → consumers → engine → outputs →
 * consumers, drawn with React Flow and laid out left to right by dagre. The layout is computed only
 * when the set of nodes and edges changes; a rate or health update only swaps the data of the
 * nodes and edges it touched. Every node is focusable and opens its view on click or Enter; the
 * same picture is available as a table.
 */
import '@xyflow/react/dist/style.css';
import { Graph, layout } from '@dagrejs/dagre';
import {
  BaseEdge,
  Controls,
  EdgeLabelRenderer,
  getBezierPath,
  Handle,
  Position,
  ReactFlow,
  type Edge,
  type EdgeProps,
  type Node,
  type NodeProps
} from '@xyflow/react';
import { useQueryClient } from '@tanstack/react-query';
import { memo, useEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import type { PictureEdge, PictureNode, SystemPicture } from '../../../main/contract';
import { watchSystemPicture } from '../client/cache';
import { useClient, useQuery } from '../client/context';
import { CachedMark } from '../components/CachedMark';
import { EmptyState } from '../components/EmptyState';
import { ErrorNote } from '../components/ErrorNote';
import { formatNumber } from '../lib/format';
import { hrefOf } from '../lib/route';
import { useTheme } from '../lib/theme';

const NODE_WIDTH = 230;
const NODE_HEIGHT = 58;

const KIND_LABEL: Record<PictureNode['kind'], string> = {
  service: 'service',
  stream: 'stream',
  consumer: 'consumer',
  engine: 'engine',
  output: 'output'
};

const HEALTH_LABEL: Record<PictureNode['health'], string> = {
  ok: 'ok',
  warning: 'warning',
  critical: 'critical',
  unknown: 'unknown'
};

export function formatRate(n: number | null): string {
  if (n === null) return '– msg/s';
  return `${formatNumber(n, n < 100 ? 1 : 0)} msg/s`;
}

/** The view a node opens: its stream, consumer, the engine, or the messages it published. */
export function hrefOfNode(n: PictureNode): string {
  switch (n.kind) {
    case 'stream':
      return hrefOf('streams', n.label);
    case 'consumer':
      return n.stream ? hrefOf('consumers', n.stream, n.label) : hrefOf('consumers');
    case 'engine':
      return hrefOf('engine');
    case 'output': {
      const own = n.subject?.split(', ')[0];
      return n.stream && own ? hrefOf('streams', n.stream, 'messages', own) : hrefOf('engine');
    }
    case 'service':
      // Its heartbeats when it sends any; otherwise what the engine and the Security view know of it.
      return n.subject && n.stream ? hrefOf('streams', n.stream, 'messages', n.subject) : hrefOf('security');
  }
}

function open(n: PictureNode): void {
  window.location.hash = hrefOfNode(n);
}

/** A short line under the name: the rate, and a consumer's pending with the growing mark. */
function detailOf(n: PictureNode): string {
  if (n.kind === 'consumer')
    return `${formatNumber(n.pending)} pending${n.pendingGrowing ? ' ▲ growing' : ''} · ${formatRate(n.msgsPerSec)}`;
  if (n.kind === 'stream' || n.kind === 'output') return formatRate(n.msgsPerSec);
  return n.status;
}

function ariaOf(n: PictureNode): string {
  return `${KIND_LABEL[n.kind]} ${n.label}: ${HEALTH_LABEL[n.health]}, ${n.status}. ${detailOf(n)}. Press Enter to open.`;
}

type PicNode = Node<{ node: PictureNode }, 'pic'>;
type PicEdge = Edge<{ rate: number | null }, 'rate'>;

const PictureNodeBox = memo(function PictureNodeBox({ data }: NodeProps<PicNode>) {
  const n = data.node;
  return (
    <div className={`pic-node pic-${n.health} pic-kind-${n.kind}`} title={`${n.label}: ${n.status}`}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="pic-node-head">
        <span className="pic-kind">{KIND_LABEL[n.kind]}</span>
        <span className="pic-health">{HEALTH_LABEL[n.health]}</span>
      </div>
      <div className="pic-name">{n.label}</div>
      <div className={`pic-detail${n.pendingGrowing ? ' pic-growing' : ''}`}>{detailOf(n)}</div>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

function RateEdge({
  id,
  sourceX,
  sourceY,
  targetX,
  targetY,
  sourcePosition,
  targetPosition,
  data
}: EdgeProps<PicEdge>) {
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const rate = data?.rate ?? null;
  return (
    <>
      <BaseEdge id={id} path={path} className={rate ? 'pic-edge-live' : 'pic-edge-idle'} />
      <EdgeLabelRenderer>
        <div
          className="pic-edge-label"
          style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
        >
          {formatRate(rate)}
        </div>
      </EdgeLabelRenderer>
    </>
  );
}

const nodeTypes = { pic: PictureNodeBox };

/**
 * The handles' places, given up front: edges draw at once (before React Flow measured the nodes),
 * and every node has the same two handles at the middle of its left and right side.
 */
const HANDLES = [
  { type: 'target' as const, position: Position.Left, x: 0, y: NODE_HEIGHT / 2, width: 1, height: 1 },
  { type: 'source' as const, position: Position.Right, x: NODE_WIDTH, y: NODE_HEIGHT / 2, width: 1, height: 1 }
];
const edgeTypes = { rate: RateEdge };

/** The structure of a picture: its node and edge ids. The layout depends on nothing else. */
export function structureKey(p: Pick<SystemPicture, 'nodes' | 'edges'>): string {
  return `${p.nodes.map((n) => n.id).join('\n')}\u0000${p.edges.map((e) => e.id).join('\n')}`;
}

/** Left-to-right positions of every node (dagre). */
export function layoutPicture(
  nodes: readonly PictureNode[],
  edges: readonly PictureEdge[]
): Map<string, { x: number; y: number }> {
  const g = new Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 90, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const e of edges) g.setEdge(e.source, e.target);
  layout(g);
  const out = new Map<string, { x: number; y: number }>();
  for (const n of nodes) {
    const p = g.node(n.id) as { x: number; y: number } | undefined;
    out.set(n.id, { x: (p?.x ?? 0) - NODE_WIDTH / 2, y: (p?.y ?? 0) - NODE_HEIGHT / 2 });
  }
  return out;
}

/**
 * Keeps the same object for a node or edge whose shown figures did not change: React Flow then
 * skips it, so a push that changes a few rates re-renders those few, not all 250 nodes.
 */
function useStable<T>(): (id: string, key: string, make: () => T) => T {
  const cache = useRef(new Map<string, { key: string; value: T }>());
  return (id, key, make) => {
    const hit = cache.current.get(id);
    if (hit && hit.key === key) return hit.value;
    const value = make();
    cache.current.set(id, { key, value });
    return value;
  };
}

/**
 * The last layouts by structure, kept across mounts: coming back to the Overview draws at once
 * instead of laying out 250 nodes again (dagre is the costliest step of showing the picture).
 */
const layouts = new Map<string, Map<string, { x: number; y: number }>>();

function layoutOf(picture: SystemPicture, key: string): Map<string, { x: number; y: number }> {
  let positions = layouts.get(key);
  if (!positions) {
    positions = layoutPicture(picture.nodes, picture.edges);
    layouts.set(key, positions);
    // The newest two: the one on screen and the one just before a node came or went.
    for (const old of layouts.keys()) if (layouts.size > 2 && old !== key) layouts.delete(old);
  } else {
    // Most recently used last, so it is not the one evicted.
    layouts.delete(key);
    layouts.set(key, positions);
  }
  return positions;
}

function PictureCanvas({ picture }: { picture: SystemPicture }) {
  const { resolved } = useTheme();
  const key = structureKey(picture);
  // Recomputed only when the node/edge set changes (not on every rate update).
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const positions = useMemo(() => layoutOf(picture, key), [key]);
  const stableNode = useStable<PicNode>();
  const stableEdge = useStable<PicEdge>();
  const byId = useMemo(() => new Map(picture.nodes.map((n) => [n.id, n])), [picture.nodes]);

  const nodes: PicNode[] = picture.nodes.map((n) => {
    const position = positions.get(n.id) ?? { x: 0, y: 0 };
    const aria = ariaOf(n);
    // What the node shows: a rate that moved in its third digit does not redraw it.
    const shown = `${position.x},${position.y}|${n.health}|${n.label}|${aria}`;
    return stableNode(n.id, shown, () => ({
      id: n.id,
      type: 'pic',
      position,
      data: { node: n },
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
      handles: HANDLES,
      ariaLabel: aria,
      ariaRole: 'button',
      draggable: false,
      connectable: false,
      selectable: false,
      domAttributes: { 'data-health': n.health, 'data-kind': n.kind } as never
    }));
  });
  const edges: PicEdge[] = picture.edges.map((e) => {
    const rate = formatRate(e.msgsPerSec);
    return stableEdge(e.id, rate, () => ({
      id: e.id,
      source: e.source,
      target: e.target,
      type: 'rate',
      data: { rate: e.msgsPerSec },
      ariaLabel: `${byId.get(e.source)?.label ?? e.source} to ${byId.get(e.target)?.label ?? e.target}: ${rate}`,
      focusable: false,
      selectable: false
    }));
  });

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    if (event.key !== 'Enter') return;
    const id = (event.target as HTMLElement).closest('.react-flow__node')?.getAttribute('data-id');
    const n = id ? byId.get(id) : undefined;
    if (n) {
      event.preventDefault();
      open(n);
    }
  };

  return (
    <div className="pic-canvas" data-testid="picture-canvas" onKeyDown={onKeyDown}>
      <ReactFlow<PicNode, PicEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodeClick={(_: MouseEvent, node: PicNode) => open(node.data.node)}
        colorMode={resolved}
        fitView
        minZoom={0.05}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        edgesFocusable={false}
        zoomOnScroll={false}
        preventScrolling={false}
        proOptions={{ hideAttribution: true }}
        ariaLabelConfig={{
          'node.a11yDescription.default': 'Press Enter to open the view of the focused node.',
          'node.a11yDescription.keyboardDisabled': 'Press Enter to open the view of the focused node.'
        }}
      >
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}

/** The same picture as a table: one row per node, with what it feeds and at what rate. */
function PictureTable({ picture }: { picture: SystemPicture }) {
  const byId = new Map(picture.nodes.map((n) => [n.id, n]));
  const out = new Map<string, PictureEdge[]>();
  for (const e of picture.edges) out.set(e.source, [...(out.get(e.source) ?? []), e]);
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label="System picture (table)">
      <table className="table" data-testid="picture-table">
        <caption className="sr-only">System picture: every node, its health and what it feeds</caption>
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Name</th>
            <th scope="col">Health</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              msg/s
            </th>
            <th scope="col" className="num">
              Pending
            </th>
            <th scope="col">Feeds</th>
          </tr>
        </thead>
        <tbody>
          {picture.nodes.map((n) => (
            <tr key={n.id} data-testid="picture-row" data-id={n.id}>
              <td>{KIND_LABEL[n.kind]}</td>
              <td>
                <a href={hrefOfNode(n)}>{n.label}</a>
              </td>
              <td>
                <span className={`pic-badge pic-${n.health}`}>{HEALTH_LABEL[n.health]}</span>
              </td>
              <td>{n.status}</td>
              <td className="num">{n.msgsPerSec === null ? '—' : formatNumber(n.msgsPerSec, 1)}</td>
              <td className="num">
                {n.pending === null ? '—' : formatNumber(n.pending)}
                {n.pendingGrowing ? ' ▲ growing' : ''}
              </td>
              <td>
                {(out.get(n.id) ?? [])
                  .map((e) => `${byId.get(e.target)?.label ?? e.target} (${formatRate(e.msgsPerSec)})`)
                  .join(', ') || '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The picture's answer, kept current by its push while this view is mounted. */
function useSystemPicture() {
  const client = useClient();
  const queryClient = useQueryClient();
  useEffect(() => watchSystemPicture(queryClient, client), [queryClient, client]);
  // The push brings every change; the slow refresh only repairs a missed one.
  return useQuery('overview.picture', {}, { refreshMs: 30_000 });
}

const HIDDEN_KEY = 'synos.overview.picture';

function readHidden(): boolean {
  try {
    return localStorage.getItem(HIDDEN_KEY) === 'hidden';
  } catch {
    return false;
  }
}

/**
 * The picture's card. It can be hidden (remembered on this machine): a small screen, or an operator
 * who only wants the figures; hidden, nothing is asked of the core and nothing is pushed.
 */
export function SystemPictureCard() {
  const [hidden, setHidden] = useState(readHidden);
  const toggle = (): void => {
    const next = !hidden;
    try {
      localStorage.setItem(HIDDEN_KEY, next ? 'hidden' : 'shown');
    } catch {
      // storage unavailable: the choice lasts for this page only
    }
    setHidden(next);
  };
  if (hidden) {
    return (
      <article className="card pic-card" data-testid="system-picture-hidden">
        <div className="pic-header">
          <h2>System picture</h2>
          <button type="button" className="chart-toggle" onClick={toggle}>
            Show the picture
          </button>
        </div>
        <p className="hint">
          Hidden on this machine: services, streams, the engine and consumers with their live rates.
        </p>
      </article>
    );
  }
  return <SystemPictureShown onHide={toggle} />;
}

function SystemPictureShown({ onHide }: { onHide: () => void }) {
  const picture = useSystemPicture();
  const [asTable, setAsTable] = useState(false);
  const p = picture.data;
  return (
    <article className="card pic-card" data-testid="system-picture">
      <div className="pic-header">
        <h2>System picture</h2>
        {p && p.snapshotTime && <CachedMark cached={p.cached} snapshotTime={p.snapshotTime} />}
        {p && p.nodes.length > 0 && (
          <button
            type="button"
            className="chart-toggle"
            aria-expanded={asTable}
            aria-controls="system-picture-body"
            onClick={() => setAsTable((v) => !v)}
          >
            {asTable ? 'Show as picture' : 'Show as table'}
          </button>
        )}
        <button type="button" className="chart-toggle" onClick={onHide}>
          Hide
        </button>
      </div>
      <ErrorNote error={picture.error} />
      {picture.error && !p && (
        <p className="hint">
          The picture comes from the app's core; it shows again once the core answers (reload the page if it stays).
        </p>
      )}
      {!p && !picture.error && (
        <p className="hint" data-testid="picture-loading">
          Reading the system picture…
        </p>
      )}
      {p && p.nodes.length === 0 && (
        <EmptyState title="Nothing to draw yet." testId="picture-empty">
          <ul className="plain">
            {p.notes.map((note) => (
              <li key={note}>{note}</li>
            ))}
          </ul>
        </EmptyState>
      )}
      {p && p.nodes.length > 0 && (
        <div id="system-picture-body">
          {p.cached && (
            <p className="hint" data-testid="picture-cached-note">
              NATS is unreachable: this is the last picture kept, not live traffic.
            </p>
          )}
          {asTable ? <PictureTable picture={p} /> : <PictureCanvas picture={p} />}
          {p.notes.length > 0 && (
            <ul className="plain hint" data-testid="picture-notes">
              {p.notes.map((note) => (
                <li key={note}>{note}</li>
              ))}
            </ul>
          )}
        </div>
      )}
    </article>
  );
}
