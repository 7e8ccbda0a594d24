/**
 * The embedded default: when no server is configured and nothing answers on 127.0.0.1:4222, the
 * core may start nats-server as a managed child — JetStream on, store in the data dir, loopback
 * only — and stop it with the app.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from '../../core/logger';

export interface EmbeddedServer {
  url: string;
  port: number;
  pid: number;
  storeDir: string;
  stop(): Promise<void>;
}

/** Where an executable is on PATH, or null. */
export function findOnPath(binary: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (binary.includes(path.sep)) return fs.existsSync(binary) ? binary : null;
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, binary + ext);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        return candidate;
      } catch {
        // keep looking
      }
    }
  }
  return null;
}

export const INSTALL_HINT =
  'Install nats-server to get a local one automatically (Debian/Ubuntu: sudo apt-get install nats-server; macOS: brew install nats-server; Windows: winget install nats-io.nats-server), or point the app at a server with --nats URL or NATS_URL.';

function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A free TCP port on the host (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`nats-server did not become ready within ${timeoutMs} ms: ${output.slice(-500)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Server is ready')) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`nats-server exited with code ${code}: ${output.slice(-500)}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

export interface StartEmbeddedOptions {
  binary: string;
  dataDir: string;
  logger: Logger;
  preferredPort?: number;
}

/** Starts the managed nats-server. Throws when the binary is missing or it fails to start. */
export async function startEmbeddedServer(options: StartEmbeddedOptions): Promise<EmbeddedServer> {
  const binary = findOnPath(options.binary);
  if (!binary) throw new Error(`${options.binary} not found on PATH. ${INSTALL_HINT}`);
  const host = '127.0.0.1';
  const preferred = options.preferredPort ?? 4222;
  const port = (await portIsFree(preferred, host)) ? preferred : await freePort(host);
  const storeDir = path.join(options.dataDir, 'nats-server');
  fs.mkdirSync(storeDir, { recursive: true });
  const child = spawn(binary, ['-js', '-a', host, '-p', String(port), '-sd', storeDir, '-n', 'synos-cc-embedded'], {
    stdio: ['ignore', 'pipe', 'pipe']
  });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  await waitForReady(child, 15_000).catch((error: unknown) => {
    child.kill('SIGKILL');
    process.off('exit', killOnExit);
    throw error;
  });
  // Drain the pipes so a chatty server never blocks on a full buffer.
  child.stderr?.resume();
  child.stdout?.resume();
  const url = `nats://${host}:${port}`;
  options.logger.info('started embedded nats-server', { url, pid: child.pid, storeDir });
  return {
    url,
    port,
    pid: child.pid ?? -1,
    storeDir,
    stop: () =>
      new Promise<void>((resolve) => {
        process.off('exit', killOnExit);
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          options.logger.info('stopped embedded nats-server', { pid: child.pid });
          resolve();
        });
        child.kill('SIGTERM');
      })
  };
}
