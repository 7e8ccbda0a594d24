import type { Command } from 'commander';
import { globalsOf, openCore, untilSignal } from '../context';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the core headless (engine, bridge, outbox) until interrupted')
    .option('--no-provision', 'do not create or update the Syn_OS streams and consumers on connect')
    .action(async (opts: { provision?: boolean }, command: Command) => {
      const core = openCore(globalsOf(command), { mode: 'cli', overrides: opts.provision === false ? { provision: false } : {} });
      await core.start();
      core.context.logger.info('core running; press Ctrl+C to stop', { dataDir: core.context.config.dataDir });
      const signal = await untilSignal();
      core.context.logger.info('shutting down', { signal });
      await core.stop();
    });
}
