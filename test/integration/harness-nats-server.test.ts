/**
 * The test harness's nats-server (test/harness/nats-server.ts): a node of a cluster is started only
 * once it listens for routes. nats-server says "Server is ready" before it binds its route port, and
 * exits if that port is taken: the start fails with the bind error, which the cluster start answers
 * with other ports, instead of a node that dies right after its start.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../main/nats/embedded/embedded';
import { clusterBlock, startNatsServer, type NatsServerHandle } from '../harness/nats-server';

const started: NatsServerHandle[] = [];
const sockets: net.Server[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
  await Promise.all(sockets.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function listen(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      sockets.push(server);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

function cluster(routePort: number): string {
  // Routes to itself: JetStream in a cluster needs some.
  return clusterBlock(`harness-${routePort}`, routePort, [routePort]);
}

describe('test harness: nats-server', () => {
  it('fails the start of a cluster node whose route port is taken, with the bind error', async () => {
    const taken = await listen();
    await expect(startNatsServer({ port: await freePort(), config: cluster(taken) })).rejects.toThrow(
      /address already in use/
    );
  });

  it('starts a cluster node once it listens for routes', async () => {
    const routePort = await freePort();
    const node = await startNatsServer({ config: cluster(routePort) });
    started.push(node);
    expect(node.isRunning()).toBe(true);
    // The route port is bound by the node now: a listener there fails.
    await expect(
      new Promise((resolve, reject) => {
        const probe = net.createServer();
        probe.once('error', reject);
        probe.listen(routePort, '127.0.0.1', () => probe.close(resolve));
      })
    ).rejects.toThrow(/EADDRINUSE/);
  });
});
