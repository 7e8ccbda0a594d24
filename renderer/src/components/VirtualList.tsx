import { useVirtualizer } from '@tanstack/react-virtual';
import { useLayoutEffect, useRef, type ReactNode } from 'react';

/**
 * A list that renders only the visible rows, so tens of thousands of items stay smooth.
 * With `follow` it keeps the newest (last) row in view while the operator has not scrolled up.
 */
export function VirtualList<T>({
  items,
  rowHeight,
  height,
  renderRow,
  follow = false,
  label
}: {
  items: readonly T[];
  rowHeight: number;
  height: number;
  renderRow: (item: T, index: number) => ReactNode;
  follow?: boolean;
  label: string;
}) {
  const parentRef = useRef<HTMLDivElement>(null);
  // No React Compiler here: the virtualizer hands out fresh functions each render, which is what we want.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => parentRef.current,
    estimateSize: () => rowHeight,
    overscan: 10
  });
  const pinned = useRef(true);
  // Jump straight to the bottom before paint; the virtualizer's scrollToIndex re-measures over several
  // frames, which at tens of batches a second never settles.
  useLayoutEffect(() => {
    const el = parentRef.current;
    if (follow && pinned.current && el) el.scrollTop = el.scrollHeight;
  }, [follow, items]);
  return (
    <div
      ref={parentRef}
      className="vlist"
      style={{ height, overflow: 'auto' }}
      role="list"
      aria-label={label}
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < rowHeight * 2;
      }}
    >
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((row) => (
          <div
            key={row.key}
            role="listitem"
            className="vlist-row"
            style={{
              position: 'absolute',
              top: 0,
              left: 0,
              right: 0,
              height: rowHeight,
              transform: `translateY(${row.start}px)`
            }}
          >
            {renderRow(items[row.index] as T, row.index)}
          </div>
        ))}
      </div>
    </div>
  );
}
