/**
 * `synos-cc run` (a full core with every module) and `synos-cc simulate` (runSimulation, the
 * command's engine) against a real nats-server: attention follows the failing service, and the
 * orchestrator side receives decisions and learning events on their subjects, with acks.
 */
import { spawn } from 'node:child_process';
import { jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { runSimulation, type SimulationEvent } from '../../main/cli/commands/simulate';
import { CLI, assertCliBuilt, runCliSync } from '../harness/cli';
import { createTestCore } from '../harness/core';
import { useServerAndClient } from '../harness/server-and-core';
import { tempDir, waitFor } from '../harness/temp';
import { bridgeInboundDurables } from '../harness/bridge-durables';

describe('simulate against a running core', () => {
  const env = useServerAndClient();

  it('attention follows the failing service; decisions and learning reach the orchestrator', async () => {
    // autoConnect on, all modules: what `synos-cc run` starts
    const core = createTestCore({ servers: [env.server.url], autoConnect: true });
    await core.start();
    try {
      await waitFor(async () => (await core.api.invoke('bridge.status', {})).consumers.every((c) => c.bound), {
        timeoutMs: 30_000,
        message: 'the bridge bound its consumers'
      });
      const events: SimulationEvent[] = [];
      let failing: string | null = null;
      const simulation = runSimulation(
        env.nc,
        {
          rate: 40,
          durationS: 12,
          services: 5,
          incidentEveryS: 10,
          firstIncidentAfterMs: 1000,
          consume: true,
          provision: true,
          seed: 3
        },
        (e) => {
          events.push(e);
          if (e.kind === 'incident' && e.text.includes('degrading')) failing = e.target ?? null;
        }
      );
      const focused = await waitFor(
        async () => {
          if (!failing) return null;
          const state = await core.api.invoke('engine.state', {});
          // The focus may sit on that service by chance before its failure reaches the engine: wait
          // for the failure's weight too (the failing service carries close to full attention).
          const weight = state.attention.find((a) => a.target === failing)?.weight ?? 0;
          return state.state.focus === failing && weight > 0.5 ? state : null;
        },
        { timeoutMs: 15_000, message: 'the engine to focus on the failing service with most of its attention' }
      );
      expect(focused.attention.find((a) => a.target === failing)?.weight).toBeGreaterThan(0.5);
      const report = await simulation;

      expect(failing).not.toBeNull();
      const seen = events.filter((e) => e.kind === 'seen');
      const decision = seen.find(
        (e) =>
          e.subject === 'orchestrator.consciousness.decision' &&
          (e.envelope?.data as { target?: string }).target === failing
      );
      expect(decision?.envelope?.data).toMatchObject({ kind: 'service_unhealthy' });
      expect(decision?.text).toMatch(/^decision: \w+ for /);
      const learning = seen.find(
        (e) =>
          e.subject === 'orchestrator.consciousness.learning' &&
          (e.envelope?.data as { kind: string; problem_kind?: string }).problem_kind === 'service_unhealthy'
      );
      expect(learning?.envelope?.data).toMatchObject({ kind: 'strategy', success: true });
      expect(
        seen.some(
          (e) =>
            e.subject === 'orchestrator.consciousness.attention' && (e.envelope?.data as { to: string }).to === failing
        )
      ).toBe(true);
      expect(seen.some((e) => e.subject === 'orchestrator.consciousness.state')).toBe(true);

      expect(report.publishFailures).toBe(0);
      expect(report.published).toBeGreaterThan(300);
      expect(report.invalidSeen).toBe(0);
      expect(report.consumed).toBe(seen.length);
      // the core rejected none of the simulator's traffic
      const invalid = await core.api.invoke('bridge.invalidMessages', {});
      expect(invalid.total).toBe(0);
      // the orchestrator durable acked everything it got
      const jsm = await jetstreamManager(env.nc);
      const info = await jsm.consumers.info('ORCHESTRATOR_EVENTS', 'orchestrator_service');
      expect(info.num_ack_pending).toBe(0);
    } finally {
      await core.stop();
    }
  });

  it('the real `synos-cc run` and `synos-cc simulate` processes: decisions and learning reach the orchestrator', async () => {
    assertCliBuilt();
    const dataDir = tempDir();
    const run = spawn(process.execPath, [CLI, '--nats', env.server.url, '--data', dataDir, 'run'], {
      env: { ...process.env, NATS_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    let runLog = '';
    run.stderr.on('data', (c: Buffer) => (runLog += c.toString()));
    run.stdout.on('data', (c: Buffer) => (runLog += c.toString()));
    try {
      await waitFor(() => (runLog.match(/"msg":"consuming"/g) ?? []).length >= bridgeInboundDurables().length + 1, {
        timeoutMs: 30_000,
        message: `synos-cc run to bind its consumers:\n${runLog}`
      });
      // synchronous: `run` is its own process, so blocking this one costs nothing
      const sim = runCliSync(
        [
          '--nats',
          env.server.url,
          '--data',
          tempDir(),
          'simulate',
          '--duration',
          '8',
          '--rate',
          '20',
          '--services',
          '4',
          '--incident-every',
          '3',
          '--seed',
          '5',
          '--json'
        ],
        { timeoutMs: 60_000 }
      );
      expect(sim.code, sim.stderr).toBe(0);
      const lines = sim.stdout
        .trim()
        .split('\n')
        .map(
          (l) =>
            JSON.parse(l) as {
              kind: string;
              subject?: string;
              text?: string;
              envelope?: { data: Record<string, unknown> };
              published?: number;
              consumed?: number;
            }
        );
      const incident = lines.find((l) => l.kind === 'incident' && l.text?.includes('degrading'));
      expect(incident).toBeDefined();
      const seen = lines.filter((l) => l.kind === 'seen');
      expect(
        seen.some(
          (l) => l.subject === 'orchestrator.consciousness.decision' && l.envelope?.data.kind === 'service_unhealthy'
        )
      ).toBe(true);
      expect(
        seen.some(
          (l) =>
            l.subject === 'orchestrator.consciousness.learning' &&
            l.envelope?.data.kind === 'strategy' &&
            l.envelope.data.success === true
        )
      ).toBe(true);
      const report = lines.find((l) => l.kind === 'report');
      expect(report?.published).toBeGreaterThan(100);
      expect(report?.consumed).toBe(seen.length);
    } finally {
      const exited = new Promise<number | null>((resolve) => run.once('exit', (code) => resolve(code)));
      run.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
