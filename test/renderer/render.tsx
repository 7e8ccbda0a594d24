import { render, type RenderResult } from '@testing-library/react';
import type { ReactNode } from 'react';
import { createQueryClient } from '../../renderer/src/client/cache';
import type { AppConnection, FileTransfer, LinkState } from '../../renderer/src/client/connect';
import { AppConnectionProvider } from '../../renderer/src/client/context';
import { NotifyProvider } from '../../renderer/src/lib/notify';
import { createFakeClient, type Answers, type FakeClient } from './fake-client';

export interface Rendered extends RenderResult {
  client: FakeClient;
  /** Drive the link to the app (the web mode's WebSocket) closed and open again. */
  setLink(state: LinkState): void;
}

/**
 * Renders `ui` inside the app's providers, over a fake client with the given answers (web mode;
 * `files` stands in for the web server's upload and download routes).
 */
export function renderWithApp(ui: ReactNode, answers: Answers = {}, options: { files?: FileTransfer } = {}): Rendered {
  const client = createFakeClient(answers);
  const linkListeners = new Set<(state: LinkState) => void>();
  const connection: AppConnection = {
    client,
    transport: 'ws',
    ...(options.files ? { files: options.files } : {}),
    onLinkState(listener) {
      linkListeners.add(listener);
      return () => linkListeners.delete(listener);
    }
  };
  const result = render(
    <AppConnectionProvider connection={connection} queryClient={createQueryClient()}>
      <NotifyProvider>{ui}</NotifyProvider>
    </AppConnectionProvider>
  );
  return {
    ...result,
    client,
    setLink(state) {
      for (const l of linkListeners) l(state);
    }
  };
}
