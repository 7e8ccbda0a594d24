/**
 * Version-gated JetStream features against whichever nats-server the run uses (NATS_SERVER_BIN: CI
 * runs this file on 2.9, 2.10 and the newest). Each test asserts the feature on servers that have it
 * and the exact refusal on servers that do not, so every server of the matrix checks something.
 */
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { beforeAll, describe, expect, it } from 'vitest';
import { supports, versionAtLeast } from '../../main/nats/connection/features';
import { MANAGED_METADATA, describeReport, provision } from '../../main/nats/topology/provisioning';
import { assertCliBuilt, runCliSync } from '../harness/cli';
import { natsServerVersion } from '../harness/nats-server';
import { useServerAndClient, useServerAndCore } from '../harness/server-and-core';
import { tempDir } from '../harness/temp';

const enc = new TextEncoder();

describe(`server features on nats-server ${natsServerVersion()}`, () => {
  const version = natsServerVersion();

  beforeAll(() => assertCliBuilt());
  const env = useServerAndCore({
    core: { overrides: { provision: false } },
    async prepare({ js, jsm }) {
      await jsm.streams.add({ name: 'JOBS', subjects: ['jobs.>'] });
      for (let i = 0; i < 5; i++) await js.publish('jobs.new', enc.encode(`job ${i}`));
      await jsm.consumers.add('JOBS', { durable_name: 'worker', ack_policy: AckPolicy.Explicit });
    }
  });

  it('reports the version and JetStream API level the server announces', async () => {
    const features = await env.core.api.invoke('streams.features', {});
    expect(features.version).toBe(version);
    // API levels came with 2.11; older servers report none.
    if (versionAtLeast(version, '2.11.0')) expect(features.apiLevel).toBeGreaterThanOrEqual(1);
    else expect(features.apiLevel).toBeNull();
    const pause = features.features.find((f) => f.id === 'consumerPause')!;
    expect(pause).toMatchObject({ since: '2.11.0', available: versionAtLeast(version, '2.11.0') });
    expect(features.features.find((f) => f.id === 'metadata')!.available).toBe(versionAtLeast(version, '2.10.0'));
  });

  it('pauses and resumes a consumer on ≥ 2.11, and refuses with the versions on older servers', async () => {
    const caps = await env.core.api.invoke('streams.features', {});
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const paused = await env.core.api.call('consumers.pause', { stream: 'JOBS', consumer: 'worker', until });
    if (!supports(caps, 'consumerPause')) {
      expect(paused.ok ? null : paused.error).toEqual({
        code: 'UNAVAILABLE',
        message: `consumer pause needs nats-server ≥ 2.11; connected to ${version}`,
        details: { feature: 'consumerPause', needs: '2.11.0', server: version, apiLevel: null }
      });
      // Nothing was changed: the consumer still delivers.
      const messages = await (
        await jetstream(env.nc).consumers.get('JOBS', 'worker')
      ).fetch({ max_messages: 1, expires: 2000 });
      let got = 0;
      for await (const m of messages) {
        got++;
        m.nak();
      }
      expect(got).toBe(1);
      const cli = runCliSync([
        '--nats',
        env.server.url,
        '--data',
        tempDir(),
        'consumers',
        'pause',
        'JOBS',
        'worker',
        '--for',
        '1h'
      ]);
      expect(cli.code).toBe(1);
      expect(cli.stderr).toContain(`consumer pause needs nats-server ≥ 2.11; connected to ${version}`);
      return;
    }
    expect(paused.ok).toBe(true);
    const summary = await env.core.api.invoke('consumers.list', { stream: 'JOBS' }).then((l) => l.consumers[0]!);
    expect(summary).toMatchObject({ name: 'worker', paused: true });
    expect(Date.parse(summary.pauseUntil!)).toBe(Date.parse(until));
    // A paused consumer delivers nothing to a pull in the meantime.
    const consumer = await jetstream(env.nc).consumers.get('JOBS', 'worker');
    let during = 0;
    for await (const m of await consumer.fetch({ max_messages: 5, expires: 1500 })) {
      during++;
      m.nak();
    }
    expect(during).toBe(0);
    expect(paused.ok && (paused as { value: { pauseUntil: string } }).value.pauseUntil).toBe(summary.pauseUntil);

    const resumed = await env.core.api.invoke('consumers.resume', { stream: 'JOBS', consumer: 'worker' });
    expect(resumed).toMatchObject({ paused: false, pauseUntil: null, numPending: 5 });
    let after = 0;
    for await (const m of await consumer.fetch({ max_messages: 5, expires: 3000 })) {
      after++;
      m.nak();
    }
    expect(after).toBe(5);

    // The CLI: --for and --until, the PAUSED column, resume, and bad input refused before anything changes.
    const base = ['--nats', env.server.url, '--data', tempDir()];
    const viaCli = runCliSync([...base, 'consumers', 'pause', 'JOBS', 'worker', '--for', '2h', '--json']);
    expect(viaCli.code, viaCli.stderr).toBe(0);
    const pausedUntil = Date.parse(JSON.parse(viaCli.stdout).pauseUntil);
    expect(pausedUntil).toBeGreaterThan(Date.now() + 3_600_000);
    const table = runCliSync([...base, 'consumers', 'JOBS']);
    expect(table.stdout).toMatch(/PAUSED/);
    expect(table.stdout).toMatch(/worker.*until \d{4}-/);
    const both = runCliSync([...base, 'consumers', 'pause', 'JOBS', 'worker', '--for', '1h', '--until', until]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either --until TIME or --for DURATION/);
    const past = runCliSync([...base, 'consumers', 'pause', 'JOBS', 'worker', '--until', '2001-01-01T00:00:00Z']);
    expect(past.code).toBe(2);
    expect(past.stderr).toMatch(/must be in the future/);
    const resumeCli = runCliSync([...base, 'consumers', 'resume', 'JOBS', 'worker']);
    expect(resumeCli.code, resumeCli.stderr).toBe(0);
    expect(resumeCli.stdout).toMatch(/resumed consumer worker of JOBS/);
    expect((await env.jsm.consumers.info('JOBS', 'worker')).paused ?? false).toBe(false);
    // Priority groups (2.11+) show in the listing with their policy.
    await env.jsm.consumers.add('JOBS', {
      durable_name: 'grouped',
      ack_policy: AckPolicy.Explicit,
      priority_groups: ['urgent'],
      priority_policy: 'overflow'
    } as never);
    const grouped = (await env.core.api.invoke('consumers.list', { stream: 'JOBS' })).consumers.find(
      (c) => c.name === 'grouped'
    );
    expect(grouped).toMatchObject({ priorityGroups: ['urgent'], priorityPolicy: 'overflow', paused: false });
    const groupsTable = runCliSync([...base, 'consumers', 'JOBS']);
    expect(groupsTable.stdout).toMatch(/PRIORITY GROUPS/);
    expect(groupsTable.stdout).toMatch(/grouped.*urgent \(overflow\)/);
    const missing = await env.core.api.call('consumers.pause', { stream: 'JOBS', consumer: 'nope', until });
    expect(missing.ok ? null : missing.error.code).toBe('NOT_FOUND');
  });
});

describe(`provisioning and drift on nats-server ${natsServerVersion()}`, () => {
  const env = useServerAndClient();
  const version = natsServerVersion();

  it('is in sync right after applying: the fields this server adds with defaults are not drift', async () => {
    const applied = await provision(env.nc, {});
    expect(applied.summary.failed).toBe(0);
    expect(applied.inSync).toBe(true);
    const check = await provision(env.nc, { check: true });
    expect(describeReport(check)).toEqual([]);
    expect(check.inSync).toBe(true);
    const jsm = await jetstreamManager(env.nc);
    const stream = await jsm.streams.info('CONSCIOUSNESS_EVENTS');
    const consumer = await jsm.consumers.info('ORCHESTRATOR_EVENTS', 'orchestrator_service');
    if (versionAtLeast(version, '2.10.0')) {
      // Newer servers report fields 2.9 never had (compression, consumer_limits, …) at their defaults.
      expect(stream.config.compression).toBe('none');
      expect(stream.config.metadata).toMatchObject(MANAGED_METADATA);
      expect(consumer.config.metadata).toMatchObject(MANAGED_METADATA);
    } else {
      expect(stream.config.metadata).toBeUndefined();
      expect(consumer.config.metadata).toBeUndefined();
    }
  });

  it('reports a removed managed key and a subject transform as drift, repairs both and keeps keys set by others', async () => {
    if (!versionAtLeast(version, '2.10.0')) {
      // Metadata and subject transforms do not exist before 2.10: the client refuses them up front.
      const jsm = await jetstreamManager(env.nc);
      await expect(jsm.streams.update('CONSCIOUSNESS_EVENTS', { metadata: { owner: 'ops' } })).rejects.toThrow(/2\.10/);
      expect((await provision(env.nc, { check: true })).inSync).toBe(true);
      return;
    }
    const jsm = await jetstreamManager(env.nc);
    const info = await jsm.streams.info('SECURITY_EVENTS');
    await jsm.streams.update('SECURITY_EVENTS', {
      metadata: { owner: 'ops' },
      subject_transform: { src: 'security.>', dest: 'sec.>' }
    });
    const ci = await jsm.consumers.info('SECURITY_EVENTS', 'security_dashboard');
    await jsm.consumers.update('SECURITY_EVENTS', 'security_dashboard', {
      metadata: { ...ci.config.metadata, team: 'blue', 'synos.managed-by': 'someone-else' }
    });
    const check = await provision(env.nc, { check: true });
    expect(check.inSync).toBe(false);
    const stream = check.streams.find((s) => s.name === 'SECURITY_EVENTS')!;
    expect(stream.status).toBe('drift');
    expect(stream.differences.map((d) => d.field).sort()).toEqual(['metadata', 'subject_transform']);
    expect(describeReport(check)).toEqual(
      expect.arrayContaining([
        'SECURITY_EVENTS.metadata: want synos.managed-by=synos-control-center, have (none)',
        'SECURITY_EVENTS.subject_transform: want (none), have security.> → sec.>',
        'SECURITY_EVENTS/security_dashboard.metadata: want synos.managed-by=synos-control-center, have synos.managed-by=someone-else'
      ])
    );
    const repaired = await provision(env.nc, {});
    expect(repaired.inSync).toBe(true);
    expect((await provision(env.nc, { check: true })).inSync).toBe(true);
    const after = await jsm.streams.info('SECURITY_EVENTS');
    expect(after.config.subject_transform?.dest ?? '').toBe('');
    expect(after.config.metadata).toMatchObject({ owner: 'ops', ...MANAGED_METADATA });
    expect(after.config.subjects).toEqual(info.config.subjects);
    const consumer = await jsm.consumers.info('SECURITY_EVENTS', 'security_dashboard');
    expect(consumer.config.metadata).toMatchObject({ team: 'blue', ...MANAGED_METADATA });
  });
});

describe(`per-message TTL and counters in the browser on nats-server ${natsServerVersion()}`, () => {
  beforeAll(() => assertCliBuilt());
  const env = useServerAndClient({ prepare: ({ jsm }) => jsm.streams.add({ name: 'PLAIN', subjects: ['plain.>'] }) });
  const version = natsServerVersion();

  it('pub --ttl sets Nats-TTL on ≥ 2.11 for a stream that allows it, and refuses clearly otherwise', async () => {
    const base = ['--nats', env.server.url, '--data', tempDir()];
    if (!versionAtLeast(version, '2.11.0')) {
      const old = runCliSync([...base, 'pub', 'plain.a', 'x', '--ttl', '30s']);
      expect(old.code).toBe(1);
      expect(old.stderr).toContain(`per-message TTL needs nats-server ≥ 2.11; connected to ${version}`);
      expect((await (await jetstreamManager(env.nc)).streams.info('PLAIN')).state.messages).toBe(0);
      return;
    }
    const jsm = await jetstreamManager(env.nc);
    const refused = runCliSync([...base, 'pub', 'plain.a', 'x', '--ttl', '30s']);
    // INVALID_INPUT: the CLI's exit code for input the server side refuses.
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/stream PLAIN does not allow per-message TTL; enable allow_msg_ttl/);
    const nowhere = runCliSync([...base, 'pub', 'nowhere.a', 'x', '--ttl', '30s']);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toMatch(/no stream stores nowhere\.a/);
    expect((await jsm.streams.info('PLAIN')).state.messages).toBe(0);

    await jsm.streams.add({ name: 'EXPIRING', subjects: ['exp.>'], allow_msg_ttl: true } as never);
    const ok = runCliSync([...base, 'pub', 'exp.a', 'kept for an hour', '--ttl', '1h']);
    expect(ok.code, ok.stderr).toBe(0);
    const view = runCliSync([...base, 'view', 'EXPIRING', '--json']);
    expect(view.code, view.stderr).toBe(0);
    const page = JSON.parse(view.stdout) as {
      messages: { time: string; headers: Record<string, string[]>; notes?: string[] }[];
    };
    expect(page.messages).toHaveLength(1);
    const m = page.messages[0]!;
    expect(m.headers['Nats-TTL']).toEqual(['3600s']);
    expect(m.notes).toEqual([`TTL 3600s: expires ${new Date(Date.parse(m.time) + 3_600_000).toISOString()}`]);
    const text = runCliSync([...base, 'view', 'EXPIRING']);
    expect(text.stdout).toContain('(TTL 3600s: expires ');
    const partSecond = runCliSync([...base, 'pub', 'exp.a', 'x', '--ttl', '1500ms']);
    expect(partSecond.code).toBe(2);
    expect(partSecond.stderr).toMatch(/whole seconds/);
  });

  it('shows a counter stream message (2.12+) with its increment and total', async () => {
    if (!versionAtLeast(version, '2.12.0')) {
      // Nothing to browse: counters do not exist before 2.12 (the feature table says so).
      expect(supports({ version, apiLevel: null }, 'messageCounters')).toBe(false);
      return;
    }
    const jsm = await jetstreamManager(env.nc);
    await jsm.streams.add({
      name: 'COUNTS',
      subjects: ['count.>'],
      allow_msg_counter: true,
      allow_direct: true
    } as never);
    const h = (await import('@nats-io/transport-node')).headers();
    h.set('Nats-Incr', '5');
    await jetstream(env.nc).publish('count.hits', new Uint8Array(), { headers: h });
    const h2 = (await import('@nats-io/transport-node')).headers();
    h2.set('Nats-Incr', '-2');
    await jetstream(env.nc).publish('count.hits', new Uint8Array(), { headers: h2 });
    const base = ['--nats', env.server.url, '--data', tempDir()];
    const view = runCliSync([...base, 'view', 'COUNTS', '--json']);
    expect(view.code, view.stderr).toBe(0);
    const page = JSON.parse(view.stdout) as { messages: { notes?: string[] }[] };
    expect(page.messages.map((m) => m.notes)).toEqual([['counter: +5, total 5'], ['counter: -2, total 3']]);
  });
});
