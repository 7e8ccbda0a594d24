/**
 * A large recording import on a running `synos-cc serve` (hardening issue: a 280 MB file used to be
 * read whole, blocking the event loop 18 s at 1.2 GB RSS). While the import runs over the
 * WebSocket, /healthz is probed every 20 ms and the server's RSS sampled from /proc; the same probes
 * on the idle server, in the same run, are the baseline. Target: /healthz p99 < 100 ms, RSS bounded.
 *
 *   npm run bench:import
 *   npm run bench:import -- --mb 1024
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { connectWs } from '../harness/ws-client';
import { arg } from './args';
import { tempDir } from '../harness/temp';

const MB = arg('mb', 280);
const IDLE_MS = arg('idle-ms', 5000);
const CLI = path.resolve(process.cwd(), 'out/cli/synos-cc.mjs');

function writeRecording(file: string, bytes: number): number {
  const fd = fs.openSync(file, 'w', 0o600);
  let written = 0;
  let lines = 0;
  const payload = JSON.stringify({ kind: 'service_health', detail: 'x'.repeat(900) });
  const base = Date.parse('2026-01-01T00:00:00Z');
  while (written < bytes) {
    let chunk = '';
    for (let i = 0; i < 2000; i++, lines++) {
      chunk +=
        JSON.stringify({
          subject: `orchestrator.service.s${lines % 50}.health`,
          headers: { 'Nats-Msg-Id': [`m-${lines}`] },
          payload,
          encoding: 'utf8',
          time: new Date(base + lines).toISOString(),
          seq: lines + 1
        }) + '\n';
    }
    fs.writeSync(fd, chunk);
    written += Buffer.byteLength(chunk);
  }
  fs.closeSync(fd);
  return lines;
}

function rssKb(pid: number): { rss: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function probe(origin: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(`${origin}/healthz`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(performance.now() - started));
      })
      .on('error', reject);
  });
}

interface Window {
  latencies: number[];
  rssMaxKb: number;
}

/** Probes /healthz every 20 ms and samples RSS until `until` settles. */
async function observe(origin: string, pid: number, until: Promise<unknown>): Promise<Window> {
  const window: Window = { latencies: [], rssMaxKb: 0 };
  let done = false;
  void until.finally(() => (done = true));
  while (!done) {
    window.latencies.push(await probe(origin));
    window.rssMaxKb = Math.max(window.rssMaxKb, rssKb(pid).rss);
    await new Promise((r) => setTimeout(r, 20));
  }
  return window;
}

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function describe(label: string, w: Window): string {
  return `${label.padEnd(22)} probes ${String(w.latencies.length).padStart(5)}  p50 ${pct(w.latencies, 50).toFixed(1)} ms  p99 ${pct(w.latencies, 99).toFixed(1)} ms  max ${Math.max(...w.latencies).toFixed(1)} ms  RSS max ${(w.rssMaxKb / 1024).toFixed(0)} MB`;
}

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
  const data = tempDir('synos-import-bench-');
  try {
    fs.writeFileSync(
      path.join(data, 'config.json'),
      JSON.stringify({ embedded: { enabled: false }, recordings: { maxImportBytes: 4 * 1024 ** 3 } })
    );
    fs.mkdirSync(path.join(data, 'recordings'), { mode: 0o700 });
    const file = path.join(data, 'recordings', 'big.ndjson');
    const genStarted = performance.now();
    const lines = writeRecording(file, MB * 1024 * 1024);
    const size = fs.statSync(file).size;
    console.log(
      `file: ${(size / 1024 ** 2).toFixed(0)} MB, ${lines.toLocaleString('en-US')} messages (written in ${((performance.now() - genStarted) / 1000).toFixed(1)} s); load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`
    );

    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--data', data, '--nats', 'nats://127.0.0.1:1', '--no-provision', '--log-level', 'error'],
      { env: { ...process.env, NATS_URL: '' }, stdio: ['ignore', 'pipe', 'inherit'] }
    );
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const line = out.split('\n').find((l) => l.startsWith('http://'));
        if (line) resolve(line.trim());
      });
      child.once('exit', (code) => reject(new Error(`serve exited (${code})`)));
    });
    const parsed = new URL(url);
    const ws = await connectWs(parsed.origin, parsed.searchParams.get('token') ?? '');
    try {
      const idle = await observe(parsed.origin, child.pid!, new Promise((r) => setTimeout(r, IDLE_MS)));
      const before = rssKb(child.pid!);
      const started = performance.now();
      let outcome: Awaited<ReturnType<typeof ws.call>> | null = null;
      const importing = ws.call('recordings.import', { file: 'big.ndjson' }).then((o) => (outcome = o));
      const busy = await observe(parsed.origin, child.pid!, importing);
      const seconds = (performance.now() - started) / 1000;
      const after = rssKb(child.pid!);
      const result = outcome as Awaited<ReturnType<typeof ws.call>> | null;
      if (!result?.ok) throw new Error(`import failed: ${JSON.stringify(result)}`);
      const count = (result.value as { messageCount: number }).messageCount;
      console.log(
        `import: ${count.toLocaleString('en-US')} messages in ${seconds.toFixed(1)} s (${(size / 1024 ** 2 / seconds).toFixed(1)} MB/s, two passes: check, then store)`
      );
      console.log(describe('idle serve (baseline)', idle));
      console.log(describe('during the import', busy));
      console.log(
        `healthz p99 during / idle: ${(pct(busy.latencies, 99) / pct(idle.latencies, 99)).toFixed(1)}×  (target: p99 < 100 ms → ${pct(busy.latencies, 99) < 100 ? 'met' : 'NOT met'})`
      );
      console.log(
        `RSS: ${(before.rss / 1024).toFixed(0)} MB before, peak ${(after.hwm / 1024).toFixed(0)} MB (VmHWM; ${(after.hwm / before.rss).toFixed(2)}× the idle RSS, file ${(size / 1024 ** 2).toFixed(0)} MB)`
      );
    } finally {
      ws.close();
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
    agent.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
