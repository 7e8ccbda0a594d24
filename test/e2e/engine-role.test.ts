/**
 * The engine role in the UI of two workstations (two `synos-cc serve` on one nats-server): one
 * shows "active", the other "standby" and who leads; "Take over…" asks for a confirmation, then
 * the roles swap on both.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchPageErrors } from '../harness/browser';
import { startServe, type ServeHandle } from '../harness/cli';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir } from '../harness/temp';

function dataDirWithTtl(ttlMs: number): string {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ engine: { leaseTtlMs: ttlMs } }));
  return dir;
}

describe('engine role in the header', () => {
  let nats: NatsServerHandle;
  const serves: ServeHandle[] = [];
  let browser: Browser;
  const pages: Page[] = [];
  const errors: string[][] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    for (let i = 0; i < 2; i++) serves.push(await startServe(['--nats', nats.url, '--data', dataDirWithTtl(3000)]));
    browser = await launchChromium();
    for (const s of serves) {
      const page = await browser.newPage();
      errors.push(watchPageErrors(page));
      await page.goto(s.url);
      pages.push(page);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(serves.map((s) => s.stop()));
    await nats?.stop();
  });

  const role = (page: Page) => page.getByTestId('engine-role').getAttribute('data-role');

  it('shows one active and one standby, and takes over behind a confirmation', async () => {
    await expect
      .poll(async () => [await role(pages[0]!), await role(pages[1]!)].sort().join(','), { timeout: 30_000 })
      .toBe('active,standby');
    const standby = (await role(pages[0]!)) === 'standby' ? pages[0]! : pages[1]!;
    const active = standby === pages[0] ? pages[1]! : pages[0]!;
    await expect
      .poll(() => standby.getByTestId('engine-role').textContent())
      .toMatch(/led by .+ \(pid \d+\), epoch \d+/);

    await standby.getByRole('button', { name: 'Take over…' }).click();
    const dialog = standby.getByRole('dialog', { name: 'Run the engine on this workstation?' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    // Cancel first: nothing changes.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await role(standby)).toBe('standby');

    await standby.getByRole('button', { name: 'Take over…' }).click();
    await standby.getByRole('dialog').getByRole('button', { name: 'Take over' }).click();
    await expect.poll(() => role(standby), { timeout: 20_000 }).toBe('active');
    await expect.poll(() => role(active), { timeout: 20_000 }).toBe('standby');
    for (const e of errors) expect(e).toEqual([]);
  });
});
