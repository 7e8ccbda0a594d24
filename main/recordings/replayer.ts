/**
 * Replays recorded messages into a NATS connection: subjects rewritten by the rules, as fast as
 * possible (`speed: null`) or at the recorded pace × speed, with progress reports. Core NATS
 * publishes, flushed every few thousand messages so memory stays flat; a subject a stream captures
 * is stored there as usual.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { ContractError } from '../contract';
import { recordToHeaders } from './capture';
import { mapSubject, type RecordedMessage, type SubjectRule } from './format';

export interface ReplayProgress {
  sent: number;
  total: number;
  bytes: number;
  elapsedMs: number;
  /** Messages per second so far. */
  rate: number;
  done: boolean;
}

export interface ReplayOptions {
  /** null: as fast as possible; else recorded gaps are divided by this. */
  speed: number | null;
  rules?: readonly SubjectRule[];
  total: number;
  onProgress?: (progress: ReplayProgress) => void;
  /** How often progress is reported. */
  progressMs?: number;
  signal?: AbortSignal;
}

const FLUSH_EVERY = 2000;

export async function replayMessages(
  nc: NatsConnection,
  messages: Iterable<RecordedMessage> | AsyncIterable<RecordedMessage>,
  options: ReplayOptions
): Promise<ReplayProgress> {
  const started = performance.now();
  const rules = options.rules ?? [];
  const progressMs = options.progressMs ?? 250;
  let sent = 0;
  let bytes = 0;
  let lastReport = 0;
  let firstTime: number | null = null;
  const progress = (done: boolean): ReplayProgress => {
    const elapsedMs = performance.now() - started;
    return {
      sent,
      total: options.total,
      bytes,
      elapsedMs: Math.round(elapsedMs),
      rate: elapsedMs > 0 ? Math.round((sent / elapsedMs) * 1000) : 0,
      done
    };
  };
  for await (const m of messages) {
    if (options.signal?.aborted)
      throw new ContractError('CANCELLED', `replay cancelled after ${sent} of ${options.total} messages`);
    if (options.speed !== null) {
      firstTime ??= m.time;
      const due = (m.time - firstTime) / options.speed;
      const wait = due - (performance.now() - started);
      if (wait > 2) {
        await nc.flush();
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    const headers = recordToHeaders(m.headers);
    nc.publish(mapSubject(m.subject, rules), m.payload, headers ? { headers } : undefined);
    sent++;
    bytes += m.payload.length;
    if (sent % FLUSH_EVERY === 0) await nc.flush();
    const now = performance.now();
    if (options.onProgress && now - lastReport >= progressMs) {
      lastReport = now;
      options.onProgress(progress(false));
    }
  }
  await nc.flush();
  const final = progress(true);
  options.onProgress?.(final);
  return final;
}
