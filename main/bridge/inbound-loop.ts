/**
 * The bridge's binding loop: which inbound durables it reads (planned per server by
 * ./inbound-consumers.ts), binding each on a connection (retrying until it exists), and unbinding
 * them all. Every message of a bound durable goes to the bridge's handler; the loop decides only
 * when to read, never what a message means.
 */
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../core/logger';
import type { InboundConsumerSpec } from './inbound';
import { InboundPlanner } from './inbound-consumers';

/**
 * How long one pull of the inbound durables waits for messages. A pull still open at the server
 * when the bridge pauses for the database may yet be handed messages nobody reads (they return
 * only after ack_wait); messages nak'ed at the pause wait longer than this, so the pulls have
 * expired by the time they are redelivered.
 */
export const PULL_EXPIRES_MS = 5000;

export interface ConsumerState {
  spec: InboundConsumerSpec;
  bound: boolean;
  received: number;
  lastError: string | null;
  messages: ConsumerMessages | null;
}

export interface InboundLoopOptions {
  consumers: readonly InboundConsumerSpec[];
  pullBatch: number;
  bindRetryMs: number;
  logger: Logger;
  /** Called for every message of a bound durable. */
  handle: (msg: JsMsg, consumer: ConsumerState) => void;
  /** Whether this core may consume now (leading and not paused for the database). */
  mayConsume: () => boolean;
  /** Whether this core leads (planning the durables is the leader's job). */
  leading: () => boolean;
}

export class InboundLoop {
  consumers: ConsumerState[];
  /** Bumped whenever the bindings of a previous call are no longer wanted. */
  generation = 0;
  /** The inbound durables are wanted (see bind / stop in the bridge). */
  consuming = false;
  private readonly planner = new InboundPlanner();

  constructor(private readonly options: InboundLoopOptions) {
    this.consumers = options.consumers.map((spec) => ({
      spec,
      bound: false,
      received: 0,
      lastError: null,
      messages: null
    }));
  }

  /** Durables not bound now. */
  unboundCount(): number {
    return this.consumers.filter((c) => !c.bound).length;
  }

  setLastError(error: string | null): void {
    for (const c of this.consumers) c.lastError = error;
  }

  async unbind(): Promise<void> {
    await Promise.all(
      this.consumers.map(async (c) => {
        const messages = c.messages;
        c.messages = null;
        c.bound = false;
        if (messages) await Promise.resolve(messages.close()).catch(() => undefined);
      })
    );
  }

  /**
   * Unbinds, has the streams provisioned (when `provisioning` is given), plans the durables for
   * this server and binds each of them on `nc`; a later call or {@link unbind} supersedes it.
   */
  async bind(nc: NatsConnection, provisioning: { ensure(): Promise<unknown> } | null): Promise<void> {
    const generation = ++this.generation;
    await this.unbind();
    if (provisioning) {
      try {
        await provisioning.ensure();
      } catch (error) {
        this.options.logger.warn('provisioning failed; binding the consumers that exist', { error });
      }
    }
    if (!(await this.planConsumers(nc, generation))) return;
    await Promise.all(this.consumers.map((c) => this.bindConsumer(nc, c, generation)));
  }

  /** Picks the inbound durables for this server (handing over to the filtered one on ≥ 2.10). */
  private async planConsumers(nc: NatsConnection, generation: number): Promise<boolean> {
    const current = (): boolean =>
      generation === this.generation && !nc.isClosed() && this.consuming && this.options.leading();
    const plan = await this.planner.plan(nc, this.options.consumers, {
      stillLeading: current,
      logger: this.options.logger,
      retryMs: this.options.bindRetryMs
    });
    if (!plan || !current()) return false;
    const before = new Map(this.consumers.map((c) => [c.spec.durable, c]));
    this.consumers = plan.consumers.map((spec) => ({
      spec,
      bound: false,
      received: before.get(spec.durable)?.received ?? 0,
      lastError: null,
      messages: null
    }));
    return true;
  }

  private async bindConsumer(nc: NatsConnection, c: ConsumerState, generation: number): Promise<void> {
    const js = jetstream(nc);
    const { logger } = this.options;
    let warned = false;
    while (generation === this.generation && !nc.isClosed() && this.consuming && this.options.mayConsume()) {
      try {
        const consumer = await js.consumers.get(c.spec.stream, c.spec.durable);
        const messages = await consumer.consume({
          max_messages: this.options.pullBatch,
          expires: PULL_EXPIRES_MS,
          callback: (m) => this.options.handle(m, c)
        });
        if (generation !== this.generation) {
          await Promise.resolve(messages.close()).catch(() => undefined);
          return;
        }
        c.messages = messages;
        c.bound = true;
        c.lastError = null;
        logger.info('consuming', { stream: c.spec.stream, durable: c.spec.durable });
        void messages.closed().then((error) => {
          if (c.messages !== messages) return;
          c.bound = false;
          c.messages = null;
          if (error) c.lastError = error instanceof Error ? error.message : String(error);
          logger.warn('inbound consumer stopped', { durable: c.spec.durable, error: c.lastError });
        });
        return;
      } catch (error) {
        c.bound = false;
        c.lastError = error instanceof Error ? error.message : String(error);
        if (!warned) {
          warned = true;
          logger.warn(`cannot bind ${c.spec.stream}/${c.spec.durable} (run synos-cc provision); retrying`, {
            error: c.lastError
          });
        }
        await new Promise((r) => setTimeout(r, this.options.bindRetryMs).unref());
      }
    }
  }
}
