/**
 * A TCP proxy for chaos tests: forwards a local port to a NATS server, delays every chunk in both
 * directions by a chosen latency (order kept), and cuts every connection on demand — as a flaky
 * network or a load balancer dropping connections would.
 */
import net from 'node:net';

export interface TcpProxy {
  readonly url: string;
  readonly port: number;
  /** Milliseconds added to every chunk, each way. */
  setLatency(ms: number): void;
  /** Destroys every open connection (clients see a reset and reconnect). */
  cut(): number;
  /** While refusing, new connections are closed at once. */
  refuse(on: boolean): void;
  /** Connections accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

/** A pipe from one socket to another that delays each chunk without reordering. */
function delayedPipe(from: net.Socket, to: net.Socket, latency: () => number): void {
  let chain = Promise.resolve();
  from.on('data', (chunk: Buffer) => {
    const ms = latency();
    if (ms <= 0) {
      chain = chain.then(() => {
        if (!to.destroyed) to.write(chunk);
      });
      return;
    }
    const due = Date.now() + ms;
    chain = chain.then(
      () =>
        new Promise<void>((resolve) =>
          setTimeout(
            () => {
              if (!to.destroyed) to.write(chunk);
              resolve();
            },
            Math.max(0, due - Date.now())
          )
        )
    );
  });
}

export async function startTcpProxy(
  target: { host?: string; port: number },
  options: { latencyMs?: number } = {}
): Promise<TcpProxy> {
  let latency = options.latencyMs ?? 0;
  let refusing = false;
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    accepted++;
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: target.host ?? '127.0.0.1', port: target.port });
    sockets.add(client);
    sockets.add(upstream);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    delayedPipe(client, upstream, () => latency);
    delayedPipe(upstream, client, () => latency);
  });
  // Port 0: the system picks a free one at bind time (a port picked first and bound later can be taken).
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    setLatency: (ms) => {
      latency = ms;
    },
    cut: () => {
      const n = sockets.size;
      for (const s of sockets) s.destroy();
      sockets.clear();
      return n;
    },
    refuse: (on) => {
      refusing = on;
    },
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        sockets.clear();
        server.close(() => resolve());
      })
  };
}
