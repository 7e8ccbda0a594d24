import { keepRunningOnUncaught } from '../last-resort';
import type { Command } from 'commander';
import { engineRoleOption } from './engine';
import { globalsOf, openCore, parseIntOption, untilSignal } from '../context';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the core headless (engine, bridge, outbox) until interrupted')
    .option('--no-provision', 'do not create or update the Syn_OS streams and consumers on connect')
    .addOption(engineRoleOption())
    .option(
      '--metrics-port <port>',
      'serve Prometheus /metrics on 127.0.0.1:PORT (0: a free one)',
      parseIntOption('--metrics-port', 0, 65535)
    )
    .action(async (opts: RunOptions, command: Command) => {
      const core = openCore(globalsOf(command), {
        mode: 'cli',
        overrides: {
          ...(opts.provision === false ? { provision: false } : {}),
          ...(opts.metricsPort !== undefined ? { metricsPort: opts.metricsPort } : {}),
          ...(opts.engineRole ? { engineRole: opts.engineRole } : {})
        }
      });
      keepRunningOnUncaught(core.context.logger, 'run');
      await core.start();
      core.context.logger.info('core running; press Ctrl+C to stop', { dataDir: core.context.config.dataDir });
      const signal = await untilSignal();
      core.context.logger.info('shutting down', { signal });
      await core.stop();
    });
}

type RunOptions = { provision?: boolean; metricsPort?: number; engineRole?: 'auto' | 'observer' };
