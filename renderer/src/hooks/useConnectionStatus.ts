import type { ConnectionStatus } from '../../../main/contract';
import { useLatestEvent, useQuery } from '../client/context';

/** The NATS connection status: fetched once, then kept current by the pushed `connection.state` event. */
export function useConnectionStatus(): ConnectionStatus | undefined {
  const initial = useQuery('connection.status', {});
  return useLatestEvent('connection.state', initial.data);
}
