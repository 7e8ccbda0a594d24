import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { recordingFileRoutes } from '../../transport/file-routes';
import { startWebServer } from '../../transport/web-server';
import { globalsOf, openCore, parseIntOption, untilSignal } from '../context';
import { UsageError } from '../io';

/** Where the built renderer is: next to the CLI bundle (out/renderer), or under the working directory. */
export function resolveRendererDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    process.env.SYNOS_RENDERER_DIR,
    path.resolve(here, '../renderer'),
    path.resolve(here, '../../out/renderer'),
    path.resolve(process.cwd(), 'out/renderer')
  ].filter((c): c is string => Boolean(c));
  return candidates.find((c) => fs.existsSync(path.join(c, 'index.html'))) ?? candidates[1]!;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the core with the web UI; prints the URL (with its access token) to open')
    .option('--host <host>', 'address to bind (default 127.0.0.1; anything else exposes the UI to the network)')
    .option('--port <port>', 'port to listen on (0 or absent: a free one)', parseIntOption('--port', 0, 65535))
    .option('--no-provision', 'do not create or update the Syn_OS streams and consumers on connect')
    .option(
      '--metrics-port <port>',
      'serve Prometheus /metrics on 127.0.0.1:PORT (0: a free one)',
      parseIntOption('--metrics-port', 0, 65535)
    )
    .action(
      async (opts: { host?: string; port?: number; provision?: boolean; metricsPort?: number }, command: Command) => {
        const globals = globalsOf(command);
        if (opts.host !== undefined && opts.host.trim() === '') throw new UsageError('--host must not be empty');
        const core = openCore(globals, {
          mode: 'web',
          overrides: {
            ...(opts.provision === false ? { provision: false } : {}),
            ...(opts.metricsPort !== undefined ? { metricsPort: opts.metricsPort } : {})
          }
        });
        await core.start();
        const staticDir = resolveRendererDir();
        const server = await startWebServer({
          api: core.api,
          logger: core.context.logger,
          staticDir,
          host: opts.host ?? '127.0.0.1',
          port: opts.port ?? 0,
          health: () => ({ nats: core.context.nats.status().state }),
          routes: [
            recordingFileRoutes({
              dataDir: core.context.config.dataDir,
              maxUploadBytes: core.context.config.recordings.maxImportBytes,
              logger: core.context.logger
            })
          ]
        });
        if (!fs.existsSync(path.join(staticDir, 'index.html'))) {
          process.stderr.write(`warning: the UI is not built (${staticDir}); run: npm run build\n`);
        }
        if (opts.host && !['127.0.0.1', 'localhost', '::1'].includes(opts.host)) {
          process.stderr.write(
            `warning: listening on ${opts.host}: anyone who can reach it and has the token can control this app\n`
          );
        }
        process.stdout.write(`Syn_OS Control Center is serving the web UI. Open:\n${server.urlWithToken}\n`);
        const signal = await untilSignal();
        core.context.logger.info('shutting down', { signal });
        await server.close();
        await core.stop();
      }
    );
}
