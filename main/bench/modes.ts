/**
 * The measurements of each benchmark mode (core pub, pub/sub, request/reply, JetStream publish
 * sync/async, JetStream consume, the app's pipeline), given the connections the runner opens.
 */
import { performance } from 'node:perf_hooks';
import { type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { ContractError } from '../contract';
import type { BenchGroup, BenchLatency, BenchParams, BenchPhase } from '../contract/bench';
import { AsyncJetStreamPublisher } from '../nats/messages';
import { groupStats, latencySummary, mergeSamples, type ClientMeasurement } from './results';

/** Shared counters of one run, read by the progress reporter and the watchdog. */
export interface RunState {
  id: string;
  params: BenchParams;
  subject: string;
  stream: string | null;
  payload: Uint8Array;
  signal: AbortSignal;
  phase: BenchPhase;
  done: number;
  total: number;
  phaseStartMs: number;
  connections: NatsConnection[];
}

export interface Measured {
  groups: BenchGroup[];
  totalsFrom: ClientMeasurement[];
  latency: BenchLatency | null;
}

/** How often a tight publish loop yields to the event loop, so sockets drain and cancel is seen. */
const YIELD_EVERY = 1000;
/** How often a core publisher waits for the server (PING/PONG): bounds the client's buffer. */
const FLUSH_EVERY = 50_000;

const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Splits n messages over k clients, the first ones taking the remainder (as nats bench does). */
export function splitMessages(n: number, k: number): number[] {
  const base = Math.floor(n / k);
  const rest = n % k;
  return Array.from({ length: k }, (_, i) => base + (i < rest ? 1 : 0));
}

export function cancelledError(): ContractError {
  return new ContractError('CANCELLED', 'the benchmark was cancelled');
}

/**
 * The app's own publishing path for the `pipeline` mode: it gets the subject and payload size and
 * sends `count` engine events through validation and the outbox, resolving once each is
 * acknowledged by JetStream. Provided by the module when the durability area is present.
 */
export interface PipelineDriver {
  /** Why the mode cannot run here, or null when it can. */
  unavailableReason(): string | null;
  run(options: PipelineRunOptions): Promise<PipelineOutcome>;
}

export interface PipelineRunOptions {
  runId: string;
  subject: string;
  stream: string;
  msgs: number;
  size: number;
  window: number;
  /** Input events offered per second; 0 = flat out with `window` events not yet done. */
  rate: number;
  /** Connection to publish on (the pipeline's own client connection). */
  nc: NatsConnection;
  signal: AbortSignal;
  /** Called once per message acknowledged. */
  onAck(): void;
}

export interface PipelineOutcome {
  measurement: ClientMeasurement;
  /** Milliseconds from publishing an input until its ack was sent and its outputs' PubAcks were in. */
  latencies: Float64Array;
  /**
   * Milliseconds from publishing an input until it was committed and its ack sent (the first part
   * of each latency: delivery, validation, engine and the SQLite commit; the rest is the wait for
   * the outputs' PubAcks).
   */
  toAck: Float64Array;
  /** Outbox rows (output messages) the inputs caused. */
  outputs: number;
}

/** What the modes need from the runner: connections counted in the run, and the pipeline driver. */
export interface ModeContext {
  connect(state: RunState, role: string): Promise<NatsConnection>;
  connectMany(state: RunState, prefix: string, count: number): Promise<NatsConnection[]>;
  readonly pipeline: PipelineDriver | null | undefined;
}

/** Starts a phase of a run: the progress counters restart from zero. */
export function startPhase(state: RunState, phase: BenchPhase, total: number): void {
  state.phase = phase;
  state.total = total;
  state.done = 0;
  state.phaseStartMs = performance.now();
}

export function measure(ctx: ModeContext, state: RunState): Promise<Measured> {
  switch (state.params.mode) {
    case 'pub':
      return corePub(ctx, state);
    case 'pubsub':
      return pubSub(ctx, state);
    case 'reqrep':
      return reqRep(ctx, state);
    case 'js-pub-sync':
      return jsPublish(ctx, state, false);
    case 'js-pub-async':
      return jsPublish(ctx, state, true);
    case 'js-consume':
      return jsConsume(ctx, state);
    case 'pipeline':
      return pipeline(ctx, state);
  }
}

// -------------------------------------------------------------------------------------------
// Core NATS

async function publishCore(state: RunState, nc: NatsConnection, name: string, n: number): Promise<ClientMeasurement> {
  const { subject, payload, signal } = state;
  const start = performance.now();
  for (let i = 1; i <= n; i++) {
    nc.publish(subject, payload);
    state.done++;
    if (i % YIELD_EVERY === 0) {
      if (signal.aborted) throw signal.reason;
      await yieldToIo();
    }
    if (i % FLUSH_EVERY === 0) await nc.flush();
  }
  await nc.flush();
  return { name, msgs: n, bytes: n * payload.length, startMs: start, endMs: performance.now() };
}

async function corePub(ctx: ModeContext, state: RunState): Promise<Measured> {
  const { msgs, pub } = state.params;
  const publishers = await ctx.connectMany(state, 'pub', pub);
  const split = splitMessages(msgs, pub);
  startPhase(state, 'running', msgs);
  const measured = await Promise.all(publishers.map((nc, i) => publishCore(state, nc, `pub-${i + 1}`, split[i] ?? 0)));
  return { groups: [groupStats('publishers', measured)], totalsFrom: measured, latency: null };
}

async function pubSub(ctx: ModeContext, state: RunState): Promise<Measured> {
  const { msgs, pub, sub } = state.params;
  const subscribers = await ctx.connectMany(state, 'sub', sub);
  const publishers = await ctx.connectMany(state, 'pub', pub);
  const received = subscribers.map((nc, i) => {
    const m: ClientMeasurement = { name: `sub-${i + 1}`, msgs: 0, bytes: 0, startMs: 0, endMs: 0 };
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    nc.subscribe(state.subject, {
      callback: (_error, msg) => {
        const now = performance.now();
        if (m.msgs === 0) m.startMs = now;
        m.msgs++;
        m.bytes += msg.data.length;
        m.endMs = now;
        state.done++;
        if (m.msgs === msgs) resolveDone();
      }
    });
    return { m, done };
  });
  // Interest must be registered on the server before the first publish.
  await Promise.all(subscribers.map((nc) => nc.flush()));
  const split = splitMessages(msgs, pub);
  startPhase(state, 'running', msgs * sub);
  const pubs = await Promise.all(publishers.map((nc, i) => publishCore(state, nc, `pub-${i + 1}`, split[i] ?? 0)));
  await Promise.all(received.map((r) => r.done));
  const subs = received.map((r) => r.m);
  return {
    groups: [groupStats('publishers', pubs), groupStats('subscribers', subs)],
    totalsFrom: [...pubs, ...subs],
    latency: null
  };
}

async function reqRep(ctx: ModeContext, state: RunState): Promise<Measured> {
  const { msgs, pub, sub } = state.params;
  const repliers = await ctx.connectMany(state, 'rep', sub);
  const requesters = await ctx.connectMany(state, 'req', pub);
  const replied = repliers.map((nc, i) => {
    const m: ClientMeasurement = { name: `rep-${i + 1}`, msgs: 0, bytes: 0, startMs: 0, endMs: 0 };
    nc.subscribe(state.subject, {
      queue: 'synos-bench',
      callback: (_error, msg) => {
        const now = performance.now();
        if (m.msgs === 0) m.startMs = now;
        msg.respond(state.payload);
        m.msgs++;
        m.bytes += msg.data.length;
        m.endMs = now;
      }
    });
    return m;
  });
  await Promise.all(repliers.map((nc) => nc.flush()));
  const split = splitMessages(msgs, pub);
  startPhase(state, 'running', msgs);
  const results = await Promise.all(
    requesters.map(async (nc, i) => {
      const n = split[i] ?? 0;
      const latencies = new Float64Array(n);
      const start = performance.now();
      for (let k = 0; k < n; k++) {
        if (state.signal.aborted) throw state.signal.reason;
        const t0 = performance.now();
        await nc.request(state.subject, state.payload, { timeout: 10_000 });
        latencies[k] = performance.now() - t0;
        state.done++;
      }
      const m: ClientMeasurement = {
        name: `req-${i + 1}`,
        msgs: n,
        bytes: n * state.payload.length,
        startMs: start,
        endMs: performance.now()
      };
      return { m, latencies };
    })
  );
  const reqs = results.map((r) => r.m);
  return {
    groups: [groupStats('requesters', reqs), groupStats('repliers', replied)],
    totalsFrom: reqs,
    latency: latencySummary('request → reply round trip', mergeSamples(results.map((r) => r.latencies)))
  };
}

// -------------------------------------------------------------------------------------------
// JetStream

/**
 * Publishes n messages and waits for each PubAck: one at a time (sync, nats.js's `js.publish()`),
 * or keeping up to `window` publishes in flight (async). Latency is publish → PubAck of each
 * message.
 *
 * Async publishes go through the app's PubAck publisher (../nats/messages/async-publisher.ts),
 * the way nats bench's Go client does it (PublishAsync: a core publish whose reply subject is one
 * wildcard inbox, PubAcks matched by token) and the way the app's outbox drain publishes. nats.js's
 * `js.publish()` is a full request per message instead; on a successful PubAck it still builds an
 * Error (the rejection of its already-resolved deferred) — about a quarter of the client's CPU in a
 * profile of this loop — so with it this mode measured the client rather than the server.
 */
async function publishJs(
  state: RunState,
  nc: NatsConnection,
  name: string,
  n: number,
  async: boolean,
  onAck: () => void
): Promise<{ m: ClientMeasurement; latencies: Float64Array }> {
  const { subject, payload, signal } = state;
  const latencies = new Float64Array(n);
  const start = performance.now();
  if (!async) {
    const js = jetstream(nc);
    for (let i = 0; i < n; i++) {
      if (signal.aborted) throw signal.reason;
      const t0 = performance.now();
      await js.publish(subject, payload);
      latencies[i] = performance.now() - t0;
      onAck();
    }
  } else {
    const window = state.params.window;
    const publisher = new AsyncJetStreamPublisher(nc);
    let inFlight = 0;
    let acked = 0;
    let failure: Error | null = null;
    let wake: (() => void) | null = null;
    try {
      for (let i = 0; i < n; i++) {
        while (inFlight >= window && failure === null) await new Promise<void>((resolve) => (wake = resolve));
        if (failure !== null) throw failure;
        if (signal.aborted) throw signal.reason;
        inFlight++;
        const t0 = performance.now();
        publisher.send(subject, payload, undefined, null, (error) => {
          if (error) failure ??= error;
          else {
            latencies[acked++] = performance.now() - t0;
            onAck();
          }
          inFlight--;
          const w = wake;
          wake = null;
          w?.();
        });
      }
      while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
      if (failure !== null) throw failure;
    } finally {
      publisher.close();
    }
  }
  return { m: { name, msgs: n, bytes: n * payload.length, startMs: start, endMs: performance.now() }, latencies };
}

async function jsPublish(ctx: ModeContext, state: RunState, async: boolean): Promise<Measured> {
  const { msgs, pub } = state.params;
  const publishers = await ctx.connectMany(state, 'pub', pub);
  const split = splitMessages(msgs, pub);
  startPhase(state, 'running', msgs);
  const results = await Promise.all(
    publishers.map((nc, i) => publishJs(state, nc, `pub-${i + 1}`, split[i] ?? 0, async, () => state.done++))
  );
  const pubs = results.map((r) => r.m);
  return {
    groups: [groupStats('publishers', pubs)],
    totalsFrom: pubs,
    latency: latencySummary(
      async ? `publish → PubAck, ${state.params.window} in flight` : 'publish → PubAck, one at a time',
      mergeSamples(results.map((r) => r.latencies))
    )
  };
}

async function jsConsume(ctx: ModeContext, state: RunState): Promise<Measured> {
  const { msgs, sub, consumer, batch } = state.params;
  // Fill the stream first (not measured), with the async window like js-pub-async.
  const loader = await ctx.connect(state, 'loader');
  startPhase(state, 'preparing', msgs);
  await publishJs(state, loader, 'loader', msgs, true, () => state.done++);
  const consumers = await ctx.connectMany(state, 'sub', sub);
  const stream = state.stream as string;
  let measured: ClientMeasurement[];
  if (consumer === 'ordered') {
    startPhase(state, 'running', msgs * sub);
    measured = await Promise.all(
      consumers.map(async (nc, i) => {
        const c = await jetstream(nc).consumers.get(stream);
        const m: ClientMeasurement = {
          name: `sub-${i + 1}`,
          msgs: 0,
          bytes: 0,
          startMs: performance.now(),
          endMs: 0
        };
        const iter = await c.consume({ max_messages: batch });
        state.signal.addEventListener('abort', () => void iter.stop(), { once: true });
        for await (const msg of iter) {
          m.msgs++;
          m.bytes += msg.data.length;
          state.done++;
          if (m.msgs >= msgs) break;
        }
        m.endMs = performance.now();
        await iter.close().catch(() => undefined);
        if (state.signal.aborted) throw state.signal.reason;
        return m;
      })
    );
  } else {
    // All clients share one durable pull consumer and fetch batches, acknowledging each message.
    const jsm = await jetstreamManager(loader);
    const durable = 'synos_bench_fetch';
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      max_ack_pending: Math.max(10_000, batch * sub * 4)
    });
    startPhase(state, 'running', msgs);
    let received = 0;
    measured = await Promise.all(
      consumers.map(async (nc, i) => {
        const c = await jetstream(nc).consumers.get(stream, durable);
        const m: ClientMeasurement = {
          name: `sub-${i + 1}`,
          msgs: 0,
          bytes: 0,
          startMs: performance.now(),
          endMs: 0
        };
        while (received < msgs) {
          if (state.signal.aborted) throw state.signal.reason;
          const iter = await c.fetch({ max_messages: Math.min(batch, msgs - received), expires: 1000 });
          for await (const msg of iter) {
            msg.ack();
            m.msgs++;
            m.bytes += msg.data.length;
            m.endMs = performance.now();
            received++;
            state.done++;
          }
        }
        // A client that got nothing ends where it started.
        if (m.msgs === 0) m.endMs = m.startMs;
        await nc.flush();
        return m;
      })
    );
  }
  return { groups: [groupStats('consumers', measured)], totalsFrom: measured, latency: null };
}

// -------------------------------------------------------------------------------------------
// The app's own pipeline

async function pipeline(ctx: ModeContext, state: RunState): Promise<Measured> {
  const driver = ctx.pipeline;
  if (!driver)
    throw new ContractError('UNAVAILABLE', 'the pipeline benchmark cannot run: the outbox is not part of this core');
  const nc = await ctx.connect(state, 'pipeline');
  startPhase(state, 'running', state.params.msgs);
  const outcome = await driver.run({
    runId: state.id,
    subject: state.subject,
    stream: state.stream as string,
    msgs: state.params.msgs,
    size: state.params.size,
    window: state.params.window,
    rate: state.params.rate,
    nc,
    signal: state.signal,
    onAck: () => state.done++
  });
  const toAck = latencySummary('', outcome.toAck);
  const split = toAck
    ? `; of which publish → commit and ack p50 ${toAck.p50Ms.toFixed(2)} ms, p99 ${toAck.p99Ms.toFixed(2)} ms`
    : '';
  return {
    groups: [groupStats('publishers', [outcome.measurement])],
    totalsFrom: [outcome.measurement],
    latency: latencySummary(
      `inbound CloudEvent published → consumer → validate → engine → outbox commit → ack sent and every output's PubAck in (${
        state.params.rate > 0 ? `${state.params.rate} events/s offered` : `flat out, ${state.params.window} in flight`
      }; ${(outcome.outputs / Math.max(1, outcome.measurement.msgs)).toFixed(2)} outputs per event${split})`,
      outcome.latencies
    )
  };
}
