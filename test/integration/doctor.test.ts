/**
 * `synos-cc doctor` against a real nats-server: every check passes on a provisioned server and a
 * private data directory; topology drift and a 0644 database give warn/fail lines with their fix
 * and exit 1; an unreachable server fails the server check. Credentials are never printed.
 */
import fs from 'node:fs';
import { startRunCore, stopCore } from '../harness/engine-cores';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { usePrivateCli } from '../harness/private-cli';
import { useNatsServer } from '../harness/server-and-core';
import { tempDir, waitFor } from '../harness/temp';

const PASSWORD = `doctor-pw-${process.pid}`;

interface Check {
  id: string;
  status: 'pass' | 'warn' | 'fail';
  summary: string;
  fix: string | null;
  details?: string[];
}

const server = useNatsServer({
  config: `authorization { users = [ { user: "ops", password: "${PASSWORD}" } ] }\n`
});
const cli = usePrivateCli();

describe('synos-cc doctor', () => {
  it('passes every check on a provisioned server; drift and a 0644 database warn/fail with the fix and exit 1', async () => {
    const data = tempDir();
    const url = `nats://ops:${PASSWORD}@${new URL(server.url).host}`;
    const provision = cli.run(['--data', data, '--nats', url, 'provision']);
    expect(provision.code, provision.stderr).toBe(0);

    const ok = cli.run(['--data', data, '--nats', url, 'doctor', '--json']);
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    const report = JSON.parse(ok.stdout) as { ok: boolean; checks: Check[] };
    expect(report.ok).toBe(true);
    const ids = report.checks.map((c) => c.id);
    for (const id of [
      'config',
      'files',
      'disk',
      'database',
      'server',
      'jetstream',
      'topology',
      'consumers',
      'outbox',
      'dead-letters',
      'clock',
      'credentials',
      'tls',
      'engine-lease'
    ]) {
      expect(ids, id).toContain(id);
    }
    // No core runs the engine yet: that is the one warning (nobody consumes or decides).
    expect(report.checks.filter((c) => c.status !== 'pass').map((c) => [c.id, c.status])).toEqual([
      ['engine-lease', 'warn']
    ]);
    const byId = new Map(report.checks.map((c) => [c.id, c]));
    expect(byId.get('server')?.summary).toMatch(/nats-server \d+\.\d+\.\d+/);
    expect(byId.get('jetstream')?.summary).toMatch(/enabled: \d+ streams/);
    expect(byId.get('clock')?.summary).toMatch(/by \d+ ms/);
    expect(byId.get('credentials')?.summary).toBe('user ops with a password');
    expect(ok.stdout + ok.stderr).not.toContain(PASSWORD);
    expect(report.checks.find((c) => c.id === 'engine-lease')?.summary).toMatch(/no core holds the engine lease/);

    // A core that runs the engine: doctor names the holder.
    const runner = await startRunCore([url], { ttlMs: 2000 });
    try {
      const held = await waitFor(
        () => {
          const r = cli.run(['--data', data, '--nats', url, 'doctor', '--json']);
          const lease = (JSON.parse(r.stdout) as { checks: Check[] }).checks.find((c) => c.id === 'engine-lease');
          return lease?.status === 'pass' ? lease : null;
        },
        { timeoutMs: 30_000, message: 'doctor to see the engine lease holder' }
      );
      expect(held.summary).toMatch(new RegExp(`pid ${runner.pid}\\b`));
    } finally {
      await stopCore(runner);
    }

    // Drift: a stream limit changed behind the app's back; and the database made world-readable.
    const nc = await connect({ servers: server.url, user: 'ops', pass: PASSWORD });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info('CONSCIOUSNESS_EVENTS');
      await jsm.streams.update('CONSCIOUSNESS_EVENTS', { ...info.config, max_msgs: info.config.max_msgs - 1 });
    } finally {
      await nc.close();
    }
    fs.chmodSync(path.join(data, 'synos.db'), 0o644);

    const bad = cli.run(['--data', data, '--nats', url, 'doctor']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^WARN {2}topology +drift: 1 of \d+ differ/m);
    expect(bad.stdout).toMatch(/CONSCIOUSNESS_EVENTS\.max_msgs: want \d+, have \d+/);
    expect(bad.stdout).toMatch(/fix: Run synos-cc provision/);
    expect(bad.stdout).toMatch(/^FAIL {2}files +readable by other users: synos\.db: 0644 \(want 0600\)/m);
    expect(bad.stdout).toContain(`fix: chmod 600 ${path.join(data, 'synos.db')}`);
    expect(bad.stderr).toMatch(/doctor: 1 check\(s\) failed: files/);
    expect(bad.stdout + bad.stderr).not.toContain(PASSWORD);

    // Unreachable: the server check fails with the reason and what to do.
    const down = cli.run(['--data', data, '--nats', 'nats://127.0.0.1:1', 'doctor', '--json']);
    expect(down.code).toBe(1);
    const downReport = JSON.parse(down.stdout) as { ok: boolean; checks: Check[] };
    expect(downReport.ok).toBe(false);
    expect(downReport.checks.find((c) => c.id === 'server')).toMatchObject({ status: 'fail' });
    expect(downReport.checks.find((c) => c.id === 'server')?.summary).toMatch(/NATS_UNREACHABLE/);
  });
});
