/**
 * JetStream operations as a core module: provisioning on connect (the `provisioning` service other
 * modules await before binding consumers) and the streams.* / consumers.* procedures.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { ContractError, type ProvisionReport } from '../contract';
import type { CoreContext, ModuleFactory } from '../core/module';
import { toNatsContractError } from './errors';
import { describeReport, provision, type ProvisionOptions } from './provisioning';

/** Name of the provisioning service in `ctx.services`. */
export const PROVISIONING_SERVICE = 'provisioning';

/** What other modules (the engine bridge) use: await ensure() before binding durable consumers. */
export interface ProvisioningService {
  /**
   * Provisions once per connection (memoised per NatsConnection) and resolves with the report, or
   * with null when provisioning is disabled (`provision: false`, `--no-provision`).
   * Rejects with NOT_CONNECTED while there is no connection, or with the provisioning failure.
   */
  ensure(): Promise<ProvisionReport | null>;
}

/** Runs provisioning for a connection at most once, retrying after a failure. */
class ProvisioningRunner implements ProvisioningService {
  private readonly runs = new WeakMap<NatsConnection, Promise<ProvisionReport>>();

  constructor(private readonly ctx: CoreContext) {}

  options(input: { replicas?: number | undefined; duplicateWindowMs?: number | undefined } = {}): ProvisionOptions {
    return {
      replicas: input.replicas ?? this.ctx.config.topology.replicas,
      duplicateWindowMs: input.duplicateWindowMs ?? this.ctx.config.topology.duplicateWindowMs
    };
  }

  ensure(): Promise<ProvisionReport | null> {
    if (!this.ctx.config.provision) return Promise.resolve(null);
    let nc: NatsConnection;
    try {
      nc = this.ctx.nats.requireConnection();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.ensureFor(nc);
  }

  ensureFor(nc: NatsConnection): Promise<ProvisionReport> {
    const existing = this.runs.get(nc);
    if (existing) return existing;
    const run = this.run(nc, this.options());
    this.runs.set(nc, run);
    // A failed run is forgotten so the next ensure() (or the next connection) tries again.
    run.catch(() => this.runs.delete(nc));
    return run;
  }

  /** An explicit apply (streams.provision): becomes this connection's run. */
  apply(nc: NatsConnection, options: ProvisionOptions): Promise<ProvisionReport> {
    const run = this.run(nc, options);
    this.runs.set(nc, run);
    run.catch(() => this.runs.delete(nc));
    return run;
  }

  private async run(nc: NatsConnection, options: ProvisionOptions): Promise<ProvisionReport> {
    const logger = this.ctx.logger.child({ part: 'provisioning' });
    let report: ProvisionReport;
    try {
      report = await provision(nc, options);
    } catch (error) {
      const typed = error instanceof ContractError ? error : toNatsContractError(error, [nc.getServer()]);
      logger.error('provisioning failed', { code: typed.code, error: typed.message });
      throw typed;
    }
    const { summary } = report;
    logger.info('provisioned streams and consumers', { ...summary, server: report.serverVersion });
    if (summary.blocked > 0 || summary.failed > 0) {
      this.ctx.notices.add(
        'warning',
        'provisioning.blocked',
        `Provisioning could not apply everything: ${describeReport(report)
          .filter((l) => l.includes('blocked') || l.includes('failed'))
          .join('; ')}`,
        { summary }
      );
    }
    this.ctx.events.emit('streams.provisioned', report);
    return report;
  }
}

/** The JetStream operations module: provisioning, inspection, browser and the snapshot cache. */
export const operationsModule: ModuleFactory = (ctx) => {
  const runner = new ProvisioningRunner(ctx);
  const service: ProvisioningService = { ensure: () => runner.ensure() };
  ctx.services.set(PROVISIONING_SERVICE, service);
  let unsubscribe: (() => void) | null = null;

  return {
    name: 'operations',
    start() {
      unsubscribe = ctx.nats.onConnect((nc) => {
        if (!ctx.config.provision) return;
        // Failures are logged by the runner; ensure() callers get the rejection themselves.
        runner.ensureFor(nc).catch(() => undefined);
      });
    },
    stop() {
      unsubscribe?.();
    },
    handlers: {
      'streams.provision': (input) => runner.apply(ctx.nats.requireConnection(), runner.options(input)),
      'streams.drift': (input) => provision(ctx.nats.requireConnection(), { ...runner.options(input), check: true })
    }
  };
};
