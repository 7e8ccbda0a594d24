import fs from 'node:fs';
import { keepRunningOnUncaught } from '../last-resort';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { isLoopbackHost, startWebServer } from '../../transport/web-server';
import { collect, globalsOf, openCore, parseIntOption, untilSignal } from '../context';
import { engineRoleOption } from './engine';
import { recordingFileRoutes } from '../../recordings/web-routes';
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

interface ServeOptions {
  host?: string;
  port?: number;
  provision?: boolean;
  metricsPort?: number;
  webTlsCert?: string;
  webTlsKey?: string;
  insecureHttp?: boolean;
  allowHost?: string[];
  engineRole?: 'auto' | 'observer';
}

function readPem(flag: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code ?? error);
    throw new UsageError(`${flag} ${file}: cannot read it (${why})`);
  }
}

/**
 * The web server's certificate and key, checked before the core starts: a key that does not match
 * the certificate, or a file that is not PEM, is refused here with the file names rather than at
 * the first connection.
 */
export function loadWebTls(certFile: string, keyFile: string): { cert: Buffer; key: Buffer } {
  const cert = readPem('--web-tls-cert', certFile);
  const key = readPem('--web-tls-key', keyFile);
  try {
    tls.createSecureContext({ cert, key });
  } catch (error) {
    throw new UsageError(
      `--web-tls-cert ${certFile} / --web-tls-key ${keyFile}: not a usable certificate and key (${(error as Error).message}); ` +
        'both must be PEM, the key the one the certificate was issued for'
    );
  }
  return { cert, key };
}

/** Refuses to put the access token on the network in clear; says what to give instead. */
export function checkServeExposure(host: string, opts: Pick<ServeOptions, 'webTlsCert' | 'insecureHttp'>): void {
  if (isLoopbackHost(host) || opts.webTlsCert !== undefined || opts.insecureHttp) return;
  throw new UsageError(
    `--host ${host} would serve the web UI to the network over plain HTTP, where its access token travels in clear. ` +
      'Give --web-tls-cert FILE --web-tls-key FILE to serve HTTPS, or --insecure-http if the network is trusted ' +
      '(a VPN, or a TLS proxy in front). (--tls-cert/--tls-key are the NATS client certificate.)'
  );
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the core with the web UI; prints the URL (with its access token) to open')
    .option(
      '--host <host>',
      'address to bind (default 127.0.0.1; anything else exposes the UI to the network and needs --web-tls-cert or --insecure-http)'
    )
    .option('--port <port>', 'port to listen on (0 or absent: a free one)', parseIntOption('--port', 0, 65535))
    .option('--web-tls-cert <file>', 'serve HTTPS and WSS with this certificate (PEM, chain included)')
    .option('--web-tls-key <file>', 'private key of --web-tls-cert (PEM)')
    .option('--insecure-http', 'allow plain HTTP on a non-loopback --host (the token crosses the network in clear)')
    .option(
      '--allow-host <name>',
      'also answer requests for this host name (a DNS name or proxy in front; repeatable)',
      collect
    )
    .option('--no-provision', 'do not create or update the Syn_OS streams and consumers on connect')
    .addOption(engineRoleOption())
    .option(
      '--metrics-port <port>',
      'serve Prometheus /metrics on 127.0.0.1:PORT (0: a free one)',
      parseIntOption('--metrics-port', 0, 65535)
    )
    .action(async (opts: ServeOptions, command: Command) => {
      const globals = globalsOf(command);
      if (opts.host !== undefined && opts.host.trim() === '') throw new UsageError('--host must not be empty');
      const host = opts.host?.trim() ?? '127.0.0.1';
      if ((opts.webTlsCert === undefined) !== (opts.webTlsKey === undefined)) {
        throw new UsageError('--web-tls-cert and --web-tls-key go together');
      }
      checkServeExposure(host, opts);
      const webTls =
        opts.webTlsCert !== undefined && opts.webTlsKey !== undefined
          ? loadWebTls(opts.webTlsCert, opts.webTlsKey)
          : undefined;
      const core = openCore(globals, {
        mode: 'web',
        overrides: {
          ...(opts.provision === false ? { provision: false } : {}),
          ...(opts.metricsPort !== undefined ? { metricsPort: opts.metricsPort } : {}),
          ...(opts.engineRole ? { engineRole: opts.engineRole } : {})
        }
      });
      const logger = core.context.logger;
      keepRunningOnUncaught(logger, 'serve');
      await core.start();
      const staticDir = resolveRendererDir();
      const server = await startWebServer({
        api: core.api,
        logger,
        staticDir,
        host,
        port: opts.port ?? 0,
        ...(webTls ? { tls: webTls } : {}),
        allowHosts: opts.allowHost ?? [],
        health: () => ({ nats: core.context.nats.status().state }),
        routes: [
          recordingFileRoutes({
            dataDir: core.context.config.dataDir,
            maxUploadBytes: core.context.config.recordings.maxImportBytes,
            logger
          })
        ]
      });
      if (!fs.existsSync(path.join(staticDir, 'index.html'))) {
        process.stderr.write(`warning: the UI is not built (${staticDir}); run: npm run build\n`);
      }
      if (!isLoopbackHost(host)) {
        process.stderr.write(
          `warning: listening on ${host}${webTls ? '' : ' over plain HTTP'}: anyone who can reach it and has the token can control this app\n`
        );
      }
      process.stdout.write(`Syn_OS Control Center is serving the web UI. Open:\n${server.urlWithToken}\n`);
      const signal = await untilSignal();
      core.context.logger.info('shutting down', { signal });
      await server.close();
      await core.stop();
    });
}
