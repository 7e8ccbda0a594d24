import type { ConnectionStatus } from '../../../main/contract';
export { formatTime } from '../lib/format';

const LABEL: Record<ConnectionStatus['state'], string> = {
  connected: 'Connected',
  connecting: 'Connecting…',
  reconnecting: 'Disconnected — reconnecting',
  disconnected: 'Disconnected',
  offline: 'Offline'
};

/** The connection state in words and colour; the words carry the meaning, the colour only helps. */
export function ConnectionBadge({ status }: { status: ConnectionStatus | undefined }) {
  if (!status) return <span className="badge badge-muted">…</span>;
  const tone = status.state === 'connected' ? 'ok' : status.state === 'connecting' ? 'muted' : 'bad';
  return (
    <span className={`badge badge-${tone}`} data-testid="connection-state" data-state={status.state} role="status">
      {LABEL[status.state]}
    </span>
  );
}
