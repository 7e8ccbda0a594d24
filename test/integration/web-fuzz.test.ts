/**
 * Fuzzing a real `synos-cc serve` process (hardening findings 1 and 2 generalised): over 10,000
 * random request lines, header sets, raw bytes, upgrade requests (before auth), malformed
 * WebSocket frames and JSON frames (after auth), sent over raw TCP sockets and WebSockets. After
 * each batch the process still answers /healthz; at the end no listener logged an escaped error,
 * no answer was a 5xx, every frame got its reply, and the 300 outbox rows stored before are all
 * still there. The seed is printed on failure (FUZZ_SEED=… replays it).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliSync, startServe, type ServeHandle } from '../harness/cli';
import { tempDir, waitFor } from '../harness/temp';
import { request } from '../harness/web-client';

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ROWS = 300;
/** Connections in flight at once: enough to overlap, few enough for a loaded 2-core machine. */
const CONCURRENCY = 24;
/** The fuzzing client's address: its wrong tokens lock out 127.0.0.2 only, not the checks from 127.0.0.1. */
const FUZZ_ADDRESS = '127.0.0.2';

const SAFE_METHODS = [
  'connection.status',
  'outbox.stats',
  'outbox.list',
  'dlq.list',
  'resilience.breakers',
  'engine.state',
  'engine.events',
  'engine.problems',
  'engine.strategies',
  'security.events',
  'bridge.invalidMessages',
  'bridge.status',
  'health.services',
  'events.subscribe',
  'events.unsubscribe',
  'tail.list',
  'alerts.list',
  'alerts.history',
  'alerts.rules',
  'metrics.snapshot',
  'profiles.list',
  'recordings.list',
  'streams.list',
  'system.info',
  'system.notices',
  'settings.startup',
  'bench.active',
  'bench.history'
];

interface Outcome {
  /** The status of the answer, 0 when the server closed without one, -1 when nothing happened in time. */
  status: number;
}

/** Writes bytes on a fresh connection, half-closes, and reads the status line of whatever comes back. */
function fire(port: number, bytes: Buffer, localAddress = FUZZ_ADDRESS): Promise<Outcome> {
  return new Promise((resolve) => {
    let answer = '';
    let settled = false;
    const done = (status: number): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ status });
    };
    const socket = net.connect({ port, host: '127.0.0.1', localAddress }, () => {
      socket.write(bytes);
      socket.end();
    });
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      answer += chunk;
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer);
      if (status) done(Number(status[1]));
      else if (answer.length > 64) done(0);
    });
    socket.on('error', () => done(0));
    socket.on('close', () => done(0));
    socket.setTimeout(15_000, () => done(-1));
  });
}

async function pool<T>(items: readonly T[], run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

const crlfFree = (s: string): string => s.replace(/[\r\n]/g, '');
const anyText = fc.string({ unit: 'binary-ascii', maxLength: 40 });
const targets = fc.oneof(
  fc.constantFrom(
    '//[',
    '/',
    '/healthz',
    '/ws',
    '*',
    'http://[',
    '/%zz',
    '/..%2f..%2fetc%2fpasswd',
    '/%00',
    '//',
    '/?token='
  ),
  fc.webPath().map((p) => p || '/'),
  fc.webUrl(),
  anyText.map(crlfFree),
  anyText.map((s) => '/' + encodeURI(s).slice(0, 60))
);

function fuzzArbitraries(port: number, origin: string, token: string) {
  const own = [`127.0.0.1:${port}`, `localhost:${port}`];
  // Mostly names the server answers to, so requests get past the Host check into the handlers.
  const hosts = fc.oneof(
    { arbitrary: fc.constantFrom(...own), weight: 6 },
    { arbitrary: fc.constantFrom('evil.example', `[::1]:${port}`, ''), weight: 1 },
    { arbitrary: anyText.map(crlfFree), weight: 1 }
  );
  const methods = fc.oneof(
    fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE', 'PATCH', 'PRI', 'get'),
    anyText.map(crlfFree)
  );
  const versions = fc.oneof(
    { arbitrary: fc.constant('HTTP/1.1'), weight: 4 },
    { arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', '', 'HTTP/1.1x', 'http/1.1'), weight: 1 }
  );
  const requestLines = fc
    .record({ method: methods, target: targets, version: versions, host: hosts })
    .map(({ method, target, version, host }) => `${method} ${target} ${version}\r\nHost: ${host}\r\n\r\n`);
  const header = fc.oneof(
    fc.tuple(
      fc.constantFrom(
        'Host',
        'Content-Length',
        'Transfer-Encoding',
        'Connection',
        'Upgrade',
        'Authorization',
        'Origin',
        'Expect',
        'Cookie',
        'X-Forwarded-Host'
      ),
      fc.oneof(
        anyText,
        fc.constantFrom('chunked', '-1', '99999999999', '0', 'upgrade', '100-continue', `Bearer ${token}`)
      )
    ),
    fc.tuple(anyText, anyText)
  );
  const headerSets = fc
    .record({ target: targets, headers: fc.array(header, { maxLength: 12 }), body: anyText })
    .map(
      ({ target, headers, body }) =>
        `GET ${crlfFree(target)} HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}`).join('\r\n')}\r\n\r\n${body}`
    );
  const upgrades = fc
    .record({
      target: fc.oneof(
        fc.constantFrom('/ws', `/ws?token=${token}`, '/ws?token=', '//[', '/healthz'),
        fc.string({ maxLength: 30 }).map((t) => `/ws?token=${encodeURIComponent(t)}`),
        targets
      ),
      host: hosts,
      origin: fc.oneof(fc.constantFrom(origin, 'http://evil.example', 'null', ''), anyText.map(crlfFree)),
      key: fc.oneof(fc.constant('dGhlIHNhbXBsZSBub25jZQ=='), anyText.map(crlfFree)),
      version: fc.constantFrom('13', '8', '', 'x'),
      upgrade: fc.constantFrom('websocket', 'WebSocket', 'h2c', ''),
      auth: fc.oneof(fc.constant(''), fc.constant(`Bearer ${token}`), anyText.map(crlfFree)),
      trailing: fc.uint8Array({ maxLength: 64 })
    })
    .map((u) =>
      Buffer.concat([
        Buffer.from(
          `GET ${crlfFree(u.target)} HTTP/1.1\r\nHost: ${u.host}\r\nConnection: Upgrade\r\nUpgrade: ${u.upgrade}\r\n` +
            `Sec-WebSocket-Version: ${u.version}\r\nSec-WebSocket-Key: ${u.key}\r\nOrigin: ${u.origin}\r\n` +
            (u.auth ? `Authorization: ${u.auth}\r\n` : '') +
            '\r\n',
          'latin1'
        ),
        Buffer.from(u.trailing)
      ])
    );
  const frames = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
    fc
      .record({
        kind: fc.oneof(fc.constant('call'), anyText),
        id: fc.oneof(fc.integer(), fc.double(), anyText, fc.constant(null)),
        method: fc.oneof(fc.constantFrom(...SAFE_METHODS), anyText),
        input: fc.jsonValue({ maxDepth: 3 })
      })
      .map((r) => JSON.stringify(r)),
    anyText,
    fc.constantFrom(
      'null',
      '0',
      '[]',
      '{}',
      '"call"',
      '{"kind":"call","id":null,"method":null}',
      '{"__proto__":{"x":1}}'
    )
  );
  return { requestLines, headerSets, upgrades, frames };
}

/** A valid, authenticated handshake followed by random bytes where WebSocket frames should be. */
function badFrameConnection(port: number, origin: string, token: string, garbage: Uint8Array): Promise<Outcome> {
  const handshake =
    `GET /ws?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nOrigin: ${origin}\r\n\r\n`;
  return fire(port, Buffer.concat([Buffer.from(handshake), Buffer.from(garbage)]), '127.0.0.1');
}

/** The fuzz rows in the data directory's outbox (id and payload), read straight from SQLite. */
function storedRows(data: string): string[] {
  const db = new Database(path.join(data, 'synos.db'), { readonly: true, fileMustExist: true });
  try {
    return (
      db
        .prepare(
          "SELECT o.id, hex(p.payload) AS payload FROM outbox AS o JOIN outbox_payload AS p ON p.rid = o.rid WHERE o.subject = 'health.fuzz' ORDER BY o.id"
        )
        .all() as Array<{
        id: string;
        payload: string;
      }>
    ).map((r) => `${r.id}:${r.payload}`);
  } finally {
    db.close();
  }
}

/** One call over an open socket, matched by id. */
function call(ws: WebSocket, id: number, method: string, input: unknown): Promise<{ ok: boolean; value: unknown }> {
  return new Promise((resolve) => {
    const onMessage = (d: WebSocket.RawData): void => {
      const parsed = JSON.parse(d.toString()) as { kind?: string; id?: number; ok: boolean; value: unknown };
      if (parsed.kind === 'result' && parsed.id === id) {
        ws.off('message', onMessage);
        resolve(parsed);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ kind: 'call', id, method, input }));
  });
}

describe('web server fuzzing (a real serve process)', () => {
  let serve: ServeHandle;
  let data: string;
  let before: string[];

  beforeAll(async () => {
    data = tempDir();
    const stored = runCliSync([
      '--data',
      data,
      'pub',
      'health.fuzz',
      '{"n": {{count}}}',
      '--outbox',
      '--count',
      String(ROWS)
    ]);
    expect(stored.code, stored.stderr).toBe(0);
    before = storedRows(data);
    expect(before).toHaveLength(ROWS);
    // An address where no NATS server listens: the rows stay in the outbox while serve is fuzzed.
    serve = await startServe(['--data', data, '--nats', 'nats://127.0.0.1:1', '--no-provision']);
  });

  afterAll(async () => {
    await serve?.stop();
  });

  it(`survives over 10,000 random requests, upgrades and frames, before and after auth (seed ${SEED})`, async () => {
    const port = Number(new URL(serve.origin).port);
    const { requestLines, headerSets, upgrades, frames } = fuzzArbitraries(port, serve.origin, serve.token);
    const statuses = new Map<number, number>();
    const count = (o: Outcome): void => void statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
    let sent = 0;
    const alive = async (after: string): Promise<void> => {
      expect(serve.child.exitCode, `serve exited after ${after} (seed ${SEED})`).toBeNull();
      const health = await request(`${serve.origin}/healthz`);
      expect(health.status, `/healthz after ${after} (seed ${SEED})`).toBe(200);
    };

    const raw = async (name: string, items: Array<string | Buffer>): Promise<void> => {
      await pool(items, async (item) =>
        count(await fire(port, Buffer.isBuffer(item) ? item : Buffer.from(item, 'latin1')))
      );
      sent += items.length;
      await alive(name);
    };
    const started = Date.now();
    // The exact reproductions first: finding 1's request line over HTTP and upgrade, finding 2's frame.
    const exact = await fire(port, Buffer.from(`GET //[ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
    expect(exact.status).toBe(400);
    const exactUpgrade = await fire(
      port,
      Buffer.from(
        `GET //[ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: ${serve.origin}\r\n\r\n`
      )
    );
    expect(exactUpgrade.status).toBe(400);
    const nullFrame = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${serve.token}`, {
      headers: { Origin: serve.origin }
    });
    await new Promise((resolve) => nullFrame.once('open', resolve));
    const nullReply = new Promise<string>((resolve) => nullFrame.once('message', (d) => resolve(d.toString())));
    nullFrame.send('null');
    expect(JSON.parse(await nullReply)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    nullFrame.close();
    await alive('the exact requests of findings 1 and 2');

    await raw('request lines', fc.sample(requestLines, { numRuns: 3_000, seed: SEED }));
    await raw('header sets', fc.sample(headerSets, { numRuns: 2_500, seed: SEED + 1 }));
    await raw(
      'raw bytes',
      fc
        .sample(fc.uint8Array({ minLength: 1, maxLength: 512 }), { numRuns: 500, seed: SEED + 2 })
        .map((b) => Buffer.from(b))
    );
    await raw('upgrade requests', fc.sample(upgrades, { numRuns: 1_500, seed: SEED + 3 }));

    // After auth: malformed WebSocket framing on authenticated sockets.
    const garbage = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 256 }), { numRuns: 300, seed: SEED + 4 });
    await pool(garbage, async (g) => count(await badFrameConnection(port, serve.origin, serve.token, g)));
    sent += garbage.length;
    await alive('malformed frames');

    // After auth: random JSON and text frames, each answered with exactly one result.
    const texts = fc.sample(frames, { numRuns: 3_000, seed: SEED + 5 });
    const sockets = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${serve.token}`, {
          headers: { Origin: serve.origin }
        });
        await new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        return ws;
      })
    );
    let results = 0;
    for (const ws of sockets) {
      ws.on('message', (d) => {
        const parsed = JSON.parse(d.toString()) as { kind?: string };
        if (parsed.kind === 'result') results += 1;
      });
    }
    for (let i = 0; i < texts.length; i += 1) {
      const ws = sockets[i % sockets.length]!;
      ws.send(texts[i]!);
      // Let replies drain now and then so the sockets' buffers stay small.
      if (i % 200 === 199)
        await waitFor(() => results >= i - 400, { timeoutMs: 30_000, message: 'replies catching up' });
    }
    sent += texts.length;
    await waitFor(() => results >= texts.length, {
      timeoutMs: 60_000,
      message: `a result for each of ${texts.length} frames`
    });
    expect(results).toBe(texts.length);
    expect(sockets.every((ws) => ws.readyState === WebSocket.OPEN)).toBe(true);

    // The live process still holds every outbox row.
    let live = 0;
    for (const [i, status] of ['pending', 'processing', 'retrying', 'completed', 'dead'].entries()) {
      const reply = await call(sockets[0]!, 900_000 + i, 'outbox.list', { status, limit: 10_000 });
      expect(reply.ok).toBe(true);
      live += (reply.value as { entries: Array<{ subject: string }> }).entries.filter(
        (e) => e.subject === 'health.fuzz'
      ).length;
    }
    for (const ws of sockets) ws.close();
    await alive('JSON frames');

    expect(sent).toBeGreaterThanOrEqual(10_000);
    const fiveHundreds = [...statuses].filter(([s]) => s >= 500);
    expect(fiveHundreds, `5xx answers (seed ${SEED}): ${JSON.stringify([...statuses])}`).toEqual([]);
    expect(statuses.get(-1) ?? 0, `connections left hanging (seed ${SEED})`).toBe(0);
    expect(serve.stderr()).not.toMatch(/handler failed|uncaught error|web server error/);
    // Thousands of refusals, summed up in one log line a minute instead of a line each.
    const summaries = serve.stderr().match(/refused \d+ web request/g) ?? [];
    expect(summaries.length).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 60_000) + 1);
    expect(serve.stderr()).not.toMatch(/refused a WebSocket upgrade/);
    expect(live).toBe(ROWS);

    await serve.stop();
    expect(storedRows(data)).toEqual(before);
    console.info(
      `[web fuzz] seed ${SEED}: ${sent} inputs; answers by status ${JSON.stringify(Object.fromEntries(statuses))}`
    );
  }, 240_000);
});
