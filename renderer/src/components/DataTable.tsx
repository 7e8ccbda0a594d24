import { useMemo, useState, type ReactNode } from 'react';
import { plural } from '../../../main/contract/text';

export interface Column<T> {
  id: string;
  label: string;
  render: (row: T) => ReactNode;
  /** Enables sorting on this column. */
  sortValue?: (row: T) => string | number | null;
  /** Text matched by the filter box (default: the sort value). */
  filterText?: (row: T) => string;
  numeric?: boolean;
}

export interface DataTableProps<T> {
  rows: readonly T[];
  columns: readonly Column<T>[];
  rowKey: (row: T) => string;
  /** Accessible name of the table (and of its filter box). */
  label: string;
  initialSort?: { id: string; dir: 'asc' | 'desc' };
  /** Shown when there are no rows at all (not when the filter hides them). */
  empty: ReactNode;
  filterable?: boolean;
  rowTestId?: string;
}

/** A table with sort (click a header; Enter/Space on it) and a text filter over the filterable columns. */
export function DataTable<T>({
  rows,
  columns,
  rowKey,
  label,
  initialSort,
  empty,
  filterable = true,
  rowTestId
}: DataTableProps<T>) {
  const [sort, setSort] = useState(initialSort ?? null);
  const [filter, setFilter] = useState('');
  const shown = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    let out = rows.slice();
    if (needle) {
      out = out.filter((row) =>
        columns.some((c) => {
          const text = c.filterText ? c.filterText(row) : c.sortValue ? String(c.sortValue(row) ?? '') : '';
          return text.toLowerCase().includes(needle);
        })
      );
    }
    const col = sort && columns.find((c) => c.id === sort.id);
    if (sort && col?.sortValue) {
      const get = col.sortValue;
      const dir = sort.dir === 'asc' ? 1 : -1;
      out.sort((a, b) => {
        const x = get(a);
        const y = get(b);
        if (x === y) return 0;
        if (x === null) return 1;
        if (y === null) return -1;
        return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * dir;
      });
    }
    return out;
  }, [rows, columns, filter, sort]);

  if (rows.length === 0) return <>{empty}</>;
  return (
    <div>
      {filterable && (
        <div className="table-tools">
          <input
            type="search"
            aria-label={`Filter ${label}`}
            placeholder="Filter…"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
          />
          <span className="hint">
            {shown.length === rows.length ? plural(rows.length, 'row') : `${shown.length} of ${rows.length} rows`}
          </span>
        </div>
      )}
      {/* Only the table scrolls sideways: the filter stays in view. */}
      <div className="table-wrap" tabIndex={0} role="region" aria-label={`${label} (scrollable)`}>
        <table className="table" aria-label={label}>
          <thead>
            <tr>
              {columns.map((c) => {
                const active = sort?.id === c.id;
                const ariaSort = active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none';
                return (
                  <th
                    key={c.id}
                    aria-sort={c.sortValue ? ariaSort : undefined}
                    className={c.numeric ? 'num' : undefined}
                    scope="col"
                  >
                    {c.sortValue ? (
                      <button
                        type="button"
                        className="th-sort"
                        onClick={() => setSort({ id: c.id, dir: active && sort.dir === 'asc' ? 'desc' : 'asc' })}
                      >
                        {c.label}
                        <span aria-hidden="true">{active ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
                      </button>
                    ) : (
                      c.label
                    )}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => (
              <tr key={rowKey(row)} data-testid={rowTestId}>
                {columns.map((c) => (
                  <td key={c.id} className={c.numeric ? 'num' : undefined}>
                    {c.render(row)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {shown.length === 0 && (
        <p className="hint">
          No row matches “{filter}”. Clear the filter to see all {rows.length}.
        </p>
      )}
    </div>
  );
}
