/**
 * Desktop smoke test through Playwright's _electron: launches the built app, checks the window
 * comes up with the secure settings and the preload bridge, and that the renderer reaches the core
 * over IPC. It needs an Electron binary, which cannot be downloaded on machines without internet;
 * there it is skipped and says why.
 */
import fs from 'node:fs';
import path from 'node:path';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { startNatsServer } from '../harness/nats-server';
import { tempDir } from '../harness/temp';

const root = path.resolve(__dirname, '../..');

function electronBinary(): string | null {
  const pathFile = path.join(root, 'node_modules/electron/path.txt');
  if (!fs.existsSync(pathFile)) return null;
  const binary = path.join(root, 'node_modules/electron/dist', fs.readFileSync(pathFile, 'utf8').trim());
  return fs.existsSync(binary) ? binary : null;
}

const binary = process.env.ELECTRON_BINARY ?? electronBinary();
if (!binary) {
  console.warn(
    '[desktop smoke test] SKIPPED: no Electron binary on this machine (node_modules/electron/dist is empty and the runtime cannot be downloaded here). ' +
      'Run `npx install-electron` on a machine with internet, or set ELECTRON_BINARY, to run it.'
  );
}

describe.skipIf(!binary)('desktop shell (Electron)', () => {
  it('opens a sandboxed window whose renderer talks to the core over IPC', async () => {
    const nats = await startNatsServer();
    const app = await electron.launch({
      executablePath: binary!,
      args: [root, `--user-data-dir=${tempDir()}`],
      env: { ...process.env, NATS_URL: nats.url }
    });
    try {
      const window = await app.firstWindow();
      // No Node in the page (nodeIntegration off, sandbox on), only the frozen bridge (contextIsolation).
      expect(await window.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
      expect(await window.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe(
        'undefined'
      );
      expect(await window.evaluate(() => Object.isFrozen((window as unknown as { synos: object }).synos))).toBe(true);
      await expect
        .poll(() => window.getByTestId('connection-state').first().getAttribute('data-state'), { timeout: 20_000 })
        .toBe('connected');
    } finally {
      await app.close();
      await nats.stop();
    }
  });
});
