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
import { jetstreamManager } from '@nats-io/jetstream';
import { ContractError } from '../contract';
import {
  BENCH_JETSTREAM_MODES,
  type BenchEnvironment,
  type BenchParams,
  type BenchProgress,
  type BenchRun
} from '../contract/bench';
import type { NatsConfig } from '../core/config';
import type { Logger } from '../core/logger';
import { buildConnectOptions, toNatsContractError } from '../nats/connection';
import { aggregateRate } from './results';
import { isProcessAlive } from '../core/process';
import { cancelledError, measure, type PipelineDriver, type RunState } from './modes';

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

export type { PipelineDriver, PipelineOutcome, PipelineRunOptions } from './modes';

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
      const measured = await abortable(
        measure(
          {
            connect: (s, role) => this.connect(s, role),
            connectMany: (s, prefix, count) => this.connectMany(s, prefix, count),
            pipeline: this.options.pipeline
          },
          state
        ),
        internal.signal
      );
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

  private async connectMany(state: RunState, prefix: string, count: number): Promise<NatsConnection[]> {
    return Promise.all(Array.from({ length: count }, (_, i) => this.connect(state, `${prefix}-${i + 1}`)));
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
