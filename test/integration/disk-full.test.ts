/**
 * A full disk says so. The data directory lives on a real 3 MB tmpfs mounted by the test (root is
 * needed: the test fails, saying so, when mount is refused): `pub --outbox --count 50000` stops
 * with DISK_FULL and the number stored; the read-only commands still answer; the alert rule
 * `database.unwritable` fires (or, when even that cannot be stored, a notice says so); once space
 * returns every stored message is delivered exactly once.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { provision } from '../../main/nats/topology/provisioning';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestCore } from '../harness/core';
import { storedCount, waitForStream } from '../harness/exactly-once';
import { usePrivateCli } from '../harness/private-cli';
import { useNatsServer } from '../harness/server-and-core';
import { tempDir, waitFor } from '../harness/temp';
import { bridgeDurableFor } from '../harness/bridge-durables';

const mounts: string[] = [];

/** A tmpfs of `size` at a fresh directory; throws with the reason when mounting is not permitted. */
function mountTmpfs(size: string): string {
  const dir = tempDir('synos-full-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new Error(
      `this test needs a real small filesystem: "mount -t tmpfs -o size=${size} tmpfs ${dir}" failed (${(error as Error).message.trim()}); run the tests as root or in a container allowed to mount tmpfs`
    );
  }
  mounts.push(dir);
  return dir;
}

function resize(dir: string, size: string): void {
  execFileSync('mount', ['-o', `remount,size=${size}`, dir]);
}

/** Fills what is left of the filesystem with one file; returns its path. */
function fill(dir: string): string {
  const file = path.join(dir, 'filler');
  const fd = fs.openSync(file, 'w');
  try {
    // Big chunks first, then smaller ones: a 64 KiB write that does not fit leaves up to 64 KiB free,
    // room enough for SQLite to append a transaction or two to its WAL.
    for (const size of [64 * 1024, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size);
      try {
        for (;;) fs.writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

const server = useNatsServer();
const cli = usePrivateCli();

afterAll(async () => {
  for (const dir of mounts) {
    try {
      execFileSync('umount', [dir]);
    } catch {
      execFileSync('umount', ['-l', dir]);
    }
  }
});

describe('a full disk says so', () => {
  it('pub --outbox stops with DISK_FULL and the count; read-only commands answer; after freeing space each stored message is delivered once', async () => {
    const mount = mountTmpfs('3m');
    const data = path.join(mount, 'data');
    const subject = `health.full.${randomUUID().slice(0, 8)}`;
    const pub = cli.run(
      [
        '--data',
        data,
        'pub',
        subject,
        '{"n": {{count}}, "pad": "0123456789abcdef0123456789abcdef"}',
        '--outbox',
        '--count',
        '50000'
      ],
      {
        timeoutMs: 120_000
      }
    );
    expect(pub.code, pub.stderr).toBe(1);
    const said = /error: DISK_FULL: the disk holding (\S+) is full: stored (\d+) of 50000 messages in the outbox/.exec(
      pub.stderr
    );
    expect(said, pub.stderr).not.toBeNull();
    const stored = Number(said?.[2]);
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(50000);
    expect(pub.stderr).toMatch(/hint: Free space on that disk/);
    expect(pub.stderr).toContain(`--count ${50000 - stored}`);

    // Whatever the database still had room for, take the rest: nothing at all can be written now.
    const filler = fill(mount);
    const outbox = cli.run(['--data', data, 'outbox', '--json']);
    expect(outbox.code, outbox.stderr).toBe(0);
    expect((JSON.parse(outbox.stdout) as { counts: { pending: number } }).counts.pending).toBe(stored);
    for (const args of [['alerts'], ['recordings'], ['bench', 'history'], ['dlq', 'list']]) {
      const r = cli.run(['--data', data, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stderr).not.toMatch(/INTERNAL|unable to open/);
    }
    // A command that must write says DISK_FULL, not INTERNAL. (SQLite may still fit a row or two into
    // the WAL space a rolled-back transaction left allocated: those are stored and count as stored.)
    const more = cli.run(['--data', data, 'pub', subject, '{"more": {{count}}}', '--outbox', '--count', '5000']);
    expect(more.code, `${more.stdout}${more.stderr}`).toBe(1);
    const moreSaid = /DISK_FULL: .*stored (\d+) of 5000 messages/.exec(more.stderr);
    expect(moreSaid, more.stderr).not.toBeNull();
    const storedMore = Number(moreSaid?.[1]);
    expect(storedMore).toBeLessThan(5000);

    // Space returns: a core on the directory delivers the stored messages, each exactly once.
    fs.rmSync(filler);
    resize(mount, '64m');
    const delivered = cli.run(
      [
        '--data',
        data,
        '--nats',
        server.url,
        'pub',
        subject,
        '{"n": "last"}',
        '--outbox',
        '--wait',
        '--wait-timeout',
        '120s',
        '--json'
      ],
      { timeoutMs: 180_000 }
    );
    expect(delivered.code, delivered.stderr).toBe(0);
    await waitForStream(server.url, 'HEALTH_METRICS');
    const after = JSON.parse(cli.run(['--data', data, 'outbox', '--json']).stdout) as {
      counts: { pending: number; retrying: number; completed: number; dead: number };
    };
    // (completed also counts the alerts this core published about the backlog, hence at least.)
    expect(after.counts).toMatchObject({ pending: 0, retrying: 0, dead: 0 });
    expect(after.counts.completed).toBeGreaterThanOrEqual(stored + storedMore + 1);
    const nc = await connect({ servers: server.url });
    try {
      expect(await storedCount(nc, 'HEALTH_METRICS', subject)).toBe(stored + storedMore + 1);
    } finally {
      await nc.close();
    }
  });

  it('a disk filled by something else: read-only commands answer from a read-only copy, writes say DISK_FULL', () => {
    const mount = mountTmpfs('3m');
    const data = path.join(mount, 'data');
    const first = cli.run(['--data', data, 'pub', 'health.full.copy', 'x', '--outbox', '--count', '3']);
    expect(first.code, first.stderr).toBe(0);
    // Closed cleanly, the WAL was checkpointed away: opening now needs a -shm file there is no room for.
    expect(fs.existsSync(path.join(data, 'synos.db-wal'))).toBe(false);
    fill(mount);
    const outbox = cli.run(['--data', data, 'outbox', '--json']);
    expect(outbox.code, outbox.stderr).toBe(0);
    expect((JSON.parse(outbox.stdout) as { counts: { pending: number } }).counts.pending).toBe(3);
    expect(outbox.stderr).toMatch(/the disk is full: the database is open read-only/);
    const alerts = cli.run(['--data', data, 'alerts']);
    expect(alerts.code, alerts.stderr).toBe(0);
    const write = cli.run(['--data', data, 'pub', 'health.full.copy', 'x', '--outbox']);
    expect(write.code).toBe(1);
    expect(write.stderr).toMatch(/DISK_FULL/);
    // Through the API too: a procedure that writes answers DISK_FULL, not INTERNAL.
    const emergency = cli.run(['--data', data, 'breakers', 'open']);
    expect(emergency.code).toBe(1);
    expect(emergency.stderr).toMatch(/error: DISK_FULL: .*resilience\.emergency needs to write/);
  });

  it('the database.unwritable alert rule reports a running core whose disk fills up', async () => {
    const mount = mountTmpfs('8m');
    const dataDir = path.join(mount, 'data');
    fs.mkdirSync(dataDir);
    fs.writeFileSync(path.join(dataDir, 'config.json'), JSON.stringify({ alerts: { evaluateIntervalMs: 200 } }));
    const core = createTestCore({ dataDir });
    await core.start();
    try {
      const before = await core.api.invoke('alerts.list', { state: 'active' });
      expect(before.alerts.filter((a) => a.rule === 'database.unwritable')).toEqual([]);
      const filler = fill(mount);
      // Either the alert fits (stored and active) or even it cannot be stored: then a notice says so.
      const seen = await waitFor(
        async () => {
          const notices = await core.api.invoke('system.notices', {});
          const notice = notices.find((n) => n.code === 'database.unwritable');
          if (notice) return notice.message;
          const { alerts } = await core.api.invoke('alerts.list', { state: 'active' });
          return alerts.find((a) => a.rule === 'database.unwritable' && a.state === 'firing')?.message ?? null;
        },
        { timeoutMs: 30_000, message: 'database.unwritable alert or notice' }
      ).catch(async (error: unknown) => {
        fs.rmSync(filler);
        throw error;
      });
      expect(seen).toMatch(/cannot be written/);
      fs.rmSync(filler);
      // With space back the rule sees a writable database and nothing stays firing.
      await waitFor(
        async () => {
          const { alerts } = await core.api.invoke('alerts.list', { state: 'active' });
          return !alerts.some((a) => a.rule === 'database.unwritable');
        },
        { timeoutMs: 30_000, message: 'database.unwritable resolved' }
      );
    } finally {
      await core.stop();
    }
  });

  it('a running bridge whose disk fills pauses consumption instead of nak-looping, and resumes once a write succeeds: every decision once', async () => {
    const mount = mountTmpfs('8m');
    const dataDir = path.join(mount, 'data');
    fs.mkdirSync(dataDir);
    const nc = await connect({ servers: server.url });
    await provision(nc);
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const run = randomUUID().slice(0, 8);
    const fast = { active: true, tickIntervalMs: 50, nakBaseDelayMs: 100, nakMaxDelayMs: 400 };
    const core = createTestCore({ servers: [server.url], dataDir, bridge: fast });
    let filler: string | null = null;
    const send = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i++) {
        const body = JSON.stringify({
          specversion: '1.0',
          id: `${run}-${i}`,
          source: 'test/disk-full',
          type: 'service.health.update',
          time: new Date().toISOString(),
          datacontenttype: 'application/json',
          data: { service: `full-${run}-${i}`, status: 'unhealthy' }
        });
        await js.publish('orchestrator.service.health', new TextEncoder().encode(body));
      }
    };
    try {
      await core.start();
      await core.api.invoke('connection.connect', {});
      const bridge = core.app.engine.bridge;
      await waitFor(async () => (await core.api.invoke('bridge.status', {})).consumers.every((c) => c.bound), {
        timeoutMs: 20_000,
        message: 'all inbound consumers bound'
      });
      await send(0, 5);
      await waitFor(async () => (await decisionsFor(jsm, run)).size === 5, { message: 'the first 5 decisions' });

      filler = fill(mount);
      await send(5, 25);
      await waitFor(() => bridge.databasePause().paused && bridge.databasePause().failedProbes >= 3, {
        timeoutMs: 30_000,
        message: 'consumption paused, three write probes failed'
      });
      const deliveredAtPause = (
        await jsm.consumers.info('ORCHESTRATOR_EVENTS', bridgeDurableFor('orchestrator.service.health'))
      ).delivered.consumer_seq;
      // With the old nak loop (100–400 ms back-off) ten more probes' time would have used up max_deliver.
      await waitFor(() => bridge.databasePause().failedProbes >= 10, { timeoutMs: 30_000, message: 'ten probes' });
      const paused = await jsm.consumers.info('ORCHESTRATOR_EVENTS', bridgeDurableFor('orchestrator.service.health'));
      expect(paused.delivered.consumer_seq, 'nothing delivered while paused').toBe(deliveredAtPause);
      expect((await core.api.invoke('bridge.status', {})).consumers.every((c) => !c.bound)).toBe(true);

      fs.rmSync(filler);
      filler = null;
      // Messages handed to a pull that was closing at the pause come back after ack_wait (30 s).
      const decisions = await waitFor(
        async () => {
          const found = await decisionsFor(jsm, run);
          return found.size === 25 ? found : null;
        },
        { timeoutMs: 60_000, message: 'a decision for each of the 25 services' }
      );
      expect(
        [...decisions.values()].every((n) => n === 1),
        'each decision stored once'
      ).toBe(true);
      expect(bridge.databasePause().paused).toBe(false);
      const after = await jsm.consumers.info('ORCHESTRATOR_EVENTS', bridgeDurableFor('orchestrator.service.health'));
      expect(after.num_redelivered).toBeLessThan(25);
    } finally {
      if (filler) fs.rmSync(filler);
      await core.stop();
      await nc.close();
    }
  });
});

/** Decisions stored for this run's services: target → how many. */
async function decisionsFor(jsm: JetStreamManager, run: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const info = await jsm.streams.info('CONSCIOUSNESS_EVENTS', { subjects_filter: 'consciousness.decision_made' });
  if (info.state.messages === 0) return out;
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage('CONSCIOUSNESS_EVENTS', { seq }).catch(() => null);
    if (!m || m.subject !== 'consciousness.decision_made') continue;
    const target = (m.json() as { data: { target?: string } }).data.target ?? '';
    if (target.startsWith(`full-${run}-`)) out.set(target, (out.get(target) ?? 0) + 1);
  }
  return out;
}
