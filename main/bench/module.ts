/**
 * The bench area: `bench.*` procedures over the BenchmarkRunner and the BenchHistoryStore.
 * One run at a time (two at once would measure each other); it runs in the background, pushes
 * `bench.progress` and ends with `bench.finished`. Stopping the core cancels it, so its temporary
 * stream is deleted.
 */
import { randomBytes } from 'node:crypto';
import { ContractError, toErrorShape } from '../contract';
import type { BenchMode, BenchParams, BenchProgress } from '../contract/bench';
import type { CoreContext, CoreModule } from '../core/module';
import { APP_VERSION } from '../core/version';
import { BenchHistoryStore } from './history';
import { createPipelineDriver } from './pipeline';
import { compareRuns, runsToCsv, summarizeRun } from './results';
import { BenchmarkRunner, benchStreamName, preflightProblem } from './runner';

/** Time-ordered, short and safe in a stream name and a subject: base-36 milliseconds + random. */
export function newRunId(now = Date.now()): string {
  const random = randomBytes(4).readUInt32BE(0).toString(36).padStart(7, '0').slice(-5);
  return `${now.toString(36)}${random}`;
}

interface ActiveRun {
  runId: string;
  mode: BenchMode;
  controller: AbortController;
  progress: BenchProgress;
  finished: Promise<void>;
}

export function createBenchModule(ctx: CoreContext): CoreModule {
  const logger = ctx.logger.child({ part: 'bench' });
  const history = new BenchHistoryStore(ctx.db, { logger });
  let active: ActiveRun | null = null;

  function start(params: BenchParams): { runId: string; stream: string | null } {
    if (active) {
      throw new ContractError('CONFLICT', `benchmark ${active.runId} (${active.mode}) is still running`, {
        runId: active.runId,
        hint: 'Wait for it to finish or cancel it (bench.cancel / Ctrl+C): two runs at once would measure each other.'
      });
    }
    // Fails with NOT_CONNECTED (and the last error) when the core has no server to measure.
    ctx.nats.requireConnection();
    const pipeline = createPipelineDriver({
      dataDir: ctx.config.dataDir,
      synchronous: ctx.config.database.synchronous,
      logger,
      config: ctx.config
    });
    // What can be known now fails the request itself rather than a run started in the background.
    const problem = preflightProblem(params, ctx.nats.status().serverInfo, pipeline);
    if (problem) throw problem;
    const runner = new BenchmarkRunner({
      nats: ctx.config.nats,
      servers: ctx.nats.status().servers,
      logger,
      appVersion: APP_VERSION,
      pipeline
    });
    const runId = newRunId();
    const stream = BenchmarkRunner.usesStream(params.mode) ? benchStreamName(runId) : null;
    const controller = new AbortController();
    const run: ActiveRun = {
      runId,
      mode: params.mode,
      controller,
      progress: {
        runId,
        mode: params.mode,
        phase: 'preparing',
        done: 0,
        total: params.msgs,
        elapsedMs: 0,
        msgsPerSec: 0
      },
      finished: Promise.resolve()
    };
    active = run;
    logger.info('benchmark started', { runId, mode: params.mode, msgs: params.msgs, size: params.size });
    run.finished = runner
      .run(runId, params, {
        signal: controller.signal,
        onProgress: (progress) => {
          run.progress = progress;
          ctx.events.emit('bench.progress', progress);
        }
      })
      .then(
        (result) => {
          history.save(result);
          logger.info('benchmark finished', { runId, mode: params.mode, msgsPerSec: result.totals.msgsPerSec });
          ctx.events.emit('bench.finished', {
            runId,
            mode: params.mode,
            status: 'completed',
            run: summarizeRun(result),
            error: null
          });
        },
        (error: unknown) => {
          const shape = toErrorShape(error);
          const status = shape.code === 'CANCELLED' ? 'cancelled' : 'failed';
          if (status === 'failed') logger.warn('benchmark failed', { runId, code: shape.code, error: shape.message });
          ctx.events.emit('bench.finished', { runId, mode: params.mode, status, run: null, error: shape });
        }
      )
      .catch((error: unknown) => {
        // Storing the result failed (disk full, …): say so on the finished event instead of losing it silently.
        logger.error('could not keep the benchmark result', { runId, error });
        ctx.events.emit('bench.finished', {
          runId,
          mode: params.mode,
          status: 'failed',
          run: null,
          error: toErrorShape(error)
        });
      })
      .finally(() => {
        if (active === run) active = null;
      });
    return { runId, stream };
  }

  async function cancel(runId: string): Promise<boolean> {
    const run = active;
    if (!run || run.runId !== runId) return false;
    run.controller.abort();
    // Answer once the run has cleaned up, so "cancelled" means the stream is gone.
    await run.finished;
    return true;
  }

  return {
    name: 'bench',
    async stop() {
      if (active) await cancel(active.runId);
    },
    handlers: {
      'bench.start': (input) => start(input),
      'bench.cancel': async (input) => ({ cancelled: await cancel(input.runId) }),
      'bench.active': () => ({ progress: active ? active.progress : null }),
      'bench.history': (input) => history.list({ mode: input.mode, limit: input.limit, before: input.before }),
      'bench.get': (input) => history.get(input.id),
      'bench.compare': (input) => compareRuns(input.ids.map((id) => history.get(id))),
      'bench.delete': (input) => ({ deleted: history.delete(input.id) }),
      'bench.exportCsv': (input) => {
        const runs = input.ids ? input.ids.map((id) => history.get(id)) : history.all(input.mode);
        const filtered = input.ids && input.mode ? runs.filter((r) => r.mode === input.mode) : runs;
        return { csv: runsToCsv(filtered), rows: filtered.length };
      }
    }
  };
}
