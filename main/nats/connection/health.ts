/**
 * What the connected server is and how it answers: its INFO as the status shows it, the periodic
 * round-trip probe of the live connection, and the one-off trial connection behind profiles.test.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ProfileTestResult, ServerInfo } from '../../contract';
import { buildConnectOptions, type ConnectTarget } from './connect-options';
import { classifyNatsError } from './errors';

export function toServerInfo(nc: NatsConnection): ServerInfo | null {
  const info = nc.info;
  if (!info) return null;
  const out: ServerInfo = {
    server_id: info.server_id,
    server_name: info.server_name,
    version: info.version,
    host: info.host,
    port: info.port,
    jetstream: Boolean(info.jetstream),
    max_payload: info.max_payload
  };
  if (info.cluster) out.cluster = info.cluster;
  if (typeof info.proto === 'number') out.proto = info.proto;
  return out;
}

/** A round trip in milliseconds, to two decimals. */
function roundRttMs(rtt: number): number {
  return Math.round(rtt * 100) / 100;
}

/**
 * Pings a connection now and then every `intervalMs` while `shouldMeasure` holds; `report` gets each
 * round trip. A failed ping is left to the connection's own status (it shows up as a disconnect).
 */
export class RttProbe {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly intervalMs: number) {}

  start(nc: NatsConnection, shouldMeasure: () => boolean, report: (rttMs: number) => void): void {
    this.stop();
    const measure = async (): Promise<void> => {
      if (!shouldMeasure()) return;
      try {
        report(roundRttMs(await nc.rtt()));
      } catch {
        // a failed ping shows up as a disconnect status; nothing to do here
      }
    };
    void measure();
    this.timer = setInterval(() => void measure(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/**
 * Tries a target on a connection of its own that never reconnects, bounded by timeoutMs even if
 * the server accepts the socket and then says nothing. Never throws: failures are classified.
 */
export async function testConnection(
  target: ConnectTarget,
  options: { timeoutMs: number; name: string }
): Promise<ProfileTestResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round((performance.now() - started) * 10) / 10;
  const failure = (error: unknown): ProfileTestResult => {
    const { hint, ...shape } = classifyNatsError(error, target.servers, { tls: Boolean(target.tls) });
    return {
      ok: false,
      server: null,
      serverInfo: null,
      rttMs: null,
      durationMs: elapsed(),
      error: shape,
      hint: hint || null
    };
  };
  let attempt: ReturnType<typeof connect>;
  try {
    const opts = buildConnectOptions(
      { name: options.name, connectTimeoutMs: options.timeoutMs, auth: target.auth, tls: target.tls },
      target.servers
    );
    attempt = connect({ ...opts, reconnect: false, maxReconnectAttempts: 0, timeout: options.timeoutMs });
  } catch (error) {
    return failure(error);
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs + 500);
  });
  try {
    const nc = await Promise.race([attempt, deadline]);
    if (nc === 'timeout') {
      // The attempt may still succeed later; close that connection instead of leaking it.
      void attempt.then((late) => late.close()).catch(() => undefined);
      return failure(Object.assign(new Error(`no answer within ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }
    try {
      const rtt = await Promise.race([nc.rtt(), deadline]);
      return {
        ok: true,
        server: nc.getServer(),
        serverInfo: toServerInfo(nc),
        rttMs: rtt === 'timeout' ? null : roundRttMs(rtt),
        durationMs: elapsed(),
        error: null,
        hint: null
      };
    } finally {
      await nc.close().catch(() => undefined);
    }
  } catch (error) {
    return failure(error);
  } finally {
    clearTimeout(timer);
  }
}
