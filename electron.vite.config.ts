import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { CSP_META } from './main/core/csp';

/**
 * The production renderer carries a strict CSP (DESIGN §7) as a meta tag, so it holds in Electron
 * (file://) and in web mode alike; the dev server needs inline scripts for hot reload, so it is
 * added at build time only.
 */
function contentSecurityPolicy(): Plugin {
  const policy = CSP_META;
  return {
    name: 'synos-csp',
    apply: 'build',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: policy }, injectTo: 'head-prepend' }
    ]
  };
}

// electron-vite looks under src/ by default; this project keeps main/, preload/ and renderer/ at the
// top level, so every entry is explicit.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: { input: { index: resolve(__dirname, 'main/index.ts') } }
    }
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(__dirname, 'preload/index.ts') },
        // A sandboxed preload must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve(__dirname, 'renderer'),
    plugins: [react(), contentSecurityPolicy()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rollupOptions: { input: { index: resolve(__dirname, 'renderer/index.html') } }
    }
  }
});
