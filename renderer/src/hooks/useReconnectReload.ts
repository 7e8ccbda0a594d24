import { useEffect, useRef } from 'react';
import type { ConnectionStatus } from '../../../main/contract';

/** Calls `reload` when NATS comes back, so a view that showed the cache swaps to live data by itself. */
export function useReconnectReload(status: ConnectionStatus | undefined, reload: () => void): void {
  const previous = useRef(status?.state);
  useEffect(() => {
    const was = previous.current;
    previous.current = status?.state;
    if (status?.state === 'connected' && was !== undefined && was !== 'connected') reload();
  }, [status?.state, reload]);
}
