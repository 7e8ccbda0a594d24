/**
 * The Electron IPC transport, written against small interfaces (IpcMainLike, WebContentsLike) so
 * it is tested without Electron. One invoke channel carries every call; each call is checked for
 * its sender frame (top frame, trusted origin) before it reaches the core. Pushed events go back
 * batched on IPC_EVENTS_CHANNEL, one session per webContents, torn down when it is destroyed or
 * navigates.
 */
import { IPC_CALL_CHANNEL, IPC_EVENTS_CHANNEL, type CallResult } from '../contract';
import type { CoreApi } from '../api/core-api';
import type { Logger } from '../core/logger';
import { ClientSession } from './session';

export interface FrameLike {
  readonly url: string;
  readonly parent: FrameLike | null;
}

export interface WebContentsLike {
  readonly id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): void;
  on(event: 'did-start-navigation', listener: (...args: any[]) => void): void;
}

export interface IpcMainInvokeEventLike {
  readonly sender: WebContentsLike;
  readonly senderFrame: FrameLike | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEventLike, ...args: any[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export interface IpcTransportOptions {
  ipcMain: IpcMainLike;
  api: CoreApi;
  logger: Logger;
  /** Whether a frame URL belongs to the app (app://synos/ of the built renderer, or the dev server). */
  isTrustedUrl: (url: string) => boolean;
}

export function registerIpcTransport(options: IpcTransportOptions): { dispose(): void } {
  const sessions = new Map<number, ClientSession>();
  const logger = options.logger.child({ part: 'ipc' });

  const sessionFor = (contents: WebContentsLike): ClientSession => {
    let session = sessions.get(contents.id);
    if (session) return session;
    session = new ClientSession(options.api, 'ipc', (batch) => {
      if (!contents.isDestroyed()) contents.send(IPC_EVENTS_CHANNEL, batch);
    });
    sessions.set(contents.id, session);
    const end = (): void => {
      sessions.get(contents.id)?.close();
      sessions.delete(contents.id);
    };
    contents.once('destroyed', end);
    contents.on('did-start-navigation', (...args: unknown[]) => {
      // (event, url, isInPlace, isMainFrame) — a main-frame navigation ends the session.
      const isInPlace = Boolean(args[2]);
      const isMainFrame = Boolean(args[3]);
      if (isMainFrame && !isInPlace) end();
    });
    return session;
  };

  options.ipcMain.handle(IPC_CALL_CHANNEL, async (event, request: unknown): Promise<CallResult> => {
    const frame = event.senderFrame;
    if (!frame || frame.parent !== null || !options.isTrustedUrl(frame.url)) {
      logger.warn('refused an IPC call from an untrusted frame', { url: frame?.url ?? null });
      return {
        kind: 'result',
        id: 0,
        ok: false,
        error: { code: 'FORBIDDEN', message: 'IPC call from an untrusted frame' }
      };
    }
    if (
      typeof request !== 'object' ||
      request === null ||
      typeof (request as { method?: unknown }).method !== 'string'
    ) {
      return {
        kind: 'result',
        id: 0,
        ok: false,
        error: { code: 'INVALID_INPUT', message: 'an IPC call must be { method: string, input }' }
      };
    }
    const { method, input } = request as { method: string; input?: unknown };
    try {
      return await sessionFor(event.sender).handle(0, method, input);
    } catch (error) {
      // Last resort: the session answers every call itself; anything escaping it is logged, not thrown at the renderer.
      logger.error('IPC call failed', { error, method: method.slice(0, 100) });
      return {
        kind: 'result',
        id: 0,
        ok: false,
        error: { code: 'INTERNAL', message: 'the call failed; see the log' }
      };
    }
  });

  return {
    dispose() {
      options.ipcMain.removeHandler(IPC_CALL_CHANNEL);
      for (const session of sessions.values()) session.close();
      sessions.clear();
    }
  };
}
