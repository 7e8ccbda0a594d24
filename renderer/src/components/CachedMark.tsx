import { formatTime } from '../lib/format';

/** Marks data answered from the local snapshot cache, with the snapshot's time; live data shows when it was read. */
export function CachedMark({
  cached,
  snapshotTime
}: {
  cached: boolean | undefined;
  snapshotTime: string | null | undefined;
}) {
  if (cached === undefined) return null;
  return cached ? (
    <span className="cached-mark" data-testid="cached-mark" role="note">
      Cached snapshot from {formatTime(snapshotTime)} (NATS unreachable)
    </span>
  ) : (
    <span className="live-mark" data-testid="live-mark">
      Live, read {formatTime(snapshotTime)}
    </span>
  );
}
