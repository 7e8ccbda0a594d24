/**
 * The preload: exposes one frozen object, `window.synos`, with exactly two functions — send a call,
 * listen to pushed event batches. Never ipcRenderer itself. Runs sandboxed (CommonJS bundle).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { LinkOutcome, SynosBridge } from '../main/contract/client';
import { IPC_CALL_CHANNEL, IPC_EVENTS_CHANNEL, type CallResult, type EventBatch } from '../main/contract/wire';

const bridge: SynosBridge = Object.freeze({
  async request(method: string, input: unknown): Promise<LinkOutcome> {
    const result = (await ipcRenderer.invoke(IPC_CALL_CHANNEL, { method, input })) as CallResult;
    return result.ok ? { ok: true, value: result.value } : { ok: false, error: result.error };
  },
  onEvents(listener: (batch: EventBatch) => void): () => void {
    const wrapped = (_event: IpcRendererEvent, batch: EventBatch): void => listener(batch);
    ipcRenderer.on(IPC_EVENTS_CHANNEL, wrapped);
    return () => {
      ipcRenderer.removeListener(IPC_EVENTS_CHANNEL, wrapped);
    };
  }
});

contextBridge.exposeInMainWorld('synos', bridge);
