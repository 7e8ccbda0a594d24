/** The navigation, in order. Labels are exactly the product's view names. */
export const VIEWS = [
  { id: 'overview', label: 'Overview' },
  { id: 'streams', label: 'Streams' },
  { id: 'consumers', label: 'Consumers' },
  { id: 'servers', label: 'Servers' },
  { id: 'messages', label: 'Messages' },
  { id: 'kv', label: 'Key-Value' },
  { id: 'objects', label: 'Object Stores' },
  { id: 'engine', label: 'Engine' },
  { id: 'security', label: 'Security' },
  { id: 'outbox', label: 'Outbox' },
  { id: 'alerts', label: 'Alerts' },
  { id: 'metrics', label: 'Metrics' },
  { id: 'benchmarks', label: 'Benchmarks' },
  { id: 'settings', label: 'Settings' }
] as const;

export type ViewId = (typeof VIEWS)[number]['id'];

export function viewFromHash(hash: string): ViewId {
  const id = hash.replace(/^#\/?/, '').split('/')[0];
  return (VIEWS.find((v) => v.id === id)?.id ?? 'overview') as ViewId;
}
