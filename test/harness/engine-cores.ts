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
import { freePort } from '../../main/nats/embedded/embedded';
import { CLI, assertCliBuilt, runCliSync } from './cli';
import { tempDir } from './temp';

export interface CoreProcess {
  child: ChildProcess;
  pid: number;
  dataDir: string;
  metricsPort: number;
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
  const metricsPort = await freePort();
  const args = [CLI, 'run', '--data', dataDir, '--metrics-port', String(metricsPort)];
  for (const s of servers) args.push('--nats', s);
  if (options.role) args.push('--engine-role', options.role);
  const child = spawn(process.execPath, args, {
    env: { ...process.env, NATS_URL: '' },
    stdio: ['ignore', 'ignore', 'pipe']
  });
  started.add(child);
  child.once('exit', () => started.delete(child));
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  return { child, pid: child.pid!, dataDir, metricsPort, stderr: () => stderr };
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
    const res = await fetch(`http://127.0.0.1:${core.metricsPort}/metrics`);
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
