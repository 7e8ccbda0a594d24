import type { ObjectEntry, ObjectList } from '../../../../main/contract';
import { DataTable, type Column } from '../../components/DataTable';
import { EmptyState } from '../../components/EmptyState';
import type { QueryState } from '../../client/context';
import { formatBytes, formatTime } from '../../lib/format';
import { CachedCardHead } from '../bucket-card';

/** The objects of one store (live or from the last snapshot); a name button chooses the object shown beside. */
export function ObjectTable({
  bucket,
  objects,
  selected,
  onSelect
}: {
  bucket: string;
  objects: QueryState<ObjectList>;
  selected: string | null;
  onSelect: (name: string) => void;
}) {
  const columns: Column<ObjectEntry>[] = [
    {
      id: 'name',
      label: 'Name',
      sortValue: (o) => o.name,
      render: (o) => (
        <button type="button" className="mono" onClick={() => onSelect(o.name)} aria-pressed={selected === o.name}>
          {o.name}
        </button>
      )
    },
    { id: 'size', label: 'Size', numeric: true, sortValue: (o) => o.size, render: (o) => formatBytes(o.size) },
    { id: 'chunks', label: 'Chunks', numeric: true, sortValue: (o) => o.chunks, render: (o) => o.chunks },
    { id: 'modified', label: 'Modified', sortValue: (o) => o.modified, render: (o) => formatTime(o.modified) },
    {
      id: 'link',
      label: 'Link',
      filterText: (o) => (o.link ? `${o.link.bucket} ${o.link.name ?? ''}` : ''),
      render: (o) => (o.link ? `→ ${o.link.bucket}${o.link.name ? ` / ${o.link.name}` : ' (bucket)'}` : '')
    },
    {
      id: 'description',
      label: 'Description',
      filterText: (o) => o.description ?? '',
      render: (o) => o.description ?? ''
    }
  ];

  return (
    <article className="card">
      <CachedCardHead title="Objects" query={objects} loadingText="Loading objects…" />
      {objects.data && (
        <DataTable
          label={`Objects of ${bucket}`}
          rows={objects.data.objects}
          columns={columns}
          rowKey={(o) => o.name}
          rowTestId="obj-row"
          initialSort={{ id: 'name', dir: 'asc' }}
          empty={
            <EmptyState title="This store has no objects." testId="obj-objects-empty">
              Upload a file with the button above, or with{' '}
              <span className="mono">synos-cc object put {bucket} FILE</span>.
            </EmptyState>
          }
        />
      )}
    </article>
  );
}
