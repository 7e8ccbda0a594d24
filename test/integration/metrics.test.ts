/**
 * /metrics against a real core and nats-server: the exposition text passes promtool's rules
 * (checked by the parser below, and by `promtool check metrics` where promtool is installed),
 * the values follow the connection, outbox, breakers and JetStream, and the Metrics view's
 * snapshot and pushed samples are served through the contract.
 */
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsSample } from '../../main/contract';
import type { Core } from '../../main/app/create-core';
import type { Monitoring } from '../../main/monitoring/module';
import { findOnPath, freePort } from '../../main/nats/embedded/embedded';
import { CLI, assertCliBuilt, runCliSync, startServe } from '../harness/cli';
import { createTestCore } from '../harness/core';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir, waitFor } from '../harness/temp';

// ------------------------------------------------------------------------------------------------
// A checker for the rules `promtool check metrics` applies (client_golang's promlint) plus the
// format rules of the text exposition: HELP and TYPE per family, counters `_total` (and only
// counters), base units, snake_case, complete cumulative histograms.
// ------------------------------------------------------------------------------------------------

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Family {
  name: string;
  help: string | null;
  type: string | null;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const NON_BASE_UNITS = [
  'milliseconds',
  'microseconds',
  'nanoseconds',
  'minutes',
  'hours',
  'days',
  'weeks',
  'kilobytes',
  'megabytes',
  'gigabytes',
  'terabytes',
  'percent',
  'celsius',
  'fahrenheit'
];
// promlint's list of discouraged abbreviations.
const UNIT_ABBREVIATIONS = ['s', 'ms', 'us', 'ns', 'sec', 'b', 'kb', 'mb', 'gb', 'tb', 'pb', 'm', 'h', 'd'];
const TYPE_WORDS = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/y;
  let end = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    labels[m[1]!] = m[2]!;
    end = re.lastIndex;
  }
  if (end !== text.length) throw new Error(`bad label set {${text}}`);
  return labels;
}

function parseValue(text: string): number {
  // Prometheus parses floats with Go's ParseFloat: NaN and Inf in any case (prom-client writes "Nan").
  if (/^\+?inf(inity)?$/i.test(text)) return Infinity;
  if (/^-inf(inity)?$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  const n = Number(text);
  if (text.trim() === '' || Number.isNaN(n)) throw new Error(`bad value "${text}"`);
  return n;
}

/** Family a sample belongs to: histogram/summary samples carry a suffix. */
function familyOf(sampleName: string, families: Map<string, Family>): Family | undefined {
  if (families.has(sampleName)) return families.get(sampleName);
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (sampleName.endsWith(suffix)) {
      const f = families.get(sampleName.slice(0, -suffix.length));
      if (f && (f.type === 'histogram' || f.type === 'summary')) return f;
    }
  }
  return undefined;
}

/** Returns every problem found; an empty list means the text passes. */
export function lintExposition(text: string): { problems: string[]; families: Map<string, Family> } {
  const problems: string[] = [];
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) {
      f = { name, help: null, type: null, samples: [] };
      families.set(name, f);
    }
    return f;
  };
  if (!text.endsWith('\n')) problems.push('the text must end with a newline');
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (meta) {
      const f = family(meta[2]!);
      if (f.samples.length > 0) problems.push(`${f.name}: ${meta[1]} after its samples (line ${i + 1})`);
      if (meta[1] === 'HELP') f.help = meta[3] ?? '';
      else f.type = meta[3] ?? '';
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!m) {
      problems.push(`line ${i + 1} is not a sample: ${line}`);
      continue;
    }
    try {
      const sample: Sample = { name: m[1]!, labels: parseLabels(m[2] ?? ''), value: parseValue(m[3]!) };
      const f = familyOf(sample.name, families);
      if (!f) problems.push(`${sample.name}: sample without HELP/TYPE (line ${i + 1})`);
      else f.samples.push(sample);
    } catch (error) {
      problems.push(`line ${i + 1}: ${(error as Error).message}`);
    }
  }

  for (const f of families.values()) {
    const n = f.name;
    if (!NAME.test(n)) problems.push(`${n}: invalid metric name`);
    if (n.includes(':')) problems.push(`${n}: metric names should not contain ":" (reserved for recording rules)`);
    if (/[A-Z]/.test(n)) problems.push(`${n}: metric names should be written in snake_case not camelCase`);
    if (!f.help) problems.push(`${n}: no help text`);
    if (!f.type || !['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(f.type))
      problems.push(`${n}: missing or unknown TYPE "${f.type}"`);
    if (f.type === 'counter' && !n.endsWith('_total'))
      problems.push(`${n}: counter metrics should have "_total" suffix`);
    if (f.type !== 'counter' && f.type !== 'untyped' && n.endsWith('_total'))
      problems.push(`${n}: non-counter metrics should not have "_total" suffix`);
    if (f.type !== 'histogram' && f.type !== 'summary') {
      for (const suffix of ['_bucket', '_count', '_sum']) {
        if (n.endsWith(suffix))
          problems.push(`${n}: non-histogram and non-summary metrics should not have "${suffix}" suffix`);
      }
    }
    const tokens = n.split('_');
    for (const unit of NON_BASE_UNITS)
      if (tokens.includes(unit)) problems.push(`${n}: use base unit instead of "${unit}"`);
    for (const abbr of UNIT_ABBREVIATIONS)
      if (tokens.slice(1).includes(abbr))
        problems.push(`${n}: metric names should not contain abbreviated units ("${abbr}")`);
    for (const word of TYPE_WORDS)
      if (tokens.slice(1).includes(word)) problems.push(`${n}: metric name should not include type "${word}"`);
    for (const s of f.samples) {
      for (const label of Object.keys(s.labels)) {
        if (/[A-Z]/.test(label))
          problems.push(`${n}: label names should be written in snake_case not camelCase (${label})`);
        if (label.startsWith('__')) problems.push(`${n}: label ${label} is reserved`);
      }
      if (f.type === 'counter' && s.value < 0) problems.push(`${n}: negative counter value`);
    }
    if (f.type === 'histogram') problems.push(...checkHistogram(f));
  }
  return { problems, families };
}

function checkHistogram(f: Family): string[] {
  const problems: string[] = [];
  const series = new Map<string, { buckets: Array<{ le: number; value: number }>; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    let entry = series.get(key);
    if (!entry) {
      entry = { buckets: [] };
      series.set(key, entry);
    }
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) problems.push(`${f.name}: bucket without le`);
      else entry.buckets.push({ le: parseValue(le), value: s.value });
    } else if (s.name === `${f.name}_sum`) entry.sum = s.value;
    else if (s.name === `${f.name}_count`) entry.count = s.value;
    else problems.push(`${f.name}: unexpected sample ${s.name} in a histogram`);
  }
  for (const [key, e] of series) {
    const where = `${f.name}${key}`;
    if (e.sum === undefined) problems.push(`${where}: histogram without _sum`);
    if (e.count === undefined) problems.push(`${where}: histogram without _count`);
    const inf = e.buckets.find((b) => b.le === Infinity);
    if (!inf) problems.push(`${where}: histogram without le="+Inf" bucket`);
    else if (e.count !== undefined && inf.value !== e.count)
      problems.push(`${where}: +Inf bucket ${inf.value} differs from _count ${e.count}`);
    for (let i = 1; i < e.buckets.length; i++) {
      if (e.buckets[i]!.le <= e.buckets[i - 1]!.le) problems.push(`${where}: buckets not in increasing le order`);
      if (e.buckets[i]!.value < e.buckets[i - 1]!.value) problems.push(`${where}: buckets not cumulative`);
    }
  }
  return problems;
}

function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const f = familyOf(name, families);
  return f?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

// ------------------------------------------------------------------------------------------------

const FAST = { evaluateIntervalMs: 200, sampleIntervalMs: 200, snapshotIntervalMs: 300, p99MinSamples: 1 };

describe('the exposition checker', () => {
  it('catches what promtool rejects', () => {
    const bad = [
      '# HELP requests Requests.',
      '# TYPE requests counter',
      'requests 1',
      '# TYPE no_help gauge',
      'no_help 1',
      '# HELP latency_milliseconds Latency.',
      '# TYPE latency_milliseconds gauge',
      'latency_milliseconds 3',
      '# HELP open_total Open things.',
      '# TYPE open_total gauge',
      'open_total 2',
      '# HELP h A histogram.',
      '# TYPE h histogram',
      'h_bucket{le="0.1"} 2',
      'h_bucket{le="1"} 1',
      'h_sum 3',
      ''
    ].join('\n');
    const { problems } = lintExposition(bad);
    expect(problems.join('\n')).toMatch(/requests: counter metrics should have "_total" suffix/);
    expect(problems.join('\n')).toMatch(/no_help: no help text/);
    expect(problems.join('\n')).toMatch(/latency_milliseconds: use base unit/);
    expect(problems.join('\n')).toMatch(/open_total: non-counter metrics should not have "_total"/);
    expect(problems.join('\n')).toMatch(/without _count/);
    expect(problems.join('\n')).toMatch(/without le="\+Inf"/);
    expect(problems.join('\n')).toMatch(/not cumulative/);
  });
});

describe('metrics against a real nats-server', () => {
  let server: NatsServerHandle;
  let core: Core;
  let monitoring: Monitoring;

  beforeAll(async () => {
    server = await startNatsServer();
    core = createTestCore({
      servers: [server.url],
      overrides: { metricsPort: 0 },
      monitoring: FAST
    });
    await core.start();
    monitoring = core.app.monitoring.monitoring;
    await core.api.invoke('connection.connect', {});
  });
  afterAll(async () => {
    await core?.stop();
    await server?.stop();
  });

  it("serves /metrics on 127.0.0.1 in text format that passes promtool's rules", async () => {
    const endpoint = monitoring.endpoint();
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const metrics = core.app.metrics;
    // What the bridge and the replay manager record through the service.
    metrics.recordPublish('ORCHESTRATOR_EVENTS', 0.004);
    metrics.recordPublish('ORCHESTRATOR_EVENTS', 0.07);
    metrics.recordReceived('ORCHESTRATOR_EVENTS', 3);
    metrics.recordInvalid('not_json', 'ORCHESTRATOR_EVENTS');
    metrics.recordHandler('bridge.inbound', 0.0005);
    metrics.recordPublishFailure('NOT_CONNECTED');
    await monitoring.sampleJetStream();
    await waitFor(() => (monitoring.inputs().streams?.length ?? 0) > 0, { message: 'a JetStream snapshot' });

    const res = await fetch(endpoint!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const { problems, families } = lintExposition(text);
    expect(problems).toEqual([]);

    for (const name of [
      'synos_nats_connected',
      'synos_nats_connection_state',
      'synos_messages_published_total',
      'synos_messages_received_total',
      'synos_messages_invalid_total',
      'synos_publish_duration_seconds',
      'synos_handler_duration_seconds',
      'synos_outbox_messages',
      'synos_circuit_breaker_state',
      'synos_consumer_pending_messages',
      'synos_consumer_ack_pending_messages',
      'synos_stream_usage_ratio',
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds'
    ]) {
      expect(families.has(name), name).toBe(true);
    }
    expect(families.get('synos_publish_duration_seconds')!.type).toBe('histogram');
    expect(value(families, 'synos_nats_connected')).toBe(1);
    expect(value(families, 'synos_nats_connection_state', { state: 'connected' })).toBe(1);
    expect(value(families, 'synos_messages_published_total', { stream: 'ORCHESTRATOR_EVENTS' })).toBe(2);
    expect(value(families, 'synos_messages_received_total', { stream: 'ORCHESTRATOR_EVENTS' })).toBe(3);
    expect(value(families, 'synos_messages_invalid_total', { stream: 'ORCHESTRATOR_EVENTS', reason: 'not_json' })).toBe(
      1
    );
    expect(value(families, 'synos_publish_duration_seconds_count', { stream: 'ORCHESTRATOR_EVENTS' })).toBe(2);
    expect(
      value(families, 'synos_publish_duration_seconds_bucket', { stream: 'ORCHESTRATOR_EVENTS', le: '0.05' })
    ).toBe(1);
    // the outbox and the breakers of the durability area, sampled
    await waitFor(
      async () =>
        value(lintExposition(await metrics.text()).families, 'synos_outbox_messages', { status: 'pending' }) !==
        undefined,
      {
        message: 'outbox gauges'
      }
    );
    const later = lintExposition(await (await fetch(endpoint!)).text()).families;
    expect(value(later, 'synos_circuit_breaker_state', { breaker: 'publish', state: 'closed' })).toBe(1);
    expect(value(later, 'synos_emergency_mode')).toBe(0);

    if (findOnPath('promtool')) {
      const out = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(out.stdout + out.stderr).toBe('');
      expect(out.status).toBe(0);
    }

    expect((await fetch(endpoint!.replace('/metrics', '/other'))).status).toBe(404);
    expect((await fetch(endpoint!, { method: 'POST' })).status).toBe(405);
  });

  it('reports consumer pending and stream usage from JetStream, and follows a disconnect', async () => {
    const nc = core.context.nats.requireConnection();
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'METRICS_T', subjects: ['metrics_t.>'], max_msgs: 10 });
    await jsm.consumers.add('METRICS_T', { durable_name: 'idle', ack_policy: 'explicit' as never });
    const js = jsm.jetstream();
    for (let i = 0; i < 4; i++) await js.publish('metrics_t.x', new TextEncoder().encode(`m${i}`));
    await monitoring.sampleJetStream();
    const metrics = core.app.metrics;
    const fams = lintExposition(await metrics.text()).families;
    expect(value(fams, 'synos_consumer_pending_messages', { stream: 'METRICS_T', consumer: 'idle' })).toBe(4);
    expect(value(fams, 'synos_consumer_ack_pending_messages', { stream: 'METRICS_T', consumer: 'idle' })).toBe(0);
    expect(value(fams, 'synos_stream_usage_ratio', { stream: 'METRICS_T' })).toBeCloseTo(0.4);
    expect(value(fams, 'synos_stream_messages', { stream: 'METRICS_T' })).toBe(4);

    await core.api.invoke('connection.disconnect', {});
    const off = lintExposition(await metrics.text()).families;
    expect(value(off, 'synos_nats_connected')).toBe(0);
    // JetStream figures of a server we cannot see any more are dropped, not kept stale.
    expect(value(off, 'synos_consumer_pending_messages', { stream: 'METRICS_T', consumer: 'idle' })).toBeUndefined();
    await core.api.invoke('connection.connect', {});
  });

  it('serves the Metrics view: a snapshot with a bounded series and pushed samples', async () => {
    const pushed: MetricsSample[] = [];
    const off = core.api.subscribe('metrics.sample', (s) => pushed.push(s));
    try {
      const metrics = core.app.metrics;
      for (let i = 0; i < 50; i++) metrics.recordReceived('HEALTH_METRICS');
      await waitFor(() => pushed.length >= 3, { message: 'three pushed samples' });
      expect(pushed.some((s) => s.receivedPerSecond > 0)).toBe(true);
      const snap = await core.api.invoke('metrics.snapshot', { seriesLimit: 2 });
      expect(snap.series.length).toBeLessThanOrEqual(2);
      expect(snap.endpoint).toBe(monitoring.endpoint());
      expect(snap.connection.state).toBe('connected');
      expect(snap.totals.received).toBeGreaterThanOrEqual(50);
      expect(snap.outbox).not.toBeNull();
      expect(snap.breakers?.map((b) => b.name)).toContain('publish');
      expect(snap.emergency).toBe(false);
      expect(snap.current?.outboxBacklog).not.toBeNull();
      const text = await core.api.invoke('metrics.text', {});
      expect(text.text).toContain('# TYPE synos_messages_received_total counter');
    } finally {
      off();
    }
  });

  it('two cores in one process keep separate registries', async () => {
    const other = createTestCore({ monitoring: { ...FAST, defaultMetrics: true } });
    await other.start();
    try {
      const a = core.app.metrics;
      const b = other.app.metrics;
      expect(a).not.toBe(b);
      b.recordReceived('ISOLATION_CHECK');
      expect(await a.text()).not.toContain('ISOLATION_CHECK');
      expect(lintExposition(await b.text()).problems).toEqual([]);
    } finally {
      await other.stop();
    }
  });
});

describe('--metrics-port on the CLI', () => {
  let server: NatsServerHandle;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serve --metrics-port serves /metrics on 127.0.0.1 next to the web UI', async () => {
    const port = await freePort();
    const serve = await startServe(['--nats', server.url, '--data', tempDir(), '--metrics-port', String(port)]);
    try {
      const text = await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/metrics`);
          const body = await res.text();
          return body.includes('synos_nats_connected 1') ? body : null;
        },
        { timeoutMs: 20_000, message: '/metrics reporting a connected core' }
      );
      expect(lintExposition(text).problems).toEqual([]);
    } finally {
      await serve.stop();
    }
  });

  it('run --metrics-port serves /metrics until stopped; a port in use is refused with what to do', async () => {
    assertCliBuilt();
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [CLI, 'run', '--nats', server.url, '--data', tempDir(), '--metrics-port', String(port)],
      {
        env: { ...process.env, NATS_URL: '' },
        stdio: ['ignore', 'ignore', 'pipe']
      }
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      const text = await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/metrics`);
          return res.ok ? res.text() : null;
        },
        { timeoutMs: 20_000, message: `run to serve /metrics (${stderr})` }
      );
      expect(lintExposition(text).problems).toEqual([]);
      expect(text).toContain('# TYPE synos_outbox_messages gauge');

      const busy = runCliSync(['run', '--nats', server.url, '--data', tempDir(), '--metrics-port', String(port)], {
        timeoutMs: 30_000
      });
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(
        /UNAVAILABLE: cannot serve metrics on 127\.0\.0\.1:\d+: the port is in use; choose another --metrics-port/
      );
      expect(runCliSync(['run', '--metrics-port', 'x']).code).toBe(2);
    } finally {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    // Gone after the stop: nothing listens on the port any more.
    const refused = await new Promise<boolean>((resolve) => {
      http.get(`http://127.0.0.1:${port}/metrics`, () => resolve(false)).on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
