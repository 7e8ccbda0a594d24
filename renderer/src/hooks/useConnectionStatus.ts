import type { ConnectionStatus } from '../../../main/contract';
import { useQuery } from '../client/context';

/** The NATS connection status: fetched once, then kept current by the pushed `connection.state` (written into the cache). */
export function useConnectionStatus(): ConnectionStatus | undefined {
  return useQuery('connection.status', {}).data;
}
