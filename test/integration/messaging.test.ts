/**
 * Live tails, publish and request/reply against a real nats-server, through the contract (as the
 * UI uses them) and through the built CLI (`sub`, `pub`, `req`, exit codes, --context).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TailBatch, TailMessage } from '../../main/contract';
import type { Core } from '../../main/app/create-core';
import { createClient } from '../../main/contract/client';
import { createMemoryLink } from '../../main/transport/memory';
import { CLI, assertCliBuilt, runCliSync } from '../harness/cli';
import { createTestCore } from '../harness/core';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir, waitFor } from '../harness/temp';

describe('live tails, publish and request through the contract', () => {
  let server: NatsServerHandle;
  let core: Core;
  let raw: NatsConnection;
  const batches: TailBatch[] = [];
  const received = (tailId: string): TailMessage[] =>
    batches.filter((b) => b.tailId === tailId).flatMap((b) => b.messages);

  beforeAll(async () => {
    server = await startNatsServer({ jetstream: false });
    core = createTestCore({ servers: [server.url] });
    await core.start();
    expect((await core.api.invoke('connection.connect', {})).state).toBe('connected');
    core.api.subscribe('tail.messages', (b) => batches.push(b));
    raw = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await raw?.close();
    await core?.stop();
    await server?.stop();
  });

  it('tails a wildcard subject with subjects, headers, reply subjects and payload previews', async () => {
    const tail = await core.api.invoke('tail.start', { subject: 'demo.*.events', previewBytes: 64 });
    expect(tail).toMatchObject({ subject: 'demo.*.events', state: 'running', received: 0, dropped: 0 });
    const h = headers();
    h.set('X-Trace', 'abc');
    raw.publish('demo.a.events', 'hello ✓', { headers: h, reply: 'answer.here' });
    raw.publish('demo.b.events', new Uint8Array([0, 159, 146, 150, 1]));
    raw.publish('demo.c.events', 'é'.repeat(40)); // 80 bytes of 2-byte characters: cut at 64 on a boundary
    raw.publish('demo.a.other', 'not matched');
    await raw.flush();
    const got = await waitFor(() => (received(tail.id).length >= 3 ? received(tail.id) : null), {
      message: 'three tail messages'
    });
    expect(got).toHaveLength(3);
    expect(got[0]).toMatchObject({
      seq: 1,
      subject: 'demo.a.events',
      reply: 'answer.here',
      headers: { 'X-Trace': ['abc'] },
      payload: 'hello ✓',
      encoding: 'utf8',
      size: Buffer.byteLength('hello ✓'),
      truncated: false
    });
    expect(got[1]).toMatchObject({
      subject: 'demo.b.events',
      encoding: 'base64',
      payload: Buffer.from([0, 159, 146, 150, 1]).toString('base64'),
      headers: null
    });
    expect(got[2]).toMatchObject({ encoding: 'utf8', truncated: true, size: 80, payload: 'é'.repeat(32) });
    expect(Number.isNaN(Date.parse(got[0]?.time ?? ''))).toBe(false);

    const read = await core.api.invoke('tail.read', { id: tail.id, afterSeq: 1 });
    expect(read.messages.map((m) => m.seq)).toEqual([2, 3]);
    expect(await core.api.invoke('tail.stop', { id: tail.id })).toEqual({ stopped: true });
    expect(await core.api.invoke('tail.stop', { id: tail.id })).toEqual({ stopped: false });
  });

  it('keeps the newest messages in a bounded ring while paused and reports the dropped count', async () => {
    const tail = await core.api.invoke('tail.start', { subject: 'ring.>', capacity: 10 });
    await core.api.invoke('tail.pause', { id: tail.id });
    for (let i = 1; i <= 25; i++) raw.publish(`ring.${i}`, `m${i}`);
    await raw.flush();
    const paused = await waitFor(
      async () => {
        const [info] = (await core.api.invoke('tail.list', {})).tails.filter((t) => t.id === tail.id);
        return info && info.received === 25 ? info : null;
      },
      { message: 'all 25 received while paused' }
    );
    expect(paused).toMatchObject({ state: 'paused', buffered: 10, dropped: 15 });
    expect(received(tail.id)).toHaveLength(0);

    const resumed = await core.api.invoke('tail.resume', { id: tail.id });
    expect(resumed.state).toBe('running');
    const got = await waitFor(() => (received(tail.id).length >= 10 ? received(tail.id) : null), {
      message: 'the ring after resume'
    });
    expect(got.map((m) => m.payload)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i + 16}`));
    const last = batches.filter((b) => b.tailId === tail.id).at(-1);
    expect(last).toMatchObject({ dropped: 15, received: 25, state: 'running' });
    await core.api.invoke('tail.stop', { id: tail.id });
  });

  it('accounts for every message of a burst larger than the ring while running: delivered + dropped = received', async () => {
    const tail = await core.api.invoke('tail.start', { subject: 'burst.x', capacity: 10 });
    const total = 5000;
    for (let i = 1; i <= total; i++) raw.publish('burst.x', String(i));
    await raw.flush();
    const last = await waitFor(
      () => {
        const mine = batches.filter((b) => b.tailId === tail.id);
        const delivered = mine.reduce((n, b) => n + b.messages.length, 0);
        const end = mine.at(-1);
        return end && end.received === total && delivered + end.dropped === total ? { end, delivered } : null;
      },
      { message: 'the whole burst accounted for' }
    );
    const seqs = received(tail.id).map((m) => m.seq);
    // Delivered in order; each gap is a counted drop; the newest message always arrives.
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    const gaps = seqs.reduce((n, seq, i) => n + (seq - (i === 0 ? 0 : (seqs[i - 1] as number)) - 1), 0);
    expect(gaps).toBe(last.end.dropped);
    expect(seqs.at(-1)).toBe(total);
    expect(received(tail.id).at(-1)?.payload).toBe(String(total));
    await core.api.invoke('tail.stop', { id: tail.id });
  });

  it('scopes tails to the caller session and stops them when the caller goes away', async () => {
    const abort = new AbortController();
    const a = { transport: 'ws' as const, sessionId: 'session-a', signal: abort.signal };
    const b = { transport: 'ws' as const, sessionId: 'session-b' };
    const started = await core.api.call('tail.start', { subject: 'scoped.>' }, a);
    expect(started.ok).toBe(true);
    const id = (started as { value: { id: string } }).value.id;
    expect(await core.api.call('tail.list', {}, b)).toMatchObject({ ok: true, value: { tails: [] } });
    expect(await core.api.call('tail.pause', { id }, b)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await core.api.call('tail.stop', { id }, b)).toMatchObject({ ok: true, value: { stopped: false } });
    expect(await core.api.call('tail.list', {}, a)).toMatchObject({ ok: true, value: { tails: [{ id }] } });
    abort.abort();
    expect(await core.api.call('tail.list', {}, a)).toMatchObject({ ok: true, value: { tails: [] } });
  });

  it('over a client transport: the tail belongs to its client session and stops when the client closes', async () => {
    const linkA = createMemoryLink(core.api, 20);
    const linkB = createMemoryLink(core.api, 20);
    const a = createClient(linkA);
    const b = createClient(linkB);
    const seen: TailMessage[] = [];
    a.subscribe('tail.messages', (payloads) => {
      for (const p of payloads) seen.push(...p.messages);
    });
    // B listens on the same channel: another client's tail messages must not reach it.
    const seenByB: TailMessage[] = [];
    b.subscribe('tail.messages', (payloads) => {
      for (const p of payloads) seenByB.push(...p.messages);
    });
    await a.call('events.subscribe', { channels: ['tail.messages'] });
    await b.call('events.subscribe', { channels: ['tail.messages'] });
    const tail = await a.call('tail.start', { subject: 'client.>' });
    expect((await a.call('tail.list')).tails.map((t) => t.id)).toEqual([tail.id]);
    expect((await b.call('tail.list')).tails).toEqual([]);
    await expect(b.call('tail.pause', { id: tail.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    raw.publish('client.x', 'to a');
    await raw.flush();
    await waitFor(() => seen.length === 1, { message: 'the message at client A' });
    expect(seen[0]).toMatchObject({ subject: 'client.x', payload: 'to a' });
    // B's own tail of the same subjects reaches B alone; A's messages never did.
    const tailB = await b.call('tail.start', { subject: 'client.>' });
    raw.publish('client.y', 'to both tails');
    await raw.flush();
    await waitFor(() => seenByB.length === 1 && seen.length === 2, { message: 'one message at each client' });
    expect(seenByB[0]).toMatchObject({ subject: 'client.y' });
    await new Promise((r) => setTimeout(r, 100));
    expect(seenByB).toHaveLength(1);
    expect(seen).toHaveLength(2);
    await b.call('tail.stop', { id: tailB.id });
    linkA.close?.();
    expect((await core.api.invoke('tail.list', {})).tails.map((t) => t.id)).not.toContain(tail.id);
    b.close();
  });

  it('resubscribes its tails on a new connection', async () => {
    const tail = await core.api.invoke('tail.start', { subject: 'again.>' });
    const status = await core.api.invoke('connection.connect', { servers: [server.url] });
    expect(status.state).toBe('connected');
    // The new subscription reaches the server shortly after connect resolves: publish until it is seen.
    const got = await waitFor(
      async () => {
        raw.publish('again.x', 'after reconnect');
        await raw.flush();
        return received(tail.id)[0];
      },
      { message: 'a message after the new connection', intervalMs: 100 }
    );
    expect(got.payload).toBe('after reconnect');
    await core.api.invoke('tail.stop', { id: tail.id });
  });

  it('publishes with {{count}} / {{.Count}} templates and headers', async () => {
    const tail = await core.api.invoke('tail.start', { subject: 'pub.count' });
    const result = await core.api.invoke('messages.publish', {
      subject: 'pub.count',
      body: 'n={{count}} natscli={{.Count}} literal={{other}}',
      count: 3,
      headers: { 'X-Seq': '{{ .Count }}', Multi: ['a', 'b'] }
    });
    expect(result).toMatchObject({ subject: 'pub.count', published: 3, ids: [] });
    const got = await waitFor(() => (received(tail.id).length >= 3 ? received(tail.id) : null), {
      message: 'three published'
    });
    expect(got.map((m) => m.payload)).toEqual([1, 2, 3].map((n) => `n=${n} natscli=${n} literal={{other}}`));
    expect(got.map((m) => m.headers?.['X-Seq'])).toEqual([['1'], ['2'], ['3']]);
    expect(got[0]?.headers?.Multi).toEqual(['a', 'b']);
    expect(result.bytes).toBe(got.reduce((sum, m) => sum + m.size, 0));

    const literal = await core.api.invoke('messages.publish', {
      subject: 'pub.count',
      body: '{{count}}',
      templates: false
    });
    expect(literal.published).toBe(1);
    const binary = await core.api.invoke('messages.publish', {
      subject: 'pub.count',
      body: Buffer.from([0, 1, 2]).toString('base64'),
      bodyEncoding: 'base64'
    });
    expect(binary.bytes).toBe(3);
    const all = await waitFor(() => (received(tail.id).length >= 5 ? received(tail.id) : null), {
      message: 'five published'
    });
    expect(all[3]?.payload).toBe('{{count}}');
    expect(all[4]).toMatchObject({ encoding: 'base64', payload: 'AAEC' });
    await core.api.invoke('tail.stop', { id: tail.id });
  });

  it('publishes validated Syn_OS envelopes with Nats-Msg-Id and rejects invalid data before sending', async () => {
    const tail = await core.api.invoke('tail.start', { subject: 'orchestrator.>' });
    const ok = await core.api.invoke('messages.publish', {
      subject: 'orchestrator.service.health',
      body: JSON.stringify({ service: 'payments', status: 'unhealthy', detail: 'probe {{count}}' }),
      envelope: { type: 'service.health.update', priority: 'high' }
    });
    expect(ok.ids).toHaveLength(1);
    const [msg] = await waitFor(() => (received(tail.id).length >= 1 ? received(tail.id) : null), {
      message: 'the envelope'
    });
    const envelope = JSON.parse(msg?.payload ?? '{}') as Record<string, unknown>;
    expect(envelope).toMatchObject({
      specversion: '1.0',
      id: ok.ids[0],
      type: 'service.health.update',
      source: 'synos-control-center',
      datacontenttype: 'application/json',
      priority: 'high',
      data: { service: 'payments', status: 'unhealthy', detail: 'probe 1' }
    });
    expect(msg?.headers?.['Nats-Msg-Id']).toEqual([ok.ids[0]]);

    const bad = await core.api.call('messages.publish', {
      subject: 'orchestrator.service.health',
      body: JSON.stringify({ service: 'payments', status: 'sleepy' }),
      envelope: { type: 'service.health.update' }
    });
    expect(bad).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT', message: expect.stringContaining('data.status') }
    });
    const notJson = await core.api.call('messages.publish', {
      subject: 'x',
      body: 'nope',
      envelope: { type: 'health.heartbeat' }
    });
    expect(notJson).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    const unknownType = await core.api.call('messages.publish', {
      subject: 'x',
      body: '{}',
      envelope: { type: 'no.such.type' }
    });
    expect(unknownType).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    await raw.flush();
    expect(received(tail.id)).toHaveLength(1);
    await core.api.invoke('tail.stop', { id: tail.id });
  });

  it('requests with a reply, a TIMEOUT, and NO_RESPONDERS', async () => {
    const echo = raw.subscribe('svc.echo', {
      callback: (_e, m) => {
        const h = headers();
        h.set('X-Echo', m.headers?.get('X-In') ?? '');
        m.respond(`echo: ${m.string()}`, { headers: h });
      }
    });
    const silent = raw.subscribe('svc.silent', { callback: () => undefined });
    await raw.flush();
    const reply = await core.api.invoke('messages.request', {
      subject: 'svc.echo',
      body: 'ping {{count}}',
      headers: { 'X-In': 'v' }
    });
    expect(reply.reply).toMatchObject({ payload: 'echo: ping 1', encoding: 'utf8', headers: { 'X-Echo': ['v'] } });

    const timeout = await core.api.call('messages.request', { subject: 'svc.silent', body: 'x', timeoutMs: 200 });
    expect(timeout).toMatchObject({
      ok: false,
      error: { code: 'TIMEOUT', message: expect.stringContaining('200 ms') }
    });
    const none = await core.api.call('messages.request', { subject: 'svc.nobody', body: 'x', timeoutMs: 2000 });
    expect(none).toMatchObject({ ok: false, error: { code: 'NO_RESPONDERS' } });
    echo.unsubscribe();
    silent.unsubscribe();
  });

  it('rejects bad subjects and answers NOT_CONNECTED while offline', async () => {
    for (const subject of ['a..b', 'a.>.b', 'a b', 'a*.b', '']) {
      expect(await core.api.call('tail.start', { subject })).toMatchObject({
        ok: false,
        error: { code: 'INVALID_INPUT' }
      });
    }
    expect(await core.api.call('messages.publish', { subject: 'a.*' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT' }
    });
    expect(await core.api.call('messages.publish', { subject: 'a', headers: { 'Bad Name': 'x' } })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT' }
    });
    const offline = createTestCore({ servers: [server.url] });
    await offline.start();
    try {
      expect(await offline.api.call('messages.publish', { subject: 'a' })).toMatchObject({
        ok: false,
        error: { code: 'NOT_CONNECTED' }
      });
      expect(await offline.api.call('tail.start', { subject: 'a' })).toMatchObject({
        ok: false,
        error: { code: 'NOT_CONNECTED' }
      });
    } finally {
      await offline.stop();
    }
  });
});

describe('sub, pub and req in the built CLI', () => {
  let server: NatsServerHandle;
  let raw: NatsConnection;
  const data = tempDir();

  beforeAll(async () => {
    assertCliBuilt();
    server = await startNatsServer({
      jetstream: false,
      config: 'authorization { users = [ { user: "cli", password: "cli-pw" } ] }\n'
    });
    raw = await connect({ servers: server.url, user: 'cli', pass: 'cli-pw' });
  });
  afterAll(async () => {
    await raw?.close();
    await server?.stop();
  });

  /** Runs the CLI without blocking this process (a responder in this test must be able to answer). */
  const runCli = (
    args: string[],
    input?: string,
    env: NodeJS.ProcessEnv = {}
  ): Promise<{ code: number | null; stdout: string; stdoutBytes: Buffer; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        env: { ...process.env, NATS_URL: '', ...env },
        stdio: ['pipe', 'pipe', 'pipe']
      });
      const out: Buffer[] = [];
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      // 'close' comes after the output pipes are drained ('exit' may come before).
      child.once('close', (code) => {
        const stdoutBytes = Buffer.concat(out);
        resolve({ code, stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr });
      });
      child.stdin.end(input ?? '');
    });

  const base = (): string[] => [
    '--nats',
    server.url,
    '--user',
    'cli',
    '--password',
    'cli-pw',
    '--data',
    data,
    '--log-level',
    'error'
  ];

  it('sub --count N --json prints N messages published by pub with {{.Count}} and a header, then exits 0', async () => {
    const child = spawn(process.execPath, [CLI, ...base(), 'sub', 'cli.>', '--count', '3', '--json'], {
      env: { ...process.env, NATS_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => stderr.includes('Subscribing on cli.>'), {
        timeoutMs: 30_000,
        message: `sub to be ready (${stderr})`
      });
      const pub = runCliSync([
        ...base(),
        'pub',
        'cli.x',
        'message {{.Count}} of 3',
        '--count',
        '3',
        '-H',
        'X-N:{{count}}'
      ]);
      expect(pub.code, pub.stderr).toBe(0);
      expect(pub.stdout).toMatch(/Published 3 messages/);
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TailMessage);
    expect(lines.map((m) => m.payload)).toEqual(['message 1 of 3', 'message 2 of 3', 'message 3 of 3']);
    expect(lines.map((m) => m.headers?.['X-N'])).toEqual([['1'], ['2'], ['3']]);
  });

  it('pub reads the body from stdin; req prints the reply', async () => {
    const got: string[] = [];
    const sub = raw.subscribe('cli.stdin', { callback: (_e, m) => void got.push(m.string()) });
    const svc = raw.subscribe('cli.svc', { callback: (_e, m) => void m.respond(`pong:${m.string()}`) });
    const bin = raw.subscribe('cli.bin', { callback: (_e, m) => void m.respond(new Uint8Array([0, 255, 1])) });
    const bigSvc = raw.subscribe('cli.big', { callback: (_e, m) => void m.respond('z'.repeat(200_000)) });
    await raw.flush();
    const pub = runCliSync([...base(), 'pub', 'cli.stdin'], { input: 'from stdin {{count}}' });
    expect(pub.code, pub.stderr).toBe(0);
    await waitFor(() => got.length === 1, { message: 'the stdin message' });
    expect(got).toEqual(['from stdin 1']);

    const req = await runCli([...base(), 'req', 'cli.svc', 'ping', '--timeout', '2s']);
    expect(req.code, req.stderr).toBe(0);
    expect(req.stdout.trim()).toBe('pong:ping');
    const rawReq = await runCli([...base(), 'req', 'cli.bin', 'x', '--raw']);
    expect(rawReq.code, rawReq.stderr).toBe(0);
    expect(rawReq.stdoutBytes).toEqual(Buffer.from([0, 255, 1, 0x0a]));
    const big = await runCli([...base(), 'req', 'cli.big', 'x']);
    expect(big.stdout.trim()).toHaveLength(200_000);
    const json = await runCli([...base(), 'req', 'cli.svc', 'ping', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ subject: 'cli.svc', reply: { payload: 'pong:ping' } });
    sub.unsubscribe();
    svc.unsubscribe();
    bin.unsubscribe();
    bigSvc.unsubscribe();
  });

  it('exits 1 with the typed error and a hint: TIMEOUT, NO_RESPONDERS, NATS_AUTH, NATS_UNREACHABLE; 2 on usage errors', async () => {
    const silent = raw.subscribe('cli.silent', { callback: () => undefined });
    await raw.flush();
    // Independent invocations: run them side by side.
    const [timeout, none, auth, down, zeroCount, badTimeout, badHeader, badSubject, badType] = await Promise.all([
      runCli([...base(), 'req', 'cli.silent', 'x', '--timeout', '300ms']),
      runCli([...base(), 'req', 'cli.nobody', 'x']),
      runCli(['--nats', server.url, '--user', 'cli', '--password', 'wrong', '--data', data, 'pub', 'cli.x', 'y']),
      runCli(['--nats', 'nats://127.0.0.1:1', '--data', data, 'sub', 'x']),
      runCli([...base(), 'pub', 'cli.x', 'y', '--count', '0']),
      runCli([...base(), 'req', 'cli.x', 'y', '--timeout', 'soon']),
      runCli([...base(), 'pub', 'cli.x', 'y', '-H', 'novalue']),
      runCli([...base(), 'pub', 'cli.*', 'y']),
      runCli([...base(), 'pub', 'x', '{"service":"a","status":"nope"}', '--type', 'service.health.update'])
    ]);
    silent.unsubscribe();
    expect(timeout.code).toBe(1);
    expect(timeout.stderr).toMatch(/error: TIMEOUT: no reply on cli.silent within 300 ms/);
    expect(timeout.stderr).toMatch(/hint: /);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/error: NO_RESPONDERS/);
    expect(auth.code).toBe(1);
    expect(auth.stderr).toMatch(/error: NATS_AUTH: authorization violation/);
    expect(auth.stderr).toMatch(/hint: .*credentials/);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/error: NATS_UNREACHABLE/);
    expect(zeroCount.code).toBe(2);
    expect(badTimeout.code).toBe(2);
    expect(badHeader.code).toBe(2);
    expect(badSubject.code).toBe(2);
    expect(badSubject.stderr).toMatch(/INVALID_INPUT.*wildcards/);
    expect(badType.code).toBe(2);
    expect(badType.stderr).toMatch(/data\.status/);
  });

  it('--context loads a natscli context; flags win over it', async () => {
    const xdg = tempDir('synos-xdg-');
    fs.mkdirSync(path.join(xdg, 'nats', 'context'), { recursive: true });
    const ctx = (name: string, body: Record<string, unknown>): void =>
      fs.writeFileSync(path.join(xdg, 'nats', 'context', `${name}.json`), JSON.stringify(body));
    ctx('good', { url: server.url, user: 'cli', password: 'cli-pw' });
    ctx('badpw', { url: server.url, user: 'cli', password: 'wrong' });
    const env = { XDG_CONFIG_HOME: xdg };
    const [ok, bad, fixed, missing, fromEnv] = await Promise.all([
      runCli(['--context', 'good', '--data', data, 'pub', 'ctx.x', 'hi'], undefined, env),
      runCli(['--context', 'badpw', '--data', data, 'pub', 'ctx.x', 'hi'], undefined, env),
      runCli(
        ['--context', 'badpw', '--user', 'cli', '--password', 'cli-pw', '--data', data, 'pub', 'ctx.x', 'hi'],
        undefined,
        env
      ),
      runCli(['--context', 'nope', '--data', data, 'pub', 'ctx.x', 'hi'], undefined, env),
      runCli(['--data', data, 'pub', 'ctx.x', 'hi'], undefined, { ...env, NATS_CONTEXT: 'good' })
    ]);
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(ok.code, ok.stderr).toBe(0);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/NATS_AUTH/);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/natscli context "nope" not found/);
    expect(missing.stderr).toMatch(/hint: Known contexts.*badpw, good/);
  });

  it('profiles add / list / test / use / remove, and commands use the active profile', () => {
    const pdata = tempDir();
    const add = runCliSync([
      '--nats',
      server.url,
      '--user',
      'cli',
      '--password',
      'cli-pw',
      '--data',
      pdata,
      'profiles',
      'add',
      'local',
      '--use'
    ]);
    expect(add.code, add.stderr).toBe(0);
    const addBad = runCliSync([
      '--nats',
      server.url,
      '--user',
      'cli',
      '--password',
      'wrong',
      '--data',
      pdata,
      'profiles',
      'add',
      'bad'
    ]);
    expect(addBad.code, addBad.stderr).toBe(0);
    const list = runCliSync(['--data', pdata, 'profiles', 'list', '--json']);
    const listed = JSON.parse(list.stdout) as { profiles: Array<{ name: string; active: boolean; auth: unknown }> };
    expect(listed.profiles.map((p) => [p.name, p.active])).toEqual([
      ['bad', false],
      ['local', true]
    ]);
    expect(list.stdout).not.toContain('cli-pw');
    expect(runCliSync(['--data', pdata, 'profiles', 'test', 'local']).code).toBe(0);
    const badTest = runCliSync(['--data', pdata, 'profiles', 'test', 'bad']);
    expect(badTest.code).toBe(1);
    expect(badTest.stderr).toMatch(/NATS_AUTH/);
    // No connection flags: the active profile is used.
    const pub = runCliSync(['--data', pdata, 'pub', 'prof.x', 'hi']);
    expect(pub.code, pub.stderr).toBe(0);
    expect(runCliSync(['--data', pdata, 'profiles', 'use', 'bad']).code).toBe(0);
    expect(runCliSync(['--data', pdata, 'pub', 'prof.x', 'hi']).stderr).toMatch(/NATS_AUTH/);
    expect(runCliSync(['--data', pdata, 'profiles', 'remove', 'bad']).code).toBe(0);
    expect(runCliSync(['--data', pdata, 'profiles', 'show', 'bad']).code).toBe(1);
    expect(runCliSync(['--data', pdata, 'profiles', 'add', 'noserver']).code).toBe(2);
  });
});
