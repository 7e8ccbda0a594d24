import { useEffect, useState } from 'react';
import { ConnectionBadge } from './components/ConnectionBadge';
import { useLinkState } from './client/context';
import { useConnectionStatus } from './hooks/useConnectionStatus';
import { NotBuiltView } from './views/NotBuilt';
import { OverviewView } from './views/Overview';
import { SettingsView } from './views/Settings';
import { VIEWS, viewFromHash, type ViewId } from './views/registry';

function useHashView(): ViewId {
  const [view, setView] = useState<ViewId>(() => viewFromHash(window.location.hash));
  useEffect(() => {
    const onHash = (): void => setView(viewFromHash(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return view;
}

function renderView(view: ViewId) {
  switch (view) {
    case 'overview':
      return <OverviewView />;
    case 'settings':
      return <SettingsView />;
    default:
      return <NotBuiltView label={VIEWS.find((v) => v.id === view)?.label ?? view} />;
  }
}

export function App() {
  const view = useHashView();
  const status = useConnectionStatus();
  const link = useLinkState();
  return (
    <div className="app">
      <nav className="sidebar" aria-label="Views">
        <div className="brand">Syn_OS Control Center</div>
        <ul>
          {VIEWS.map((v) => (
            <li key={v.id}>
              <a href={`#/${v.id}`} aria-current={view === v.id ? 'page' : undefined}>
                {v.label}
              </a>
            </li>
          ))}
        </ul>
        <div className="sidebar-footer">
          <ConnectionBadge status={status} />
        </div>
      </nav>
      <main className="content">
        {link === 'closed' && (
          <div className="banner banner-bad" role="alert">
            Lost the connection to the Control Center server; retrying…
          </div>
        )}
        {renderView(view)}
      </main>
    </div>
  );
}
