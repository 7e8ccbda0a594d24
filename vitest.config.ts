import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // better-sqlite3 on Node's ABI before any test (it may have been rebuilt for Electron by packaging);
    // every temporary directory of the run under one root, removed at its end.
    globalSetup: ['./test/setup/native-runtime.ts', './test/setup/temp-root.ts'],
    // Polls wait for real servers and a real browser on shared, busy machines: allow them time
    // (a poll still fails fast on a wrong final value once the timeout passes).
    expect: { poll: { timeout: 10_000, interval: 50 } },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' }
      },
      {
        extends: true,
        test: {
          // Views rendered in jsdom over a fake SynosClient (the renderer's transport boundary).
          name: 'renderer',
          include: ['test/renderer/**/*.test.tsx'],
          environment: 'jsdom',
          setupFiles: ['./test/renderer/setup.ts']
        }
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000
        }
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false
        }
      },
      {
        extends: true,
        test: {
          // electron-builder's packaging with a stand-in Electron, checked with @electron/asar (needs `npm run build`).
          name: 'packaging',
          include: ['test/packaging/**/*.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 240_000,
          fileParallelism: false
        }
      }
    ]
  }
});
