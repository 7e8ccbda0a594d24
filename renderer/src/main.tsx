import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { connectToApp } from './client/connect';
import { AppConnectionProvider } from './client/context';
import './styles.css';

const connection = connectToApp();
const root = document.getElementById('root');
if (!root) throw new Error('missing #root');
createRoot(root).render(
  <StrictMode>
    <AppConnectionProvider connection={connection}>
      <App />
    </AppConnectionProvider>
  </StrictMode>
);
