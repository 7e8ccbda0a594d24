import type { ConnectionStatus } from '../../../main/contract';
import { formatTime } from '../lib/format';

/**
 * Shown on every view while NATS is not connected: since when, and that the views show the local
 * snapshot cache. It disappears by itself when the connection comes back.
 */
export function OfflineBanner({ status }: { status: ConnectionStatus | undefined }) {
  if (!status || status.state === 'connected' || status.state === 'connecting') return null;
  const since = status.offlineSince ?? status.since;
  const retrying = status.state === 'reconnecting' || status.state === 'disconnected';
  return (
    <div className="banner banner-bad" role="alert" data-testid="offline-banner">
      <strong>NATS offline since {formatTime(since)}.</strong>{' '}
      {retrying
        ? `Reconnecting by itself${status.attempts > 0 ? ` (attempt ${status.attempts})` : ''}; the views show the last cached snapshot.`
        : 'Not reconnecting: use Connect in Settings (or the command palette, Ctrl+K). The views show the last cached snapshot.'}
      {status.lastError && (
        <span className="mono">
          {' '}
          {status.lastError.code}: {status.lastError.message}
        </span>
      )}
    </div>
  );
}
