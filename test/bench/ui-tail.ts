/**
 * The live tail under load, measured in the page: frame intervals (requestAnimationFrame deltas)
 * while a publisher pushes N msgs/s at the tailed subject, against the same page idle (tail running,
 * no traffic) as the baseline. Shared by the e2e test and `npm run bench:ui-tail`.
 */
import { connect } from '@nats-io/transport-node';
import type { Page } from 'playwright-core';

export interface FrameStats {
  frames: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Frames longer than 50 ms (a visible stutter). */
  long: number;
}

export interface TailFigures {
  targetRate: number;
  /** What the publisher actually achieved. */
  publishedRate: number;
  published: number;
  idle: FrameStats;
  load: FrameStats;
  /** As the page showed them at the end. */
  received: number;
  dropped: number;
  shown: number;
  /** Highest rate the page displayed. */
  peakShownRate: number;
}

function stats(deltas: number[]): FrameStats {
  const sorted = [...deltas].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    frames: sorted.length,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: sorted[sorted.length - 1] ?? 0,
    long: sorted.filter((d) => d > 50).length
  };
}

/** Records rAF deltas in the page for `ms` milliseconds. */
async function recordFrames(page: Page, ms: number): Promise<number[]> {
  return page.evaluate(
    (duration) =>
      new Promise<number[]>((resolve) => {
        // Runs in the page; typed by hand because this file compiles against Node's lib.
        const requestAnimationFrame = (
          globalThis as unknown as { requestAnimationFrame: (cb: (now: number) => void) => number }
        ).requestAnimationFrame.bind(globalThis);
        const deltas: number[] = [];
        let last = performance.now();
        const end = last + duration;
        const tick = (now: number): void => {
          deltas.push(now - last);
          last = now;
          if (now < end) requestAnimationFrame(tick);
          else resolve(deltas);
        };
        requestAnimationFrame(tick);
      }),
    ms
  );
}

function numberOf(text: string | null): number {
  return Number((text ?? '').replace(/[^\d]/g, '')) || 0;
}

/**
 * Expects the page on the Messages view. Starts a tail of `subject.>`, measures idle frames, then
 * publishes `rate` msgs/s for `seconds` while measuring frames again.
 */
export async function measureLiveTail(
  page: Page,
  natsUrl: string,
  { rate = 20_000, seconds = 6, subject = 'uitail' } = {}
): Promise<TailFigures> {
  await page.getByRole('form', { name: 'Live tail' }).getByLabel('Subject').fill(`${subject}.>`);
  await page.getByRole('form', { name: 'Live tail' }).getByLabel('Ring size').fill('10000');
  await page.getByRole('button', { name: /^(Start|Restart)$/ }).click();
  await page.getByTestId('tail-state').filter({ hasText: 'tailing' }).waitFor();
  const idle = stats(await recordFrames(page, 2000));

  const nc = await connect({ servers: natsUrl });
  const payload = new TextEncoder().encode(JSON.stringify({ kind: 'load', pad: 'x'.repeat(120) }));
  let published = 0;
  let peakShownRate = 0;
  const started = Date.now();
  const stopAt = started + seconds * 1000;
  // Publish in 10 ms slices, catching up when a slice was late, so the average holds at `rate`.
  const publisher = (async () => {
    while (Date.now() < stopAt) {
      const due = Math.floor(((Date.now() - started) / 1000) * rate);
      for (; published < due; published++) nc.publish(`${subject}.m${published % 8}`, payload);
      await new Promise((r) => setTimeout(r, 10));
    }
    await nc.flush();
  })();
  const sampler = setInterval(() => {
    void page
      .getByTestId('tail-rate')
      .textContent()
      .then((t) => (peakShownRate = Math.max(peakShownRate, numberOf(t))))
      .catch(() => undefined);
  }, 500);
  const load = stats(await recordFrames(page, seconds * 1000));
  await publisher;
  clearInterval(sampler);
  const publishedRate = published / ((Date.now() - started) / 1000);
  await nc.close();
  await page.waitForTimeout(1000);
  const figures: TailFigures = {
    targetRate: rate,
    publishedRate,
    published,
    idle,
    load,
    received: numberOf(await page.getByTestId('tail-received').textContent()),
    dropped: numberOf(await page.getByTestId('tail-dropped').textContent()),
    shown: numberOf(await page.getByTestId('tail-shown').textContent()),
    peakShownRate
  };
  await page.getByRole('button', { name: 'Stop' }).click();
  return figures;
}

/** The figures as benchmark lines (frame times against the idle baseline as a ratio). */
export function formatTailFigures(f: TailFigures): string {
  const fr = (s: FrameStats): string =>
    `p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms, ${s.long} of ${s.frames} frames > 50 ms`;
  return [
    `ui live tail: target ${f.targetRate} msgs/s, published ${Math.round(f.publishedRate)} msgs/s (${f.published} msgs)`,
    `  idle frames:   ${fr(f.idle)}`,
    `  loaded frames: ${fr(f.load)}`,
    `  p95 frame time loaded / idle: ${(f.load.p95 / Math.max(0.1, f.idle.p95)).toFixed(2)}x`,
    `  page showed: received ${f.received}, dropped ${f.dropped}, kept in view ${f.shown}, peak rate shown ${f.peakShownRate} msgs/s`
  ].join('\n');
}
