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

export interface AppConnection {
  client: SynosClient;
  transport: 'ipc' | 'ws';
  /** State of the pipe to the app itself (not NATS); always open over IPC. */
  onLinkState(listener: (state: LinkState) => void): () => void;
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
    onLinkState(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    }
  };
}
