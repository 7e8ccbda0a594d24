import { useEffect, useRef } from 'react';
import type { EventChannel } from '../../../main/contract';
import { useClient } from '../client/context';

/**
 * Calls `reload` when a pushed event arrives on the channel, at most once per `minMs`, so a burst of
 * transitions costs one refetch.
 */
export function useEventReload(channel: EventChannel, reload: () => void, minMs = 500): void {
  const client = useClient();
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const reloadRef = useRef(reload);
  useEffect(() => {
    reloadRef.current = reload;
  }, [reload]);
  useEffect(() => {
    const off = client.subscribe(channel, () => {
      const wait = last.current + minMs - Date.now();
      if (timer.current) return;
      timer.current = setTimeout(
        () => {
          timer.current = null;
          last.current = Date.now();
          reloadRef.current();
        },
        Math.max(0, wait)
      );
    });
    return () => {
      off();
      if (timer.current) clearTimeout(timer.current);
      timer.current = null;
    };
  }, [client, channel, minMs]);
}
