/**
 * What monitoring costs (issue 6): the per-message recording calls the bridge and the publisher
 * make on their hot paths (against a raw baseline measured in the same run: a plain Map counter),
 * rendering /metrics with many label sets, and one alert evaluation over many consumers and
 * streams with open alerts (in-memory SQLite).
 *
 *   npm run bench:monitoring
 *   npm run bench:monitoring -- --calls 2000000 --targets 2000
 */
import BetterSqlite3 from 'better-sqlite3';
import { silentLogger } from '../../main/core/logger';
import { AlertEngine } from '../../main/monitoring/alert-engine';
import { AlertStore } from '../../main/monitoring/alert-store';
import type { AlertInputs } from '../../main/monitoring/inputs';
import { MetricsRegistry } from '../../main/monitoring/metrics';
import { migrate } from '../../main/store/database';
import { MIGRATIONS } from '../../main/store/migrations';
import { arg } from './args';

const CALLS = arg('calls', 1_000_000);
const TARGETS = arg('targets', 1000);
const STREAMS = ['CONSCIOUSNESS_EVENTS', 'ORCHESTRATOR_EVENTS', 'SECURITY_EVENTS', 'HEALTH_METRICS', 'PRIORITY_EVENTS'];

function time(fn: () => void): number {
  const started = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function main(): Promise<void> {
  const metrics = new MetricsRegistry();

  // Baseline: the cheapest thing a recorder could do — bump a number in a Map.
  const raw = new Map<string, number>();
  const baselineMs = time(() => {
    for (let i = 0; i < CALLS; i++) {
      const key = STREAMS[i % STREAMS.length]!;
      raw.set(key, (raw.get(key) ?? 0) + 1);
    }
  });
  const receivedMs = time(() => {
    for (let i = 0; i < CALLS; i++) metrics.recordReceived(STREAMS[i % STREAMS.length]!);
  });
  const publishMs = time(() => {
    for (let i = 0; i < CALLS; i++) metrics.recordPublish(STREAMS[i % STREAMS.length]!, (i % 100) / 10_000);
  });
  const perSecond = (ms: number) => Math.round(CALLS / (ms / 1000)).toLocaleString('en-US');
  console.log(`calls: ${CALLS.toLocaleString('en-US')}`);
  console.log(`baseline Map counter:          ${baselineMs.toFixed(1)} ms  (${perSecond(baselineMs)} calls/s)`);
  console.log(
    `recordReceived(stream):        ${receivedMs.toFixed(1)} ms  (${perSecond(receivedMs)} calls/s, ${(receivedMs / baselineMs).toFixed(1)}× baseline)`
  );
  console.log(
    `recordPublish(stream, s):      ${publishMs.toFixed(1)} ms  (${perSecond(publishMs)} calls/s, ${(publishMs / baselineMs).toFixed(1)}× baseline; counter + histogram + p99 window)`
  );

  // /metrics with TARGETS consumers and streams worth of label sets.
  const consumers = Array.from({ length: TARGETS }, (_, i) => ({
    stream: `S${i % 50}`,
    consumer: `c${i}`,
    pending: i,
    ackPending: i % 7
  }));
  const streams = Array.from({ length: 50 }, (_, i) => ({
    stream: `S${i}`,
    messages: i * 10,
    bytes: i * 1000,
    maxMsgs: 1000,
    maxBytes: -1
  }));
  metrics.setConsumers(consumers);
  metrics.setStreams(streams);
  await metrics.text();
  const renders = 20;
  let bytes = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < renders; i++) bytes = (await metrics.text()).length;
  const renderMs = Number(process.hrtime.bigint() - started) / 1e6 / renders;
  console.log(
    `/metrics render with ${TARGETS} consumers: ${renderMs.toFixed(2)} ms per scrape, ${(bytes / 1024).toFixed(0)} KiB`
  );
  const p99 = metrics.publishLatency(60_000);
  console.log(
    `publish p99 over the window (4096 newest samples): ${time(() => metrics.publishLatency(60_000)).toFixed(2)} ms to compute (p99 ${p99.p99})`
  );

  // One evaluation of every rule over TARGETS consumers, a tenth of them over the threshold.
  const db = new BetterSqlite3(':memory:');
  migrate(db, MIGRATIONS, silentLogger);
  const store = new AlertStore(db);
  const inputs: AlertInputs = {
    now: Date.now(),
    connection: { state: 'connected', offlineSince: null },
    outbox: { pending: 0, processing: 0, retrying: 0, dead: 0, completed: 0, oldestPendingAgeSeconds: null },
    breakers: [{ name: 'publish', state: 'closed' }],
    emergency: false,
    consumers: consumers.map((c, i) => ({ ...c, pending: i % 10 === 0 ? 5000 : 0 })),
    streams,
    publishP99Seconds: 0.001,
    invalidPerMinute: 0,
    engine: { load: 0.2, valence: 0 },
    servers: null
  };
  const engine = new AlertEngine({ store, read: () => inputs, logger: silentLogger, onTransition: () => undefined });
  const firstMs = time(() => engine.evaluate());
  const open = store.openAlerts().length;
  const steady: number[] = [];
  for (let i = 0; i < 20; i++) steady.push(time(() => engine.evaluate()));
  steady.sort((a, b) => a - b);
  console.log(
    `alert evaluation, ${TARGETS} consumers + 50 streams: first ${firstMs.toFixed(1)} ms (fires ${open} alerts), steady median ${steady[10]!.toFixed(2)} ms`
  );
  db.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
