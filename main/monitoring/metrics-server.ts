/**
 * Serves the Prometheus exposition text on http://127.0.0.1:<port>/metrics (opt-in: the
 * `--metrics-port` flag or `metricsPort` in the config). Loopback only: metrics reveal stream and
 * consumer names, so exposing them is a decision for a reverse proxy, not a default.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ContractError } from '../contract';
import type { Logger } from '../core/logger';
import type { MetricsRegistry } from './metrics';

export interface MetricsServer {
  /** http://127.0.0.1:<port>/metrics */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  metrics: MetricsRegistry;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  logger: Logger;
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger.child({ part: 'metrics-server' });
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('use GET\n');
      return;
    }
    options.metrics.text().then(
      (text) => {
        res.writeHead(200, { 'content-type': options.metrics.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        logger.error('collecting metrics failed', { error });
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('collecting metrics failed\n');
      }
    );
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new ContractError(
          'UNAVAILABLE',
          error.code === 'EADDRINUSE'
            ? `cannot serve metrics on ${host}:${options.port}: the port is in use; choose another --metrics-port (or 0 for a free one)`
            : `cannot serve metrics on ${host}:${options.port}: ${error.message}`,
          { host, port: options.port }
        )
      );
    };
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}/metrics`;
  logger.info(`serving Prometheus metrics at ${url}`);
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })
  };
}
