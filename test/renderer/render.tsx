import { render, type RenderResult } from '@testing-library/react';
import type { ReactNode } from 'react';
import { createQueryClient } from '../../renderer/src/client/cache';
import type { AppConnection, LinkState } from '../../renderer/src/client/connect';
import { AppConnectionProvider } from '../../renderer/src/client/context';
import { NotifyProvider } from '../../renderer/src/lib/notify';
import { createFakeClient, type Answers, type FakeClient } from './fake-client';

export interface Rendered extends RenderResult {
  client: FakeClient;
  /** Drive the link to the app (the web mode's WebSocket) closed and open again. */
  setLink(state: LinkState): void;
}

/** Renders `ui` inside the app's providers, over a fake client with the given answers. */
export function renderWithApp(ui: ReactNode, answers: Answers = {}): Rendered {
  const client = createFakeClient(answers);
  const linkListeners = new Set<(state: LinkState) => void>();
  const connection: AppConnection = {
    client,
    transport: 'ws',
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
