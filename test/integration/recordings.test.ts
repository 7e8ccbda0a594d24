import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractError, type ReplayProgressPayload } from '../../main/contract';
import type { Core } from '../../main/app/create-core';
import { parseNdjson } from '../../main/recordings/format';
import { createTestCore } from '../harness/core';
import { waitForStream } from '../harness/exactly-once';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { buildPrivateCli, type PrivateCli } from '../harness/private-cli';
import { tempDir, waitFor } from '../harness/temp';

let server: NatsServerHandle;
let core: Core;
let nc: NatsConnection;
let cli: PrivateCli;
const run = randomUUID().slice(0, 8);

beforeAll(async () => {
  server = await startNatsServer();
  core = createTestCore({ servers: [server.url], autoConnect: true });
  await core.start();
  await waitFor(() => core.context.nats.connection(), { message: 'core connected' });
  await waitForStream(server.url, 'ORCHESTRATOR_EVENTS');
  nc = await connect({ servers: server.url });
  cli = await buildPrivateCli();
  const js = jetstream(nc);
  for (let i = 0; i < 20; i++) {
    const h = headers();
    h.set('X-Index', String(i));
    await js.publish(
      `orchestrator.rec.${run}.${i % 2 === 0 ? 'even' : 'odd'}`,
      i === 7 ? new Uint8Array([0, 159, 146, 150]) : JSON.stringify({ i }),
      { headers: h }
    );
  }
});

afterAll(async () => {
  cli?.remove();
  await nc?.close();
  await core?.stop();
  await server?.stop();
});

async function collect(
  subject: string,
  expected: number,
  action: () => unknown,
  timeoutMs = 15_000
): Promise<Array<{ subject: string; data: Uint8Array; index: string | undefined }>> {
  const got: Array<{ subject: string; data: Uint8Array; index: string | undefined }> = [];
  const sub = nc.subscribe(subject);
  const done = (async () => {
    for await (const m of sub) {
      got.push({ subject: m.subject, data: m.data, index: m.headers?.get('X-Index') || undefined });
      if (got.length >= expected) break;
    }
  })();
  await nc.flush();
  await action();
  await Promise.race([done, new Promise((r) => setTimeout(r, timeoutMs))]);
  sub.unsubscribe();
  return got;
}

describe('recordings', () => {
  it('records a stream range, exports it to NDJSON and CSV, and replays it with a subject rewrite', async () => {
    const recording = await core.api.invoke('recordings.start', {
      range: { stream: 'ORCHESTRATOR_EVENTS', filter: `orchestrator.rec.${run}.>` },
      name: 'range'
    });
    expect(recording).toMatchObject({
      source: 'stream',
      status: 'complete',
      messageCount: 20,
      stream: 'ORCHESTRATOR_EVENTS'
    });

    const exports = path.join(core.context.config.dataDir, 'exports');
    const ndjson = path.join(exports, 'range.ndjson');
    expect(
      await core.api.invoke('recordings.export', { recordingId: recording.id, format: 'ndjson', file: 'range.ndjson' })
    ).toMatchObject({ count: 20, file: 'range.ndjson', path: ndjson });
    expect(fs.statSync(ndjson).mode & 0o777).toBe(0o600);
    const parsed = parseNdjson(fs.readFileSync(ndjson, 'utf8'));
    expect(parsed.errors).toEqual([]);
    expect(parsed.messages).toHaveLength(20);
    expect(parsed.messages[0]?.headers?.['X-Index']).toEqual(['0']);
    expect(parsed.messages[7]?.payload).toEqual(new Uint8Array([0, 159, 146, 150]));
    expect(fs.readFileSync(ndjson, 'utf8').split('\n')[7]).toContain('"encoding":"base64"');
    const seqs = parsed.messages.map((m) => m.seq ?? 0);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    // Without a file name the export gets one made from the recording, in exports/.
    const csvExport = await core.api.invoke('recordings.export', { recordingId: recording.id, format: 'csv' });
    expect(csvExport.file).toBe(`range-${recording.id}.csv`);
    const csvLines = fs.readFileSync(csvExport.path, 'utf8').trimEnd().split('\n');
    expect(csvLines[0]).toBe('seq,time,subject,encoding,payload,headers');
    expect(csvLines).toHaveLength(21);
    expect(fs.statSync(csvExport.path).mode & 0o777).toBe(0o600);
    // A CSV export imports back to the very same messages (binary payload and headers included).
    const uploads = path.join(core.context.config.dataDir, 'recordings');
    fs.mkdirSync(uploads, { recursive: true });
    fs.copyFileSync(csvExport.path, path.join(uploads, 'range.csv'));
    const importProgress: Array<{ phase: string; bytes: number; totalBytes: number }> = [];
    const offImport = core.api.subscribe('recordings.importProgress', (p) => importProgress.push(p));
    const fromCsv = await core.api.invoke('recordings.import', { file: 'range.csv' });
    offImport();
    const csvSize = fs.statSync(csvExport.path).size;
    expect(importProgress.at(-1)).toEqual({ name: 'range.csv', phase: 'storing', bytes: csvSize, totalBytes: csvSize });
    expect(fromCsv).toMatchObject({ source: 'import', messageCount: 20, name: 'range.csv' });
    const again = path.join(exports, 'again.ndjson');
    await core.api.invoke('recordings.export', { recordingId: fromCsv.id, file: 'again.ndjson' });
    expect(parseNdjson(fs.readFileSync(again, 'utf8')).messages).toEqual(parsed.messages);

    const progress: ReplayProgressPayload[] = [];
    const off = core.api.subscribe('recordings.progress', (p) => progress.push(p));
    const got = await collect(`replayed.${run}.>`, 20, () =>
      core.api.invoke('recordings.replay', {
        id: recording.id,
        speed: null,
        subjectMap: [`orchestrator.rec.${run}.>=replayed.${run}.>`]
      })
    );
    expect(got).toHaveLength(20);
    expect(got[0]).toMatchObject({ subject: `replayed.${run}.even`, index: '0' });
    expect(new TextDecoder().decode(got[1]?.data)).toBe('{"i":1}');
    await waitFor(() => progress.some((p) => p.done), { message: 'final progress' });
    off();
    expect(progress.find((p) => p.done)).toMatchObject({ sent: 20, total: 20, error: null });
  });

  it('replays an import through a saved profile into another, token-protected server', async () => {
    const other = await startNatsServer({ jetstream: false, config: 'authorization { token: "replay-secret" }\n' });
    try {
      const profile = await core.api.invoke('profiles.save', {
        name: `other-${run}`,
        servers: [other.url],
        auth: { kind: 'token', token: 'replay-secret' }
      });
      const uploads = path.join(core.context.config.dataDir, 'recordings');
      fs.mkdirSync(uploads, { recursive: true });
      const lines = Array.from({ length: 5 }, (_, i) =>
        JSON.stringify({ subject: `prof.${run}.x`, payload: String(i), time: new Date(1000 * i).toISOString() })
      );
      fs.writeFileSync(path.join(uploads, 'profile.ndjson'), lines.join('\n'));
      const imported = await core.api.invoke('recordings.import', { file: 'profile.ndjson' });
      const otherNc = await connect({ servers: other.url, token: 'replay-secret' });
      const sub = otherNc.subscribe(`moved.${run}.>`, { max: 5 });
      await otherNc.flush();
      const got: string[] = [];
      const done = (async () => {
        for await (const m of sub) got.push(`${m.subject}=${m.string()}`);
      })();
      await core.api.invoke('recordings.replay', {
        id: imported.id,
        speed: null,
        subjectMap: [`prof.${run}.>=moved.${run}.>`],
        profileId: profile.id
      });
      await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
      await otherNc.close();
      expect(got).toEqual([0, 1, 2, 3, 4].map((i) => `moved.${run}.x=${i}`));
      const refused = await core.api
        .invoke('recordings.replay', { id: imported.id, profileId: 'no-such-profile' })
        .catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await other.stop();
    }
  });

  it('a started live recording already has the subscription at the server: nothing published right after is missed', async () => {
    // Without the flush in captureLive, 5-6 % of these single messages were lost (the SUB was still buffered).
    const ids: number[] = [];
    for (let i = 0; i < 100; i++) {
      ids.push((await core.api.invoke('recordings.start', { filter: `race.${run}.${i}`, maxMessages: 1 })).id);
      nc.publish(`race.${run}.${i}`, String(i));
    }
    await nc.flush();
    const incomplete = async (): Promise<number[]> => {
      const list = (await core.api.invoke('recordings.list', {})).recordings;
      return ids.filter((id) => list.find((r) => r.id === id)?.status !== 'complete');
    };
    await waitFor(async () => (await incomplete()).length === 0, {
      message: 'all 100 single-message recordings'
    }).catch(async (error: Error) => {
      throw new Error(`${error.message}; still recording: ${(await incomplete()).length}`);
    });
    const list = (await core.api.invoke('recordings.list', {})).recordings.filter((r) => ids.includes(r.id));
    expect(list.map((r) => r.messageCount)).toEqual(ids.map(() => 1));
  });

  it('records live traffic and replays it at the recorded pace × speed', async () => {
    const live = await core.api.invoke('recordings.start', { filter: `live.${run}.>`, maxMessages: 5 });
    expect(live.status).toBe('recording');
    for (let i = 0; i < 5; i++) {
      nc.publish(`live.${run}.tick`, String(i));
      await nc.flush();
      await new Promise((r) => setTimeout(r, 100));
    }
    await waitFor(
      async () =>
        (await core.api.invoke('recordings.list', {})).recordings.find((r) => r.id === live.id)?.status === 'complete',
      {
        message: 'live recording complete'
      }
    );
    const done = (await core.api.invoke('recordings.list', {})).recordings.find((r) => r.id === live.id);
    expect(done?.messageCount).toBe(5);
    const span = Date.parse(done?.lastTime ?? '') - Date.parse(done?.firstTime ?? '');
    expect(span).toBeGreaterThanOrEqual(300);

    const progress: ReplayProgressPayload[] = [];
    const off = core.api.subscribe('recordings.progress', (p) => progress.push(p));
    const got = await collect(`paced.${run}.>`, 5, () =>
      core.api.invoke('recordings.replay', { id: live.id, speed: 2, subjectMap: [`live.${run}.>=paced.${run}.>`] })
    );
    expect(got.map((m) => new TextDecoder().decode(m.data))).toEqual(['0', '1', '2', '3', '4']);
    await waitFor(() => progress.find((p) => p.done), { message: 'replay done' });
    off();
    // The recorded gaps are kept (halved at speed 2): the replay cannot be shorter than that.
    expect(progress.find((p) => p.done)?.elapsedMs).toBeGreaterThanOrEqual(span / 2 - 20);
  });

  it('rejects a malformed file with line numbers, before storing or sending anything', async () => {
    const uploads = path.join(core.context.config.dataDir, 'recordings');
    fs.mkdirSync(uploads, { recursive: true });
    const bad = path.join(uploads, 'bad.ndjson');
    const good = JSON.stringify({
      subject: `bad.${run}.x`,
      payload: 'ok',
      encoding: 'utf8',
      time: new Date().toISOString(),
      seq: null
    });
    fs.writeFileSync(
      bad,
      [good, '{not json', good, JSON.stringify({ subject: 'a b', payload: 1, time: 'x' }), good].join('\n') + '\n'
    );
    const before = (await core.api.invoke('recordings.list', {})).recordings.length;
    const error = await core.api.invoke('recordings.import', { file: 'bad.ndjson' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractError);
    expect((error as ContractError).code).toBe('INVALID_INPUT');
    expect(((error as ContractError).details as { errors: Array<{ line: number }> }).errors.map((e) => e.line)).toEqual(
      [2, 4]
    );
    expect((await core.api.invoke('recordings.list', {})).recordings.length).toBe(before);

    const got = await collect(
      `bad.${run}.>`,
      1,
      () => {
        const result = cli.run(['--data', tempDir(), '--nats', server.url, 'replay', bad, '--max']);
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(/line 2: not JSON/);
        expect(result.stderr).toMatch(/line 4: /);
        expect(result.stderr).toMatch(/nothing was sent/);
      },
      500
    );
    expect(got).toHaveLength(0);
  });

  it('CLI: exports a stream range to stdout, imports it, and replays the file with --max and --subject-map', async () => {
    const data = tempDir();
    const exported = cli.run([
      '--data',
      data,
      '--nats',
      server.url,
      'export',
      '--stream',
      'ORCHESTRATOR_EVENTS',
      '--subject',
      `orchestrator.rec.${run}.even`
    ]);
    expect(exported.stderr).toMatch(/Exported 10 message/);
    expect(exported.code).toBe(0);
    const file = path.join(data, 'even.ndjson');
    fs.writeFileSync(file, exported.stdout);
    expect(parseNdjson(exported.stdout).messages).toHaveLength(10);

    const imported = cli.run(['--data', data, 'recordings', 'import', file]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/Imported 10 message/);
    const listed = JSON.parse(cli.run(['--data', data, 'recordings', '--json']).stdout) as Array<{
      messageCount: number;
      source: string;
    }>;
    expect(listed).toEqual([expect.objectContaining({ messageCount: 10, source: 'import' })]);

    let result: ReturnType<PrivateCli['run']> | null = null;
    const got = await collect(`cli.${run}.>`, 10, () => {
      result = cli.run([
        '--data',
        data,
        '--nats',
        server.url,
        'replay',
        file,
        '--max',
        '--subject-map',
        `orchestrator.rec.${run}.>=cli.${run}.>`
      ]);
    });
    expect(result!.code).toBe(0);
    expect(result!.stderr).toMatch(/replayed 10\/10 \(100%\)/);
    expect(got).toHaveLength(10);
    expect(got.every((m) => m.subject === `cli.${run}.even`)).toBe(true);
  });
});
