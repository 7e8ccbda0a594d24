/**
 * The sampling intervals of config.json's `monitoring` section reach the running core, against
 * real nats-servers: a core configured with `jetstreamSampleIntervalMs: 1000` samples JetStream
 * about every second (counted as delivered samples and as `$JS.API.STREAM.LIST` requests the
 * server handled), while a core with the defaults samples once on connect and then not again for
 * 15 s — both watched over the same window. A slow configured interval is not pulled back to the
 * default by the monitoring area. Counts only: no durations are asserted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../main/app/create-core';
import type { JetStreamSamplerService } from '../../main/nats/operations-module';
import { createTestCore } from '../harness/core';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir, waitFor } from '../harness/temp';

/** The window both cores are watched over: six periods of the fast core. */
const WINDOW_MS = 6000;

/** Counts the JetStream API requests a server handles (it copies each to this subscription too). */
class StreamListCounter {
  private lists = 0;
  private constructor(private readonly nc: NatsConnection) {}

  static async start(url: string): Promise<StreamListCounter> {
    const nc = await connect({ servers: url });
    const counter = new StreamListCounter(nc);
    nc.subscribe('$JS.API.STREAM.LIST', {
      callback: () => {
        counter.lists++;
      }
    });
    await nc.flush();
    return counter;
  }

  /** Stream lists handled so far; after a round trip every request handled before it has arrived. */
  async count(): Promise<number> {
    await this.nc.flush();
    return this.lists;
  }

  close(): Promise<void> {
    return this.nc.close();
  }
}

const dataDirs: string[] = [];

/** A data directory whose config.json holds `config`. */
function dataDirWith(config: unknown): string {
  const dir = tempDir();
  dataDirs.push(dir);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

interface Watched {
  core: Core;
  sampler: JetStreamSamplerService;
  counter: StreamListCounter;
  samples: number;
  metricsSamples: number;
}

/** A core on `server` from the data dir's config.json, connected, its first sample taken, then counted. */
async function watch(server: NatsServerHandle, dataDir: string): Promise<Watched> {
  const core = createTestCore({ servers: [server.url], dataDir });
  await core.start();
  await core.api.invoke('connection.connect', {});
  const sampler = core.app.operations.sampler;
  // The sample after connect (after provisioning) is taken before counting starts.
  await waitFor(() => sampler.lastSampleAt() !== null, { message: 'the first sample after connect' });
  const counter = await StreamListCounter.start(server.url);
  const watched: Watched = { core, sampler, counter, samples: 0, metricsSamples: 0 };
  sampler.onSample(() => watched.samples++);
  core.api.subscribe('metrics.sample', () => watched.metricsSamples++);
  return watched;
}

describe('monitoring.jetstreamSampleIntervalMs and metricsSampleIntervalMs from config.json', () => {
  let fastServer: NatsServerHandle;
  let defaultServer: NatsServerHandle;
  const cores: Core[] = [];
  const counters: StreamListCounter[] = [];

  beforeAll(async () => {
    [fastServer, defaultServer] = await Promise.all([startNatsServer(), startNatsServer()]);
  });
  afterAll(async () => {
    await Promise.all(counters.map((c) => c.close()));
    await Promise.all(cores.map((c) => c.stop()));
    await Promise.all([fastServer?.stop(), defaultServer?.stop()]);
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a 1000 ms interval samples several times in a window where the default samples not at all', async () => {
    const fast = await watch(
      fastServer,
      dataDirWith({ monitoring: { jetstreamSampleIntervalMs: 1000, metricsSampleIntervalMs: 500 } })
    );
    cores.push(fast.core);
    counters.push(fast.counter);
    const standard = await watch(defaultServer, dataDirWith({}));
    cores.push(standard.core);
    counters.push(standard.counter);

    // The configured interval is the one the shared sampler runs at (the monitoring area asks for
    // the same one, so neither pulls the other to 15 s).
    expect(fast.sampler.intervalMs()).toBe(1000);
    expect(standard.sampler.intervalMs()).toBe(15_000);
    const fastMetrics = await fast.core.api.invoke('metrics.snapshot', { seriesLimit: 0 });
    expect(fastMetrics.sampleIntervalMs).toBe(500);
    const standardMetrics = await standard.core.api.invoke('metrics.snapshot', { seriesLimit: 0 });
    expect(standardMetrics.sampleIntervalMs).toBe(2000);

    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
    // Stopping waits for a sample in flight, so every list counted belongs to a delivered sample.
    await Promise.all([fast.core.stop(), standard.core.stop()]);
    const fastLists = await fast.counter.count();
    const standardLists = await standard.counter.count();

    // About six periodic samples of the fast core; at least three even on a loaded machine.
    expect(fast.samples).toBeGreaterThanOrEqual(3);
    expect(fastLists).toBeGreaterThanOrEqual(3);
    // Each sample is one stream list: the monitoring area reads the same samples.
    expect(fastLists).toBeLessThanOrEqual(fast.samples);
    // The default core's next periodic sample is 15 s after its start: none in this window.
    expect(standard.samples).toBeLessThanOrEqual(1);
    expect(standardLists).toBeLessThanOrEqual(1);
    // Metrics samples: about twelve at 500 ms, about three at the default 2 s.
    expect(fast.metricsSamples).toBeGreaterThanOrEqual(6);
    expect(standard.metricsSamples).toBeLessThanOrEqual(4);
    expect(fast.metricsSamples).toBeGreaterThan(standard.metricsSamples);
  });

  it('a slow configured interval (10 min) is kept: the monitoring area does not ask for the 15 s default', async () => {
    const core = createTestCore({
      servers: [defaultServer.url],
      dataDir: dataDirWith({ monitoring: { jetstreamSampleIntervalMs: 600_000 } })
    });
    cores.push(core);
    await core.start();
    const sampler = core.app.operations.sampler;
    expect(sampler.intervalMs()).toBe(600_000);
    // Connected, it samples once on connect; the timer would next run in 10 minutes.
    await core.api.invoke('connection.connect', {});
    await waitFor(() => sampler.lastSampleAt() !== null, { message: 'the sample after connect' });
    expect(sampler.intervalMs()).toBe(600_000);
    await core.stop();
  });

  it('the Settings save path writes the JetStream interval to config.json; the next core runs at it', async () => {
    const dataDir = dataDirWith({ log: { level: 'warn' }, monitoring: { metricsSampleIntervalMs: 1000 } });
    const file = path.join(dataDir, 'config.json');
    const first = createTestCore({ servers: [defaultServer.url], dataDir });
    cores.push(first);
    await first.start();
    expect(await first.api.invoke('settings.startup', {})).toMatchObject({
      jetstreamSampleIntervalMs: 15_000,
      running: { jetstreamSampleIntervalMs: 15_000 }
    });
    const saved = await first.api.invoke('settings.setStartup', { jetstreamSampleIntervalMs: 5000 });
    // Saved for the next start; this core keeps running at the interval it started with.
    expect(saved).toMatchObject({ jetstreamSampleIntervalMs: 5000, running: { jetstreamSampleIntervalMs: 15_000 } });
    expect(first.app.operations.sampler.intervalMs()).toBe(15_000);
    // The other keys, including the rest of the monitoring section, are kept.
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({
      log: { level: 'warn' },
      monitoring: { metricsSampleIntervalMs: 1000, jetstreamSampleIntervalMs: 5000 }
    });
    // Out of bounds is refused before anything is written.
    for (const bad of [999, 600_001, 1500.5]) {
      await expect(first.api.call('settings.setStartup', { jetstreamSampleIntervalMs: bad })).resolves.toMatchObject({
        ok: false,
        error: { code: 'INVALID_INPUT' }
      });
    }
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).monitoring.jetstreamSampleIntervalMs).toBe(5000);
    await first.stop();

    const next = createTestCore({ servers: [defaultServer.url], dataDir });
    cores.push(next);
    await next.start();
    expect(next.app.operations.sampler.intervalMs()).toBe(5000);
    expect(await next.api.invoke('settings.startup', {})).toMatchObject({
      jetstreamSampleIntervalMs: 5000,
      running: { jetstreamSampleIntervalMs: 5000 }
    });
    await next.stop();
  });

  it('a bad interval in config.json stops the core from being built, naming the field', () => {
    expect(() =>
      createTestCore({
        servers: [defaultServer.url],
        dataDir: dataDirWith({ monitoring: { jetstreamSampleIntervalMs: 100 } })
      })
    ).toThrow(/monitoring\.jetstreamSampleIntervalMs: must be at least 1000 ms/);
  });
});
