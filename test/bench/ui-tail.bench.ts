/**
 * `npm run bench:ui-tail`: the Messages view's live tail at 20,000 msgs/s in headless Chromium
 * (web mode, real nats-server, the built CLI's `serve`). Prints frame times under load against the
 * idle page as the baseline. Needs `npm run build` first. Env: UI_TAIL_RATE, UI_TAIL_SECONDS.
 */
import { launchChromium } from '../harness/browser';
import { startServe } from '../harness/cli';
import { startNatsServer } from '../harness/nats-server';
import { tempDir } from '../harness/temp';
import { formatTailFigures, measureLiveTail } from './ui-tail';

const nats = await startNatsServer();
const serve = await startServe(['--nats', nats.url, '--data', tempDir()]);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(serve.url);
  await page.getByRole('link', { name: 'Messages', exact: true }).click();
  const figures = await measureLiveTail(page, nats.url, {
    rate: Number(process.env.UI_TAIL_RATE ?? 20_000),
    seconds: Number(process.env.UI_TAIL_SECONDS ?? 8)
  });
  process.stdout.write(`${formatTailFigures(figures)}\n`);
} finally {
  await browser.close();
  await serve.stop();
  await nats.stop();
}
