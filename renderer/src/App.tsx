import { useCallback, useEffect, useMemo, useState } from 'react';
import { ConnectionBadge } from './components/ConnectionBadge';
import { EngineRoleBadge } from './components/EngineRoleBadge';
import { CommandPalette, type Command } from './components/CommandPalette';
import { OfflineBanner } from './components/OfflineBanner';
import { useClient, useLinkState } from './client/context';
import { useConnectionStatus } from './hooks/useConnectionStatus';
import { useNotify } from './lib/notify';
import { useAlertNotifications } from './lib/alert-notifications';
import { navigate, useRoute, hrefOf } from './lib/route';
import { useTheme } from './lib/theme';
import { ContractError } from '../../main/contract/errors';
import { VIEWS, type ViewId } from './views/registry';
import { renderView, viewActions } from './views/render';

/** Alt+1 … Alt+9, Alt+0 jump to the first ten views; Alt+↑/↓ move to the previous/next view. */
function useViewKeys(view: ViewId, openPalette: () => void): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        openPalette();
        return;
      }
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const index = VIEWS.findIndex((v) => v.id === view);
      let next: number | null = null;
      if (e.key === 'ArrowDown') next = (index + 1) % VIEWS.length;
      else if (e.key === 'ArrowUp') next = (index - 1 + VIEWS.length) % VIEWS.length;
      else if (/^Digit[0-9]$/.test(e.code)) {
        const n = Number(e.code.slice(5));
        next = n === 0 ? 9 : n - 1;
      }
      if (next !== null && VIEWS[next]) {
        e.preventDefault();
        navigate(VIEWS[next].id);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [view, openPalette]);
}

export function App() {
  const route = useRoute();
  const status = useConnectionStatus();
  const link = useLinkState();
  const client = useClient();
  const notify = useNotify();
  const theme = useTheme();
  const [paletteOpen, setPaletteOpen] = useState(false);
  const openPalette = useCallback(() => setPaletteOpen(true), []);
  useViewKeys(route.view, openPalette);
  useAlertNotifications();

  // A recording the OS opened with the app (double-click, "Open with") is imported in the
  // Recordings card of the Outbox view: go there; the card takes the file and checks it.
  useEffect(
    () =>
      client.subscribe('system.fileOpened', () => {
        if (route.view !== 'outbox') navigate('outbox');
      }),
    [client, route.view]
  );

  // Move focus to the view's heading on navigation, so keyboard and screen-reader users land in it.
  useEffect(() => {
    document.querySelector<HTMLElement>('main h1')?.focus({ preventScroll: true });
  }, [route.view]);

  const commands = useMemo<Command[]>(() => {
    const act = (label: string, fn: () => Promise<unknown>) => async () => {
      try {
        await fn();
        notify(`${label}: done`);
      } catch (e) {
        const err = e instanceof ContractError ? e.toShape() : { code: 'INTERNAL' as const, message: String(e) };
        notify(`${label} failed`, err);
      }
    };
    return [
      ...VIEWS.map((v, i) => ({
        id: `view-${v.id}`,
        group: 'Go to',
        label: v.label,
        keywords: i < 10 ? `alt+${(i + 1) % 10}` : undefined,
        run: () => navigate(v.id)
      })),
      {
        id: 'connect',
        group: 'Action',
        label: 'Connect to NATS (reconnect)',
        keywords: 'nats reconnect',
        run: act('Connect', () => client.call('connection.connect', {}))
      },
      {
        id: 'disconnect',
        group: 'Action',
        label: 'Disconnect from NATS',
        keywords: 'nats offline',
        run: act('Disconnect', () => client.call('connection.disconnect', {}))
      },
      {
        id: 'provision',
        group: 'Action',
        label: 'Provision the Syn_OS streams and consumers',
        keywords: 'drift apply',
        run: act('Provision', () => client.call('streams.provision', {}))
      },
      ...viewActions(client, act),
      ...(['light', 'dark', 'system'] as const).map((c) => ({
        id: `theme-${c}`,
        group: 'Theme',
        label: c === 'system' ? 'Follow the system theme' : `${c[0]!.toUpperCase()}${c.slice(1)} theme`,
        run: () => theme.setChoice(c)
      }))
    ];
  }, [client, notify, theme]);

  return (
    <div className="app">
      <a
        className="skip-link"
        href="#content"
        onClick={(e) => {
          e.preventDefault();
          document.querySelector<HTMLElement>('main h1')?.focus();
        }}
      >
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Views">
        <div className="brand">Syn_OS Control Center</div>
        <EngineRoleBadge />
        <ul>
          {VIEWS.map((v) => (
            <li key={v.id}>
              <a href={hrefOf(v.id)} aria-current={route.view === v.id ? 'page' : undefined}>
                {v.label}
              </a>
            </li>
          ))}
        </ul>
        <div className="sidebar-footer">
          <ConnectionBadge status={status} />
          <button type="button" className="palette-button" onClick={openPalette} aria-keyshortcuts="Control+K Meta+K">
            Commands <kbd>Ctrl K</kbd>
          </button>
        </div>
      </nav>
      <main className="content" id="content">
        {link === 'closed' && (
          <div className="banner banner-bad" role="alert">
            Lost the connection to the Control Center server; retrying…
          </div>
        )}
        <OfflineBanner status={status} />
        {renderView(route, status)}
      </main>
      {paletteOpen && <CommandPalette commands={commands} onClose={() => setPaletteOpen(false)} />}
    </div>
  );
}
