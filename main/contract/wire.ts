/**
 * Wire messages shared by the WebSocket and the Electron IPC transports.
 * Kept free of zod so the preload bundle stays small.
 */
import type { ErrorShape } from './errors';

/** The single ipcMain channel used for every call (docs/architecture.md §1: no channel name written twice). */
export const IPC_CALL_CHANNEL = 'synos:call';
/** The channel main pushes event batches on (webContents.send). */
export const IPC_EVENTS_CHANNEL = 'synos:events';
/** Path of the WebSocket endpoint in web mode. */
export const WS_PATH = '/ws';

/** Pushed events are coalesced and flushed at most this often per client (~20/s). */
export const EVENT_FLUSH_INTERVAL_MS = 50;

export interface CallRequest {
  kind: 'call';
  id: number;
  method: string;
  input: unknown;
}

export type CallResult =
  | { kind: 'result'; id: number; ok: true; value: unknown }
  | { kind: 'result'; id: number; ok: false; error: ErrorShape };

/** One channel's share of a flush: the payloads in order, and how many were dropped since the last flush. */
export interface EventBatchEntry {
  channel: string;
  payloads: unknown[];
  dropped: number;
}

export interface EventBatch {
  kind: 'events';
  entries: EventBatchEntry[];
}

export type ServerMessage = CallResult | EventBatch;
