/**
 * The app's own messages: the heartbeat on `health.control_center` and the metrics summary on
 * `metrics.control_center` (subjects and intervals from the bridge settings), published through
 * the same publisher as the engine's outputs when connected.
 */
import type { MessageData, MessageType, Priority } from '../contract/messages';
import type { EngineSnapshot } from '../engine/engine';
import type { Logger } from '../core/logger';
import type { OutboundPublisher } from '../core/outbound';
import { APP_VERSION } from '../core/version';
import { plural } from '../contract/text';
import type { OutputBuilder } from './outputs';
import type { BridgeStats } from './stats';
import type { BridgeOptions } from './options';

const encoder = new TextEncoder();

export interface OwnMessagesDeps {
  options: BridgeOptions;
  publisher: OutboundPublisher;
  outputs: OutputBuilder;
  stats: BridgeStats;
  logger: Logger;
  startedAt: number;
  connected: () => boolean;
}

export class OwnMessages {
  lastHeartbeatAt: number | null = null;
  lastMetricsAt: number | null = null;

  constructor(private readonly deps: OwnMessagesDeps) {}

  /** Publishes one of the app's own messages (heartbeat, summary) when connected. */
  private async publish(subject: string, type: MessageType, data: unknown, priority: Priority): Promise<boolean> {
    if (!this.deps.connected()) return false;
    const publisher = this.deps.publisher;
    const env = this.deps.outputs.envelope(type, data, this.deps.options.clock(), priority);
    try {
      await publisher.publish({ id: env.id, subject, payload: encoder.encode(JSON.stringify(env)), priority });
      return true;
    } catch (error) {
      this.deps.logger.warn(`publishing on ${subject} failed`, { error });
      return false;
    }
  }

  /** `unbound`: inbound durables this core should read and does not (0 on a standby). */
  async heartbeat(unbound: number): Promise<void> {
    const { options, startedAt } = this.deps;
    const now = options.clock();
    const data: MessageData<'health.heartbeat'> = {
      service: 'control_center',
      instance: options.instance,
      status: unbound === 0 ? 'healthy' : 'degraded',
      version: APP_VERSION,
      uptime_s: Math.max(0, Math.round((now - startedAt) / 1000))
    };
    if (unbound > 0) data.detail = `${plural(unbound, 'inbound consumer')} not bound`;
    if (await this.publish(options.heartbeatSubject, 'health.heartbeat', data, 'low')) this.lastHeartbeatAt = now;
  }

  async metricsSummary(snapshot: (now: number) => EngineSnapshot): Promise<void> {
    const { options } = this.deps;
    const now = options.clock();
    const data = this.deps.stats.summary(now, snapshot(now), options.instance);
    if (await this.publish(options.metricsSubject, 'metrics.summary', data, 'low')) this.lastMetricsAt = now;
  }
}
