/**
 * One connected client (a renderer window, a browser tab, a test): forwards calls to the core,
 * handles `events.subscribe` / `events.unsubscribe` itself, and owns the client's event queue.
 * Every transport wraps one of these per client, so they all behave the same.
 */
import { randomUUID } from 'node:crypto';
import { procedures, toErrorShape, type CallResult, type EventBatch, type EventChannel } from '../contract';
import type { CallContext } from '../api/router';
import { describeIssues } from '../core/config';
import type { CoreApi } from '../api/core-api';
import { EventQueue } from './event-queue';

export class ClientSession {
  readonly id = randomUUID();
  private readonly subscriptions = new Map<EventChannel, () => void>();
  private readonly queue: EventQueue;
  private readonly abort = new AbortController();

  constructor(
    private readonly api: CoreApi,
    private readonly transport: CallContext['transport'],
    send: (batch: EventBatch) => void,
    flushIntervalMs?: number,
    canSend?: () => boolean
  ) {
    this.queue = new EventQueue(send, flushIntervalMs, canSend);
  }

  async handle(id: number, method: string, input: unknown): Promise<CallResult> {
    try {
      if (method === 'events.subscribe' || method === 'events.unsubscribe') {
        const parsed = procedures[method].input.safeParse(input ?? {});
        if (!parsed.success) {
          return {
            kind: 'result',
            id,
            ok: false,
            error: {
              code: 'INVALID_INPUT',
              message: `invalid input for ${method}: ${describeIssues(parsed.error.issues)}`
            }
          };
        }
        if (method === 'events.subscribe') {
          for (const channel of parsed.data.channels) this.subscribe(channel);
        } else {
          for (const channel of parsed.data.channels) this.unsubscribe(channel);
        }
        return { kind: 'result', id, ok: true, value: { channels: [...this.subscriptions.keys()] } };
      }
      const outcome = await this.api.call(method, input, {
        transport: this.transport,
        signal: this.abort.signal,
        sessionId: this.id
      });
      return outcome.ok
        ? { kind: 'result', id, ok: true, value: outcome.value }
        : { kind: 'result', id, ok: false, error: outcome.error };
    } catch (error) {
      return { kind: 'result', id, ok: false, error: toErrorShape(error) };
    }
  }

  private subscribe(channel: EventChannel): void {
    if (this.subscriptions.has(channel)) return;
    this.subscriptions.set(
      channel,
      this.api.subscribe(channel, (payload) => this.queue.push(channel, payload), { sessionId: this.id })
    );
  }

  private unsubscribe(channel: EventChannel): void {
    this.subscriptions.get(channel)?.();
    this.subscriptions.delete(channel);
  }

  /** Tears down subscriptions and cancels in-flight work of this client. */
  close(): void {
    for (const off of this.subscriptions.values()) off();
    this.subscriptions.clear();
    this.queue.close();
    this.abort.abort();
  }
}
