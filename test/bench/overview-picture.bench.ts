/**
 * `npm run bench:picture`: the Overview's system picture at scale in headless Chromium (web mode,
 * real nats-server, the built CLI's `serve` and `simulate`): 200 simulated services at ~2,000 msgs/s
 * and 50 consumers (the seed's 7 durables plus 43 more). Prints, against a baseline measured in the
 * same run under the same traffic — the Overview with the picture hidden —
 *   - frame time (requestAnimationFrame deltas) p50/p95/p99 of the Overview, and
 *   - view switch time p95 (click → the view's heading and, on the Overview, the drawn picture).
 * Needs `npm run build` first (the script does it). Env: PICTURE_RATE, PICTURE_SERVICES,
 * PICTURE_CONSUMERS, PICTURE_SECONDS, PICTURE_SWITCHES.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { jetstreamManager, AckPolicy } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Page } from 'playwright-core';
import { launchChromium } from '../harness/browser';
import { CLI, startServe } from '../harness/cli';
import { startNatsServer } from '../harness/nats-server';
import { tempDir } from '../harness/temp';

const RATE = Number(process.env.PICTURE_RATE ?? 2000);
const SERVICES = Number(process.env.PICTURE_SERVICES ?? 200);
const CONSUMERS = Number(process.env.PICTURE_CONSUMERS ?? 50);
const SECONDS = Number(process.env.PICTURE_SECONDS ?? 10);
const SWITCHES = Number(process.env.PICTURE_SWITCHES ?? 20);
/** Durables the seed provisions (bridge ×3, orchestrator_service, security_dashboard, health_monitor, priority_handler). */
const SEED_DURABLES = 7;

interface Stats {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0 };
}

const fmt = (s: Stats): string =>
  `p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms (n=${s.n})`;

/** rAF deltas in the page for `ms`. */
function recordFrames(page: Page, ms: number): Promise<number[]> {
  return page.evaluate(
    (duration) =>
      new Promise<number[]>((resolve) => {
        const raf = (globalThis as unknown as { requestAnimationFrame: (cb: (now: number) => void) => number })
          .requestAnimationFrame;
        const deltas: number[] = [];
        let last = performance.now();
        const end = last + duration;
        const tick = (now: number): void => {
          deltas.push(now - last);
          last = now;
          if (now < end) raf(tick);
          else resolve(deltas);
        };
        raf(tick);
      }),
    ms
  );
}

/**
 * Switches views `rounds` times in the page (Overview → Streams → Consumers → Engine → …): each
 * switch is timed from setting the hash to the first frame where the view's heading shows and,
 * for the Overview with the picture, the picture's nodes are drawn.
 */
function switchViews(page: Page, rounds: number, pictureNodes: number): Promise<number[]> {
  return page.evaluate(
    async ({ rounds, pictureNodes }) => {
      const doc = (
        globalThis as unknown as {
          document: {
            querySelector: (s: string) => { textContent: string } | null;
            querySelectorAll: (s: string) => { length: number };
          };
        }
      ).document;
      const loc = (globalThis as unknown as { location: { hash: string } }).location;
      const raf = (globalThis as unknown as { requestAnimationFrame: (cb: (now: number) => void) => number })
        .requestAnimationFrame;
      const views = [
        { hash: '#/streams', heading: 'Streams', nodes: 0 },
        { hash: '#/consumers', heading: 'Consumers', nodes: 0 },
        { hash: '#/engine', heading: 'Engine', nodes: 0 },
        { hash: '#/overview', heading: 'Overview', nodes: pictureNodes }
      ];
      const times: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const v = views[i % views.length]!;
        const t0 = performance.now();
        loc.hash = v.hash;
        await new Promise<void>((resolve, reject) => {
          const check = (): void => {
            const h1 = doc.querySelector('h1')?.textContent ?? '';
            const drawn = v.nodes === 0 || doc.querySelectorAll('.react-flow__node').length >= v.nodes;
            if (h1.includes(v.heading) && drawn) resolve();
            else if (performance.now() - t0 > 20_000) reject(new Error(`view ${v.hash} not shown in 20 s`));
            else raf(check);
          };
          raf(check);
        });
        times.push(performance.now() - t0);
        // Let the view's data settle a little, as an operator would look before switching.
        await new Promise((r) => setTimeout(r, 300));
      }
      return times;
    },
    { rounds, pictureNodes }
  );
}

const nats = await startNatsServer();
const serve = await startServe(['--nats', nats.url, '--data', tempDir()]);
const simulate = spawn(
  process.execPath,
  [
    CLI,
    'simulate',
    '--nats',
    nats.url,
    '--data',
    tempDir(),
    '--rate',
    String(RATE),
    '--services',
    String(SERVICES),
    '--incident-every',
    '5'
  ],
  { env: { ...process.env, NATS_URL: '' }, stdio: 'ignore' }
);
const browser = await launchChromium();
try {
  // The streams exist once serve or simulate provisioned them; then the extra consumers.
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  for (let tries = 0; ; tries++) {
    try {
      await jsm.streams.info('ORCHESTRATOR_EVENTS');
      break;
    } catch (error) {
      if (tries > 100) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const extra = Math.max(0, CONSUMERS - SEED_DURABLES);
  const streams = ['ORCHESTRATOR_EVENTS', 'HEALTH_METRICS', 'SECURITY_EVENTS', 'CONSCIOUSNESS_EVENTS'];
  for (let i = 0; i < extra; i++) {
    await jsm.consumers.add(streams[i % streams.length]!, {
      durable_name: `bench_reader_${i}`,
      ack_policy: AckPolicy.Explicit
    });
  }
  await nc.close();

  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(serve.url);
  const nodes = page.locator('.react-flow__node');
  const minNodes = SERVICES + CONSUMERS;
  const t0 = Date.now();
  while ((await nodes.count()) < minNodes) {
    if (Date.now() - t0 > 120_000)
      throw new Error(`the picture shows ${await nodes.count()} nodes after 120 s, expected at least ${minNodes}`);
    await page.waitForTimeout(1000);
  }
  const drawn = await nodes.count();
  const services = await page.locator('.react-flow__node[data-kind="service"]').count();
  const consumers = await page.locator('.react-flow__node[data-kind="consumer"]').count();
  const edges = await page.locator('.react-flow__edge').count();
  // Rates settle over their window before measuring.
  await page.waitForTimeout(3000);

  const withPicture = stats(await recordFrames(page, SECONDS * 1000));
  const switchWith = stats(await switchViews(page, SWITCHES, drawn));

  // Baseline: the same Overview under the same traffic with the picture hidden.
  await page.evaluate("window.location.hash = '#/overview'");
  await page.getByRole('button', { name: 'Hide', exact: true }).click();
  await page.getByTestId('system-picture-hidden').waitFor();
  await page.waitForTimeout(2000);
  const baseline = stats(await recordFrames(page, SECONDS * 1000));
  const switchBase = stats(await switchViews(page, SWITCHES, 0));
  await page.evaluate("localStorage.removeItem('synos.overview.picture')");

  const [load1] = os.loadavg();
  process.stdout.write(
    [
      `overview picture: ${services} services, ${consumers} consumers, ${drawn} nodes, ${edges} edges drawn; simulate --rate ${RATE} --services ${SERVICES}; load average ${load1?.toFixed(2)} on ${os.cpus().length} cores`,
      `  Overview frames, picture hidden (baseline): ${fmt(baseline)}`,
      `  Overview frames, picture shown:             ${fmt(withPicture)}`,
      `  frame time p95 shown / hidden: ${(withPicture.p95 / Math.max(0.1, baseline.p95)).toFixed(2)}x`,
      `  view switch, picture hidden (baseline): ${fmt(switchBase)}`,
      `  view switch, picture shown:             ${fmt(switchWith)}`,
      `  view switch p95 shown / hidden: ${(switchWith.p95 / Math.max(0.1, switchBase.p95)).toFixed(2)}x`
    ].join('\n') + '\n'
  );
} finally {
  simulate.kill('SIGTERM');
  await browser.close();
  await serve.stop();
  await nats.stop();
}
