/**
 * The `synos-cc` command line: the same core as the desktop, without a window.
 * Global flags follow natscli where it has one; every listing has --json.
 */
import { Command, CommanderError, Option } from 'commander';
import { APP_VERSION } from '../core/version';
import { collect } from './context';
import { EXIT_OK, EXIT_USAGE, ExitWith, reportError } from './io';
import { registerAlerts } from './commands/alerts';
import { registerBench } from './commands/bench';
import { registerDoctor } from './commands/doctor';
import { registerMessaging } from './commands/messaging';
import { registerProfiles } from './commands/profiles';
import { registerRun } from './commands/run';
import { registerServe } from './commands/serve';
import { registerRecordings } from './commands/recordings';
import { registerSimulate } from './commands/simulate';
import { registerOutbox } from './commands/outbox';
import { registerStreams } from './commands/streams';
import { registerServer } from './commands/server';
import { registerContract } from './commands/contract';
import { registerEngine } from './commands/engine';
import { registerKv } from './commands/kv';
import { registerObjects } from './commands/objects';

export function buildProgram(): Command {
  const program = new Command('synos-cc');
  program
    .description('Syn_OS Control Center: run and watch the Syn_OS event system on NATS JetStream')
    .version(APP_VERSION, '-v, --version')
    .option('--nats <url>', 'NATS server URL (repeat or comma-separate for a cluster; env NATS_URL)', collect)
    .addOption(new Option('-s, --server <url>', 'alias of --nats (natscli spelling)').hideHelp().argParser(collect))
    .option('--context <name>', 'use a natscli context (~/.config/nats/context/NAME.json)')
    .option('--creds <file>', 'NATS credentials file (JWT + nkey seed; env NATS_CREDS)')
    .option('--user <user>', 'NATS user name (env NATS_USER)')
    .option(
      '--password <password>',
      'NATS password (visible in the process list: prefer NATS_PASSWORD or --password-file)'
    )
    .option('--password-file <file>', 'read the NATS password from the first line of this file')
    .option('--token <token>', 'NATS auth token (visible in the process list: prefer NATS_TOKEN or --token-file)')
    .option('--token-file <file>', 'read the NATS auth token from the first line of this file')
    .option('--nkey <file>', 'NATS nkey seed file')
    .option('--tls-ca <file>', 'CA certificate to verify the server')
    .option('--tls-cert <file>', 'client certificate for TLS')
    .option('--tls-key <file>', 'client key for TLS')
    .option('--data <dir>', 'data directory (default: $XDG_DATA_HOME/synos-control-center)')
    .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']))
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    .hook('preAction', (thisCommand) => {
      const opts = thisCommand.opts() as { server?: string[]; nats?: string[] };
      if (opts.server) thisCommand.setOptionValue('nats', [...(opts.nats ?? []), ...opts.server]);
    });
  registerServe(program);
  registerRun(program);
  registerRecordings(program);
  registerOutbox(program);
  registerStreams(program);
  registerKv(program);
  registerObjects(program);
  registerMessaging(program);
  registerProfiles(program);
  registerAlerts(program);
  registerBench(program);
  registerSimulate(program);
  registerServer(program);
  registerContract(program);
  registerEngine(program);
  registerDoctor(program);
  // Every (sub)command exits 2 on usage errors instead of commander's default 1.
  const exitOverride = (cmd: Command): void => {
    cmd.exitOverride();
    for (const sub of cmd.commands) exitOverride(sub);
  };
  exitOverride(program);
  return program;
}

/** Runs the CLI and returns the exit code (never calls process.exit itself). */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      ) {
        return EXIT_OK;
      }
      return EXIT_USAGE;
    }
    if (error instanceof ExitWith) return error.code;
    return reportError(error);
  }
}
