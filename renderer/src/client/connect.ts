/**
 * Finds the transport this renderer runs over: the Electron preload's `window.synos`, or the web
 * server's WebSocket (token from the page URL, kept in sessionStorage, removed from the address bar).
 */
import { createClient, type ClientLink, type SynosBridge, type SynosClient } from '../../../main/contract/client';
import { WS_PATH } from '../../../main/contract/wire';
import { createWebSocketLink } from '../../../main/contract/ws-link';

declare global {
  interface Window {
    synos?: SynosBridge;
  }
}

export type LinkState = 'open' | 'closed';

/** Web mode's file transfer: uploads into the data directory's recordings/, downloads from exports/. */
export interface FileTransfer {
  /** Streams the file to the server (token in the Authorization header); progress 0…1. */
  upload(file: Blob, name: string, onProgress?: (fraction: number) => void): Promise<{ file: string; bytes: number }>;
  /** A link that downloads a file of exports/. */
  downloadUrl(name: string): string;
}

/** What the upload route answers on a refusal (the same error shape as the API). */
export interface UploadError {
  code: string;
  message: string;
}

export interface AppConnection {
  client: SynosClient;
  transport: 'ipc' | 'ws';
  /** State of the pipe to the app itself (not NATS); always open over IPC. */
  onLinkState(listener: (state: LinkState) => void): () => void;
  /** Uploads and downloads (web mode only; the desktop uses native dialogs). */
  files?: FileTransfer;
}

function webFileTransfer(token: string): FileTransfer {
  return {
    upload(file, name, onProgress) {
      // XMLHttpRequest rather than fetch: it reports upload progress, and sends the Blob from disk.
      return new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', `/files/recordings?name=${encodeURIComponent(name)}`);
        xhr.setRequestHeader('Authorization', `Bearer ${token}`);
        xhr.setRequestHeader('Content-Type', 'application/octet-stream');
        xhr.upload.onprogress = (e) => {
          if (e.lengthComputable && e.total > 0) onProgress?.(e.loaded / e.total);
        };
        xhr.onload = () => {
          let body: unknown = null;
          try {
            body = JSON.parse(xhr.responseText);
          } catch {
            // Not JSON: described below.
          }
          if (xhr.status === 201) resolve(body as { file: string; bytes: number });
          else
            reject(
              (body as UploadError | null) ?? {
                code: 'INTERNAL',
                message: `the upload failed with HTTP ${xhr.status}`
              }
            );
        };
        xhr.onerror = () =>
          reject({ code: 'TRANSPORT_CLOSED', message: 'the upload was cut off; is the server still running?' });
        xhr.send(file);
      });
    },
    downloadUrl: (name) => `/files/exports/${encodeURIComponent(name)}?token=${encodeURIComponent(token)}`
  };
}

const TOKEN_KEY = 'synos.token';

function takeToken(): string | null {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export function connectToApp(): AppConnection {
  if (window.synos) {
    const bridge = window.synos;
    const link: ClientLink = { request: bridge.request, onEvents: bridge.onEvents };
    return { client: createClient(link), transport: 'ipc', onLinkState: () => () => undefined };
  }
  const token = takeToken() ?? '';
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${window.location.host}${WS_PATH}?token=${encodeURIComponent(token)}`;
  const listeners = new Set<(state: LinkState) => void>();
  const link = createWebSocketLink({
    createSocket: () => new WebSocket(url),
    onStateChange: (state) => {
      for (const l of listeners) l(state);
    }
  });
  return {
    client: createClient(link),
    transport: 'ws',
    files: webFileTransfer(token),
    onLinkState(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    }
  };
}
