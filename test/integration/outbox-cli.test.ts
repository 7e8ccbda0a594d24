/**
 * The durability CLI as an operator runs it: `pub --outbox [--wait]`, `outbox`, `dlq`, `breakers`.
 */
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { storedCount, waitForStream } from '../harness/exactly-once';
import { usePrivateCli } from '../harness/private-cli';
import { useNatsServer } from '../harness/server-and-core';
import { tempDir } from '../harness/temp';

const server = useNatsServer();
const cli = usePrivateCli();

describe('durability CLI', () => {
  it('pub --outbox stores durably without NATS; pub --outbox --wait delivers everything exactly once', async () => {
    const data = tempDir();
    const run = randomUUID().slice(0, 8);
    const subject = `health.cli.${run}`;
    // No server given and none needed: the messages only go to the outbox.
    const stored = cli.run(['--data', data, 'pub', subject, '{"n": {{count}}}', '--outbox', '--count', '200']);
    expect(stored.stderr).toBe('');
    expect(stored.code).toBe(0);
    expect(stored.stdout).toMatch(/Stored 200 messages/);
    const stats = JSON.parse(cli.run(['--data', data, 'outbox', '--json']).stdout) as {
      counts: { pending: number };
      oldestUndeliveredAgeMs: number | null;
    };
    expect(stats.counts.pending).toBe(200);
    expect(stats.oldestUndeliveredAgeMs).not.toBeNull();

    const usage = cli.run(['--data', data, 'pub', subject, 'x', '--wait']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--wait needs --outbox/);

    const delivered = cli.run([
      '--data',
      data,
      '--nats',
      server.url,
      'pub',
      subject,
      '{"n": "last"}',
      '--outbox',
      '--wait',
      '--json'
    ]);
    expect(delivered.code, delivered.stderr).toBe(0);
    expect(JSON.parse(delivered.stdout)).toMatchObject({ stored: 1, delivered: 1, waiting: 0 });
    await waitForStream(server.url, 'HEALTH_METRICS');
    const after = JSON.parse(cli.run(['--data', data, 'outbox', '--json']).stdout) as {
      counts: { pending: number; completed: number };
    };
    expect(after.counts).toMatchObject({ pending: 0, completed: 201 });
    const nc = await connect({ servers: server.url });
    try {
      expect(await storedCount(nc, 'HEALTH_METRICS', subject)).toBe(201);
    } finally {
      await nc.close();
    }
  });

  it('pub --outbox --wait says why a message is not delivered as soon as an attempt fails, and again when it gives up', () => {
    const data = tempDir();
    const subject = `nostream.cli.${randomUUID().slice(0, 8)}`;
    const args = [
      '--data',
      data,
      '--nats',
      server.url,
      'pub',
      subject,
      'x',
      '--outbox',
      '--wait',
      '--wait-timeout',
      '3s'
    ];
    const text = cli.run(args);
    expect(text.code).toBe(1);
    // The progress line (stderr is not a terminal here: one line per new reason) before the error.
    const lines = text.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^delivered 0 of 1; attempt \d+ failed, retrying .*no stream takes nostream\.cli\./);
    expect(text.stderr).toMatch(
      /error: TIMEOUT: 1 message not acknowledged within 3000 ms; the last attempt failed: .*no stream takes/
    );
    expect(text.stderr).toMatch(/hint: They stay in the outbox/);
    expect(text.stdout).toMatch(/^Delivered 0 of 1 message to JetStream/);

    const json = cli.run([...args, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      stored: 1,
      delivered: 0,
      waiting: 1,
      lastError: expect.stringMatching(/no stream takes/)
    });
    // Both messages stay in the outbox for a core (or a stream added later) to deliver.
    const stats = JSON.parse(cli.run(['--data', data, 'outbox', '--json']).stdout) as { counts: { retrying: number } };
    expect(stats.counts.retrying).toBe(2);
  });

  it('breakers open|release reach every process through the data directory; dlq needs a target', () => {
    const data = tempDir();
    expect(cli.run(['--data', data, 'breakers', 'open', '--reason', 'maintenance window']).code).toBe(0);
    const report = JSON.parse(cli.run(['--data', data, 'breakers', '--json']).stdout) as {
      emergency: { active: boolean; reason: string };
      breakers: Array<{ operation: string; state: string }>;
    };
    expect(report.emergency).toMatchObject({ active: true, reason: 'maintenance window' });
    expect(report.breakers.map((b) => `${b.operation}:${b.state}`)).toEqual([
      'connect:isolated',
      'publish:isolated',
      'subscribe:isolated',
      'jetstream-api:isolated'
    ]);
    expect(cli.run(['--data', data, 'breakers', 'release']).code).toBe(0);
    const released = JSON.parse(cli.run(['--data', data, 'breakers', '--json']).stdout) as {
      emergency: { active: boolean };
    };
    expect(released.emergency.active).toBe(false);

    const noTarget = cli.run(['--data', data, 'dlq', 'discard']);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toMatch(/--id ID .* or --all/);
  });
});
