/**
 * BenchmarkRunner: measures NATS the way `nats bench` does, from this app's own process.
 *
 * - Every client (publisher, subscriber, requester, replier, consumer) has its own NatsConnection
 *   built from the core's configuration (as nats bench opens one connection per client), so the
 *   figures include the same auth/TLS as the app's own traffic. A separate admin connection
 *   creates and deletes the temporary stream.
 * - JetStream modes work on a temporary stream `SYNOS_BENCH_<ID>` over `synos_bench.<id>.>`,
 *   deleted when the run ends however it ends; the product streams are never touched.
 * - Cancelling (AbortSignal) ends the measurement at once: the client connections are closed,
 *   the stream deleted, and the run rejects with CANCELLED.
 * - A watchdog fails a run whose message count has not moved for `stallMs` (a subscriber the
 *   server cut off as a slow consumer would otherwise wait forever).
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { ContractError } from '../contract';
import {
  BENCH_JETSTREAM_MODES,
  type BenchEnvironment,
  type BenchGroup,
  type BenchLatency,
  type BenchParams,
  type BenchPhase,
  type BenchProgress,
  type BenchRun
} from '../contract/bench';
import type { NatsConfig } from '../core/config';
import type { Logger } from '../core/logger';
import { buildConnectOptions, toNatsContractError } from '../nats/connection';
import { groupStats, latencySummary, mergeSamples, aggregateRate, type ClientMeasurement } from './results';
import { isProcessAlive } from '../core/process';

/** The version of the official client these figures were measured with. */
export function natsClientVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    return (require('@nats-io/transport-node/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Stream name of a run: the prefix marks every benchmark stream, so leftovers are recognisable. */
export const BENCH_STREAM_PREFIX = 'SYNOS_BENCH_';

export function benchStreamName(runId: string): string {
  return `${BENCH_STREAM_PREFIX}${runId.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
}

/** Subject root of a run; outside every product stream's subjects (docs/architecture.md §2). */
export function benchSubjectPrefix(runId: string): string {
  return `synos_bench.${runId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
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
  /** Outbox rows (output messages) the inputs caused. */
  outputs: number;
}

export interface BenchmarkRunnerOptions {
  nats: NatsConfig;
  /** Servers to connect the clients to (the core's current ones). */
  servers: string[];
  logger: Logger;
  appVersion: string;
  pipeline?: PipelineDriver | null;
  /** A run fails when no message moved for this long (default 20 s). */
  stallMs?: number;
}

export interface RunHooks {
  signal?: AbortSignal;
  onProgress?(progress: BenchProgress): void;
  /** Interval of onProgress while running (default 250 ms). */
  progressIntervalMs?: number;
}

/** Shared counters of one run, read by the progress reporter and the watchdog. */
interface RunState {
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

interface Measured {
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

function cancelledError(): ContractError {
  return new ContractError('CANCELLED', 'the benchmark was cancelled');
}

export class BenchmarkRunner {
  private readonly options: BenchmarkRunnerOptions;
  private readonly logger: Logger;

  constructor(options: BenchmarkRunnerOptions) {
    this.options = options;
    this.logger = options.logger.child({ part: 'bench' });
  }

  /** Whether a mode needs the temporary stream. */
  static usesStream(mode: BenchParams['mode']): boolean {
    return BENCH_JETSTREAM_MODES.includes(mode);
  }

  /**
   * Runs one benchmark to the end and returns its result (not stored: the caller keeps it).
   * Rejects with CANCELLED when the signal aborts, TIMEOUT when the run stalls, or the classified
   * NATS error; the temporary stream is deleted in every case.
   */
  async run(runId: string, params: BenchParams, hooks: RunHooks = {}): Promise<BenchRun> {
    const startedAt = new Date();
    const internal = new AbortController();
    const abortFromCaller = (): void => internal.abort(cancelledError());
    if (hooks.signal?.aborted) throw cancelledError();
    hooks.signal?.addEventListener('abort', abortFromCaller, { once: true });

    const state: RunState = {
      id: runId,
      params,
      subject: `${benchSubjectPrefix(runId)}.msgs`,
      stream: BenchmarkRunner.usesStream(params.mode) ? benchStreamName(runId) : null,
      payload: makePayload(params.size),
      signal: internal.signal,
      phase: 'preparing',
      done: 0,
      total: params.msgs,
      phaseStartMs: performance.now(),
      connections: []
    };

    const emit = (): void => {
      if (!hooks.onProgress) return;
      const elapsedMs = performance.now() - state.phaseStartMs;
      try {
        hooks.onProgress({
          runId,
          mode: params.mode,
          phase: state.phase,
          done: state.done,
          total: state.total,
          elapsedMs: Math.round(elapsedMs),
          msgsPerSec: elapsedMs > 0 ? Math.round((state.done / elapsedMs) * 1000) : 0
        });
      } catch (error) {
        this.logger.warn('benchmark progress listener failed', { error });
      }
    };
    const progressTimer = setInterval(emit, hooks.progressIntervalMs ?? 250);
    progressTimer.unref();

    // The watchdog: a run whose counter does not move for stallMs fails with TIMEOUT.
    const stallMs = this.options.stallMs ?? 20_000;
    let lastDone = -1;
    let lastMoveMs = performance.now();
    const watchdog = setInterval(() => {
      if (state.done !== lastDone) {
        lastDone = state.done;
        lastMoveMs = performance.now();
      } else if (performance.now() - lastMoveMs > stallMs) {
        internal.abort(
          new ContractError(
            'TIMEOUT',
            `the benchmark stalled: ${state.done} of ${state.total} messages after no progress for ${Math.round(stallMs / 1000)} s`,
            {
              phase: state.phase,
              done: state.done,
              total: state.total,
              hint: 'A subscriber may have been cut off as a slow consumer, or the server is overloaded: try fewer or smaller messages, or fewer clients.'
            }
          )
        );
      }
    }, 250);
    watchdog.unref();

    let admin: NatsConnection | null = null;
    try {
      admin = await this.connect(state, 'admin');
      this.preflight(admin, state);
      emit();
      const environment = this.environment(admin);
      if (state.stream) {
        await this.sweepLeftovers(admin);
        await this.createStream(admin, state);
      }
      const measured = await abortable(this.measure(state), internal.signal);
      return {
        id: runId,
        mode: params.mode,
        params,
        label: params.label ?? null,
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        stream: state.stream,
        totals: aggregateRate(measured.totalsFrom),
        groups: measured.groups,
        latency: measured.latency,
        environment
      };
    } catch (error) {
      if (internal.signal.aborted && internal.signal.reason instanceof ContractError) throw internal.signal.reason;
      throw toNatsContractError(error, this.options.servers);
    } finally {
      clearInterval(watchdog);
      hooks.signal?.removeEventListener('abort', abortFromCaller);
      state.phase = 'cleanup';
      emit();
      clearInterval(progressTimer);
      // Any client operation still pending ends with the connection; its rejection is expected.
      if (!internal.signal.aborted) internal.abort(cancelledError());
      await Promise.all(state.connections.filter((nc) => nc !== admin).map((nc) => nc.close().catch(() => undefined)));
      if (admin) {
        if (state.stream) await this.deleteStream(admin, state.stream);
        await admin.close().catch(() => undefined);
      }
    }
  }

  private async connect(state: RunState, role: string): Promise<NatsConnection> {
    if (state.signal.aborted) throw state.signal.reason;
    let nc: NatsConnection;
    try {
      nc = await connect({
        ...buildConnectOptions(this.options.nats, this.options.servers),
        name: `synos-bench ${state.id} ${role}`,
        // A reconnect in the middle of a measurement would make its figures meaningless.
        reconnect: false,
        maxReconnectAttempts: 0
      });
    } catch (error) {
      throw toNatsContractError(error, this.options.servers);
    }
    state.connections.push(nc);
    return nc;
  }

  private preflight(admin: NatsConnection, state: RunState): void {
    const problem = preflightProblem(state.params, admin.info ?? null, this.options.pipeline ?? null);
    if (problem) throw problem;
  }

  private environment(admin: NatsConnection): BenchEnvironment {
    const cpus = os.cpus();
    return {
      serverVersion: admin.info?.version ?? 'unknown',
      serverName: admin.info?.server_name ?? 'unknown',
      clientVersion: natsClientVersion(),
      appVersion: this.options.appVersion,
      nodeVersion: process.version,
      platform: process.platform,
      arch: process.arch,
      cpus: cpus.length,
      cpuModel: cpus[0]?.model.trim() ?? 'unknown',
      totalMemoryBytes: os.totalmem()
    };
  }

  private async createStream(admin: NatsConnection, state: RunState): Promise<void> {
    const jsm = await jetstreamManager(admin);
    await jsm.streams.add({
      name: state.stream as string,
      subjects: [`${benchSubjectPrefix(state.id)}.>`],
      storage: state.params.storage,
      num_replicas: 1,
      description: `${streamDescription(state.id, state.params.mode)}`
    });
  }

  /**
   * Deletes benchmark streams left by runs whose process died (kill -9, power loss) on this host:
   * their description names the owner's host and pid. Streams of live runs — here or on other
   * hosts — are left alone. Returns the names deleted.
   */
  async sweepLeftovers(admin: NatsConnection): Promise<string[]> {
    const jsm = await jetstreamManager(admin);
    const deleted: string[] = [];
    for await (const info of jsm.streams.list()) {
      const name = info.config.name;
      if (!name.startsWith(BENCH_STREAM_PREFIX)) continue;
      const owner = parseStreamOwner(info.config.description ?? '');
      if (!owner || owner.host !== os.hostname() || isProcessAlive(owner.pid)) continue;
      try {
        await jsm.streams.delete(name);
        deleted.push(name);
        this.logger.warn(
          `deleted the leftover benchmark stream ${name} of a run whose process (pid ${owner.pid}) is gone`
        );
      } catch (error) {
        this.logger.warn(`could not delete the leftover benchmark stream ${name}`, { error });
      }
    }
    return deleted;
  }

  private async deleteStream(admin: NatsConnection, stream: string): Promise<void> {
    try {
      const jsm = await jetstreamManager(admin);
      await jsm.streams.delete(stream);
    } catch (error) {
      // Not found means it was never created (the run failed before) — anything else is worth a warning.
      if (!/not found/i.test((error as Error).message)) {
        this.logger.warn(
          `could not delete the benchmark stream ${stream}: the next benchmark on this host deletes it once this process has ended, or delete it by hand (nats stream rm ${stream})`,
          { error }
        );
      }
    }
  }

  private startPhase(state: RunState, phase: BenchPhase, total: number): void {
    state.phase = phase;
    state.total = total;
    state.done = 0;
    state.phaseStartMs = performance.now();
  }

  private async connectMany(state: RunState, prefix: string, count: number): Promise<NatsConnection[]> {
    return Promise.all(Array.from({ length: count }, (_, i) => this.connect(state, `${prefix}-${i + 1}`)));
  }

  private measure(state: RunState): Promise<Measured> {
    switch (state.params.mode) {
      case 'pub':
        return this.corePub(state);
      case 'pubsub':
        return this.pubSub(state);
      case 'reqrep':
        return this.reqRep(state);
      case 'js-pub-sync':
        return this.jsPublish(state, false);
      case 'js-pub-async':
        return this.jsPublish(state, true);
      case 'js-consume':
        return this.jsConsume(state);
      case 'pipeline':
        return this.pipeline(state);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Core NATS

  private async publishCore(state: RunState, nc: NatsConnection, name: string, n: number): Promise<ClientMeasurement> {
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

  private async corePub(state: RunState): Promise<Measured> {
    const { msgs, pub } = state.params;
    const publishers = await this.connectMany(state, 'pub', pub);
    const split = splitMessages(msgs, pub);
    this.startPhase(state, 'running', msgs);
    const measured = await Promise.all(
      publishers.map((nc, i) => this.publishCore(state, nc, `pub-${i + 1}`, split[i] ?? 0))
    );
    return { groups: [groupStats('publishers', measured)], totalsFrom: measured, latency: null };
  }

  private async pubSub(state: RunState): Promise<Measured> {
    const { msgs, pub, sub } = state.params;
    const subscribers = await this.connectMany(state, 'sub', sub);
    const publishers = await this.connectMany(state, 'pub', pub);
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
    this.startPhase(state, 'running', msgs * sub);
    const pubs = await Promise.all(
      publishers.map((nc, i) => this.publishCore(state, nc, `pub-${i + 1}`, split[i] ?? 0))
    );
    await Promise.all(received.map((r) => r.done));
    const subs = received.map((r) => r.m);
    return {
      groups: [groupStats('publishers', pubs), groupStats('subscribers', subs)],
      totalsFrom: [...pubs, ...subs],
      latency: null
    };
  }

  private async reqRep(state: RunState): Promise<Measured> {
    const { msgs, pub, sub } = state.params;
    const repliers = await this.connectMany(state, 'rep', sub);
    const requesters = await this.connectMany(state, 'req', pub);
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
    this.startPhase(state, 'running', msgs);
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
   * Publishes n messages and waits for each PubAck: one at a time (sync), or keeping up to
   * `window` publishes in flight (async). Latency is publish → PubAck of each message.
   */
  private async publishJs(
    state: RunState,
    js: JetStreamClient,
    name: string,
    n: number,
    async: boolean,
    onAck: () => void
  ): Promise<{ m: ClientMeasurement; latencies: Float64Array }> {
    const { subject, payload, signal } = state;
    const latencies = new Float64Array(n);
    const start = performance.now();
    if (!async) {
      for (let i = 0; i < n; i++) {
        if (signal.aborted) throw signal.reason;
        const t0 = performance.now();
        await js.publish(subject, payload);
        latencies[i] = performance.now() - t0;
        onAck();
      }
    } else {
      const window = state.params.window;
      let inFlight = 0;
      let acked = 0;
      let failure: unknown = null;
      let wake: (() => void) | null = null;
      const settle = (): void => {
        inFlight--;
        const w = wake;
        wake = null;
        w?.();
      };
      for (let i = 0; i < n; i++) {
        while (inFlight >= window && failure === null) await new Promise<void>((resolve) => (wake = resolve));
        if (failure !== null) throw failure;
        if (signal.aborted) throw signal.reason;
        inFlight++;
        const t0 = performance.now();
        js.publish(subject, payload).then(
          () => {
            latencies[acked++] = performance.now() - t0;
            onAck();
            settle();
          },
          (error: unknown) => {
            failure ??= error;
            settle();
          }
        );
      }
      while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
      if (failure !== null) throw failure;
    }
    return { m: { name, msgs: n, bytes: n * payload.length, startMs: start, endMs: performance.now() }, latencies };
  }

  private async jsPublish(state: RunState, async: boolean): Promise<Measured> {
    const { msgs, pub } = state.params;
    const publishers = await this.connectMany(state, 'pub', pub);
    const split = splitMessages(msgs, pub);
    this.startPhase(state, 'running', msgs);
    const results = await Promise.all(
      publishers.map((nc, i) =>
        this.publishJs(state, jetstream(nc), `pub-${i + 1}`, split[i] ?? 0, async, () => state.done++)
      )
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

  private async jsConsume(state: RunState): Promise<Measured> {
    const { msgs, sub, consumer, batch } = state.params;
    // Fill the stream first (not measured), with the async window like js-pub-async.
    const loader = await this.connect(state, 'loader');
    this.startPhase(state, 'preparing', msgs);
    await this.publishJs(state, jetstream(loader), 'loader', msgs, true, () => state.done++);
    const consumers = await this.connectMany(state, 'sub', sub);
    const stream = state.stream as string;
    let measured: ClientMeasurement[];
    if (consumer === 'ordered') {
      this.startPhase(state, 'running', msgs * sub);
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
      this.startPhase(state, 'running', msgs);
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

  private async pipeline(state: RunState): Promise<Measured> {
    const driver = this.options.pipeline;
    if (!driver)
      throw new ContractError('UNAVAILABLE', 'the pipeline benchmark cannot run: the outbox is not part of this core');
    const nc = await this.connect(state, 'pipeline');
    this.startPhase(state, 'running', state.params.msgs);
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
    return {
      groups: [groupStats('publishers', [outcome.measurement])],
      totalsFrom: [outcome.measurement],
      latency: latencySummary(
        `inbound CloudEvent published → consumer → validate → engine → outbox commit → ack sent and every output's PubAck in (${
          state.params.rate > 0 ? `${state.params.rate} events/s offered` : `flat out, ${state.params.window} in flight`
        }; ${(outcome.outputs / Math.max(1, outcome.measurement.msgs)).toFixed(2)} outputs per event)`,
        outcome.latencies
      )
    };
  }
}

/**
 * Why a run cannot start against a server with this info, or null when it can: a size above
 * max_payload, a JetStream mode without JetStream, a pipeline with several publishers or without
 * a usable outbox. Checked when a run is requested (so the caller gets the error at once) and
 * again by the runner on its own connection.
 */
export function preflightProblem(
  params: BenchParams,
  info: { max_payload?: number; jetstream?: boolean } | null,
  pipeline: PipelineDriver | null
): ContractError | null {
  const max = info?.max_payload ?? Number.MAX_SAFE_INTEGER;
  if (params.size > max) {
    return new ContractError(
      'INVALID_INPUT',
      `--size ${params.size} is above the server's max_payload of ${max} bytes`,
      {
        hint: `Use --size ${max} or less, or raise max_payload in the server configuration.`
      }
    );
  }
  if (BenchmarkRunner.usesStream(params.mode) && info && !info.jetstream) {
    return new ContractError('UNAVAILABLE', `mode ${params.mode} needs JetStream, and the server has it disabled`, {
      hint: 'Start nats-server with -js (or a jetstream {} block), or pick a core mode: pub, pubsub, reqrep.'
    });
  }
  if (params.mode === 'pipeline') {
    if (params.pub > 1) {
      return new ContractError(
        'INVALID_INPUT',
        'the pipeline benchmark has one event source, as the app has one outbox',
        {
          hint: 'Leave out --clients/--pub; use --window to change how many events are in flight.'
        }
      );
    }
    const reason = pipeline ? pipeline.unavailableReason() : 'the outbox is not part of this core';
    if (reason) return new ContractError('UNAVAILABLE', `the pipeline benchmark cannot run: ${reason}`);
  }
  return null;
}

/** The description of a run's stream: says what it is, and who owns it (for the leftover sweep). */
export function streamDescription(runId: string, mode: string, host = os.hostname(), pid = process.pid): string {
  return `Temporary stream of synos-cc bench run ${runId} (${mode}), owner ${host} pid ${pid}; deleted when the run ends`;
}

export function parseStreamOwner(description: string): { host: string; pid: number } | null {
  const m = /owner (\S+) pid (\d+);/.exec(description);
  return m ? { host: m[1] as string, pid: Number(m[2]) } : null;
}

/** Payload bytes of a run: printable filler, so a captured message is readable in a viewer. */
function makePayload(size: number): Uint8Array {
  const out = new Uint8Array(size);
  const pattern = new TextEncoder().encode('synos-bench ');
  for (let i = 0; i < size; i++) out[i] = pattern[i % pattern.length] as number;
  return out;
}

/** Resolves like `work`, or rejects with the signal's reason as soon as it aborts. */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  // The work's own later rejection (its connections closing) is expected and must not surface.
  work.catch(() => undefined);
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      }
    );
  });
}
