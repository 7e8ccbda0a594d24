/**
 * Several `synos-cc run` processes against one NATS system, as several workstations would run them:
 * each with its own data directory and /metrics port, started, killed (SIGKILL), stopped (SIGSTOP)
 * and continued like real processes. Plus readers for the lease status and the engine's outputs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { CLI, assertCliBuilt, runCliSync } from './cli';
import { tempDir } from './temp';

export interface CoreProcess {
  child: ChildProcess;
  pid: number;
  dataDir: string;
  /** Its /metrics address, once it serves it (the core picks a free port itself: `--metrics-port 0`). */
  metricsUrl: () => Promise<string>;
  stderr: () => string;
}

const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

/** Starts `synos-cc run` with a lease TTL of `ttlMs` (engine.leaseTtlMs in its config.json). */
export async function startRunCore(
  servers: string[],
  options: { ttlMs: number; role?: 'auto' | 'observer'; replicas?: number; engine?: Record<string, unknown> }
): Promise<CoreProcess> {
  assertCliBuilt();
  const dataDir = tempDir('synos-core-');
  const config = {
    engine: { ...options.engine, leaseTtlMs: options.ttlMs },
    ...(options.replicas ? { topology: { replicas: options.replicas } } : {})
  };
  fs.writeFileSync(path.join(dataDir, 'config.json'), JSON.stringify(config));
  // Port 0: the core binds a free port itself and logs its address. A port picked here and bound by
  // the core later can be taken in between by another test's socket, and the core then exits.
  const args = [CLI, 'run', '--data', dataDir, '--metrics-port', '0'];
  for (const s of servers) args.push('--nats', s);
  if (options.role) args.push('--engine-role', options.role);
  const child = spawn(process.execPath, args, {
    env: { ...process.env, NATS_URL: '' },
    stdio: ['ignore', 'ignore', 'pipe']
  });
  started.add(child);
  child.once('exit', () => started.delete(child));
  let stderr = '';
  let metricsUrl: string | null = null;
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
    metricsUrl ??= /serving Prometheus metrics at (http:\/\/[^\s"]+)/.exec(stderr)?.[1] ?? null;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const core: CoreProcess = {
    child,
    pid: child.pid!,
    dataDir,
    stderr: () => stderr,
    // Not `waitFor`, which would take a core's exit for "not yet" and report it only at its timeout.
    metricsUrl: async () => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        if (metricsUrl) return metricsUrl;
        if (child.exitCode !== null || child.signalCode !== null) aliveCores([core]);
        if (Date.now() > deadline) {
          throw new Error(
            `core ${child.pid} did not log its /metrics address within 20000 ms:\n${stderr.slice(-2000)}`
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  return core;
}

/**
 * The cores still running, first one first; none left is an error that says how each one ended and
 * the end of what it wrote on stderr (a core that exits at start-up otherwise shows up only as a
 * timeout of whatever waited for it).
 */
export function aliveCores(cores: CoreProcess[]): [CoreProcess, ...CoreProcess[]] {
  const alive = cores.filter((c) => c.child.exitCode === null && c.child.signalCode === null);
  if (alive.length > 0) return alive as [CoreProcess, ...CoreProcess[]];
  const ends = cores.map(
    (c) =>
      `core ${c.pid} exited (code ${c.child.exitCode}, signal ${c.child.signalCode}); its stderr ended with:\n` +
      c.stderr().slice(-2000)
  );
  throw new Error(`no core is running:\n${ends.join('\n')}`);
}

export async function stopCore(core: CoreProcess): Promise<void> {
  const c = core.child;
  if (c.exitCode !== null || c.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
    c.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    c.kill('SIGCONT');
    c.kill('SIGTERM');
  });
}

export async function kill9(core: CoreProcess): Promise<void> {
  const c = core.child;
  if (c.exitCode !== null || c.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  });
}

export interface EngineStatusJson {
  leader: { instance: string; host: string; pid: number; epoch: number; since: string } | null;
  instances: Array<{ instance: string; host: string; pid: number; role: string; last_seen: string }>;
}

/** `synos-cc engine status --json`, run with this core's data directory and servers. */
export function engineStatus(servers: string[], dataDir: string): EngineStatusJson {
  const args = ['engine', 'status', '--json', '--data', dataDir];
  for (const s of servers) args.push('--nats', s);
  const out = runCliSync(args, { timeoutMs: 30_000 });
  if (out.code !== 0) throw new Error(`engine status exited ${out.code}: ${out.stderr}`);
  return JSON.parse(out.stdout) as EngineStatusJson;
}

/** This process's own `synos_engine_leader` gauge, from its /metrics. */
export async function leaderGauge(core: CoreProcess): Promise<number | null> {
  try {
    const res = await fetch(await core.metricsUrl());
    const text = await res.text();
    const line = text.split('\n').find((l) => l.startsWith('synos_engine_leader '));
    return line ? Number(line.split(' ')[1]) : null;
  } catch {
    return null;
  }
}

export interface StoredOutput {
  seq: number;
  subject: string;
  epochHeader: string | undefined;
  envelope: { id: string; type: string; time: string; synosepoch?: number; data: Record<string, unknown> };
}

/** Every engine output in CONSCIOUSNESS_EVENTS (direct reads by sequence; no consumer left behind). */
export async function engineOutputs(nc: NatsConnection, filter = 'consciousness.>'): Promise<StoredOutput[]> {
  const jsm: JetStreamManager = await jetstreamManager(nc);
  const info = await jsm.streams.info('CONSCIOUSNESS_EVENTS');
  const out: StoredOutput[] = [];
  for (let s = info.state.first_seq; s <= info.state.last_seq && info.state.messages > 0; s++) {
    const m = await jsm.streams.getMessage('CONSCIOUSNESS_EVENTS', { seq: s }).catch(() => null);
    if (!m) continue;
    if (filter !== 'consciousness.>' && m.subject !== filter) continue;
    out.push({
      seq: m.seq,
      subject: m.subject,
      epochHeader: m.header?.get('Synos-Epoch') || undefined,
      envelope: m.json()
    });
  }
  return out;
}
