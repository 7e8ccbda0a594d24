/**
 * What a standby or an observer shows while another core runs the engine: every engine output
 * (CONSCIOUSNESS_EVENTS) and every security event (SECURITY_EVENTS), read through ordered
 * consumers of its own — ephemeral, per instance, never the shared durables, which stay for the
 * leader and external services. Outputs of an older term than one already seen are dropped, so a
 * late message of a fenced leader never reaches the views.
 */
import { DeliverPolicy, jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ConsciousnessBridge } from '../bridge/bridge';
import { SECURITY_EVENT_TYPES, validateEnvelope } from '../contract/messages';
import type { Logger } from '../core/logger';
import type { LeadershipGate } from '../bridge/leadership-gate';
import type { ConnectionSource } from './lease';

export class ObserverFeed {
  private feeds: ConsumerMessages[] = [];
  private generation = 0;
  private highestEpoch = 0;
  readonly counts = { outputs: 0, security: 0, droppedStale: 0 };
  private unsubscribes: Array<() => void> = [];

  constructor(
    private readonly source: ConnectionSource & { onConnect(listener: (nc: NatsConnection) => void): () => void },
    private readonly gate: LeadershipGate,
    private readonly bridge: ConsciousnessBridge,
    private readonly logger: Logger
  ) {}

  start(): void {
    this.unsubscribes.push(
      this.gate.onChange(() => void this.follow()),
      this.source.onConnect(() => void this.follow())
    );
    void this.follow();
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribes) u();
    this.unsubscribes = [];
    this.generation++;
    await this.close();
  }

  private async close(): Promise<void> {
    const feeds = this.feeds;
    this.feeds = [];
    await Promise.all(feeds.map((f) => Promise.resolve(f.close()).catch(() => undefined)));
  }

  /** Reads while not leading; the leader has the real thing. */
  private async follow(): Promise<void> {
    const generation = ++this.generation;
    await this.close();
    const nc = this.source.connection();
    if (!nc || nc.isClosed() || this.gate.currentRole() === 'active') return;
    const js = jetstream(nc);
    try {
      const outputs = await js.consumers.get('CONSCIOUSNESS_EVENTS', {
        filter_subjects: 'consciousness.>',
        deliver_policy: DeliverPolicy.New
      });
      const security = await js.consumers.get('SECURITY_EVENTS', {
        filter_subjects: 'security.>',
        deliver_policy: DeliverPolicy.New
      });
      if (generation !== this.generation) return;
      this.feeds.push(
        await outputs.consume({
          callback: (m) => {
            const result = validateEnvelope(m.data, { maxBytes: this.bridge.options.maxMessageBytes });
            if (!result.ok) return;
            const epoch = result.envelope.synosepoch;
            if (epoch !== undefined) {
              if (epoch < this.highestEpoch) {
                this.counts.droppedStale++;
                return;
              }
              this.highestEpoch = epoch;
            }
            this.counts.outputs++;
            this.bridge.observeOutput(result.envelope, m.subject);
          }
        }),
        await security.consume({
          callback: (m) => {
            const result = validateEnvelope(m.data, {
              maxBytes: this.bridge.options.maxMessageBytes,
              allowedTypes: SECURITY_EVENT_TYPES,
              subject: m.subject
            });
            if (!result.ok) return;
            this.counts.security++;
            this.bridge.keepSecurityEvent(result.envelope, this.bridge.options.clock());
          }
        })
      );
      if (generation !== this.generation) await this.close();
    } catch (error) {
      this.logger.warn('cannot follow the active engine’s events yet (streams not provisioned?); trying again', {
        error
      });
      setTimeout(() => {
        if (generation === this.generation) void this.follow();
      }, 2000).unref();
    }
  }
}
