import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // better-sqlite3 on Node's ABI before any test (it may have been rebuilt for Electron by packaging);
    // every temporary directory of the run under one root, removed at its end.
    globalSetup: ['./test/setup/native-runtime.ts', './test/setup/temp-root.ts'],
    // Two test files at a time at least. Vitest's default is one fewer than the cores, which on CI's
    // two cores runs every file alone, while an integration file spends most of its time waiting on
    // servers, processes and timers (measured: the integration project used 1.3 cores with two
    // workers). The e2e and packaging projects still run their files one at a time.
    maxWorkers: Math.max(2, availableParallelism() - 1),
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
