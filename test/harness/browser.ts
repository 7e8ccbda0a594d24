/**
 * Debian's Chromium driven by playwright-core (no browser download). Fails loudly, with the
 * install command, when chromium is missing.
 */
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_MISSING =
  'chromium is not installed, and the end-to-end tests need it. Install it with: sudo apt-get install -y chromium (or set CHROMIUM_PATH).';

export function chromiumPath(): string {
  const candidates = [
    process.env.CHROMIUM_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome'
  ];
  const found = candidates.find((c): c is string => Boolean(c) && fs.existsSync(c as string));
  if (!found) throw new Error(CHROMIUM_MISSING);
  return found;
}

/** `extraArgs`: more Chromium switches (e.g. --host-resolver-rules to point a name at 127.0.0.1). */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      ...extraArgs
    ]
  });
}

/** Collects page errors and console errors, so a test can assert there were none. */
export function watchPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  return errors;
}
