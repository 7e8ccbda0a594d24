/**
 * A WebSocket client of a real `serve`, as the browser talks to it: token and Origin, one call
 * frame per request, results matched by id.
 */
import WebSocket from 'ws';
import type { ErrorShape } from '../../main/contract';

export type WsOutcome = { ok: true; value: unknown } | { ok: false; error: ErrorShape };

export interface WsClient {
  call(method: string, input: unknown): Promise<WsOutcome>;
  close(): void;
}

export async function connectWs(baseUrl: string, token: string): Promise<WsClient> {
  const origin = new URL(baseUrl).origin;
  const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}/ws?token=${token}`, { headers: { Origin: origin } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let next = 1;
  const waiting = new Map<number, (outcome: WsOutcome) => void>();
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { kind?: string; id?: number } & WsOutcome;
    if (message.kind !== 'result' || message.id === undefined) return;
    waiting.get(message.id)?.(message.ok ? { ok: true, value: message.value } : { ok: false, error: message.error });
    waiting.delete(message.id);
  });
  return {
    call(method, input) {
      const id = next++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        ws.send(JSON.stringify({ kind: 'call', id, method, input }));
      });
    },
    close: () => ws.close()
  };
}
