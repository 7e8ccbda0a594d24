import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { connectToApp } from './client/connect';
import { createQueryClient } from './client/cache';
import { AppConnectionProvider } from './client/context';
import { NotifyProvider } from './lib/notify';
import { applyTheme } from './lib/theme';
import './styles.css';

// Before the first paint, so a dark-theme operator never sees a white flash.
applyTheme();
const connection = connectToApp();
const queryClient = createQueryClient();
const root = document.getElementById('root');
if (!root) throw new Error('missing #root');
createRoot(root).render(
  <StrictMode>
    <AppConnectionProvider connection={connection} queryClient={queryClient}>
      <NotifyProvider>
        <App />
      </NotifyProvider>
    </AppConnectionProvider>
  </StrictMode>
);
