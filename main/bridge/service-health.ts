/**
 * Service health heard on `health.>`: the heartbeats of every Syn_OS service (the Overview's list),
 * at most 1,000 services, the least recently heard dropped first. Other traffic there is not ours
 * to judge and is ignored.
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { validateEnvelope, type MessageData } from '../contract/messages';
import type { Logger } from '../core/logger';
import { iso } from './views';

interface ServiceHealthEntry {
  service: string;
  instance: string;
  status: string;
  version: string | null;
  uptimeS: number | null;
  detail: string | null;
  subject: string;
  lastSeen: number;
}

const MAX_SERVICES = 1000;

export class ServiceHealth {
  private readonly entries = new Map<string, ServiceHealthEntry>();
  /** Heartbeats heard per service since start (the system picture's msg/s of each service's heartbeat edge). */
  private readonly heard = new Map<string, number>();
  private sub: Subscription | null = null;

  constructor(
    private readonly clock: () => number,
    private readonly logger: Logger
  ) {}

  /** Listens on `nc` (a new connection replaces the old subscription). */
  subscribe(nc: NatsConnection): void {
    this.sub?.unsubscribe();
    try {
      this.sub = nc.subscribe('health.>', {
        callback: (error, msg) => {
          if (error) return;
          const result = validateEnvelope(msg.data, { allowedTypes: ['health.heartbeat'], maxBytes: 64 * 1024 });
          if (!result.ok) return;
          const d = result.envelope.data as MessageData<'health.heartbeat'>;
          const key = `${d.service}|${d.instance}`;
          if (this.heard.has(d.service) || this.heard.size < 10_000)
            this.heard.set(d.service, (this.heard.get(d.service) ?? 0) + 1);
          if (!this.entries.has(key) && this.entries.size >= MAX_SERVICES) {
            const oldest = [...this.entries.values()].sort((a, b) => a.lastSeen - b.lastSeen)[0];
            if (oldest) this.entries.delete(`${oldest.service}|${oldest.instance}`);
          }
          this.entries.set(key, {
            service: d.service,
            instance: d.instance,
            status: d.status,
            version: d.version ?? null,
            uptimeS: d.uptime_s,
            detail: d.detail ?? null,
            subject: msg.subject,
            lastSeen: this.clock()
          });
        }
      });
    } catch (error) {
      this.logger.warn('cannot subscribe to health.>', { error });
    }
  }

  /** Heartbeats heard per service since start (counters; rates are the reader's). */
  heartbeatCounts(): ReadonlyMap<string, number> {
    return this.heard;
  }

  unsubscribe(): void {
    this.sub?.unsubscribe();
    this.sub = null;
  }

  list(now: number, staleAfterMs: number) {
    return [...this.entries.values()]
      .sort((a, b) => a.service.localeCompare(b.service) || a.instance.localeCompare(b.instance))
      .map((h) => ({ ...h, lastSeen: iso(h.lastSeen), stale: now - h.lastSeen > staleAfterMs }));
  }
}
