/**
 * Exactly-once checks for the durability tests: reads every message of a stream that matches a
 * subject filter (ordered consumer, no durable) and counts them by Nats-Msg-Id.
 */
import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

export interface DeliveryCount {
  /** Messages stored for the filter. */
  total: number;
  /** Distinct Nats-Msg-Id values among them. */
  unique: number;
  /** Ids stored more than once. */
  duplicated: string[];
  /** Expected ids not stored. */
  missing: string[];
}

/** Messages stored in `stream` under `filter`, from the stream's per-subject state. */
export async function storedCount(nc: NatsConnection, stream: string, filter: string): Promise<number> {
  const jsm = await jetstreamManager(nc, { timeout: 15_000 });
  // A cluster that just lost a node may time out an API call: ask again a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      const info = await jsm.streams.info(stream, { subjects_filter: filter });
      return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
    } catch (error) {
      if (attempt >= 4) throw error;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/**
 * Reads every message stored in `stream` under `filter` once (an ordered consumer, deleted
 * afterwards) and hands each to `visit`; returns how many there were.
 */
export async function readStored(
  nc: NatsConnection,
  stream: string,
  filter: string,
  visit: (m: JsMsg) => void
): Promise<number> {
  const total = await storedCount(nc, stream, filter);
  if (total === 0) return 0;
  const js = jetstream(nc, { timeout: 15_000 });
  // A cluster that just lost a node may time out creating the consumer: try again a few times.
  let consumer: Awaited<ReturnType<typeof js.consumers.get>> | null = null;
  for (let attempt = 1; !consumer; attempt++) {
    try {
      consumer = await js.consumers.get(stream, { filter_subjects: filter });
    } catch (error) {
      if (attempt >= 4) throw error;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  let read = 0;
  while (read < total) {
    const batch = await consumer.fetch({ max_messages: Math.min(10_000, total - read), expires: 5000 });
    let got = 0;
    for await (const m of batch) {
      visit(m);
      got++;
    }
    if (got === 0) throw new Error(`read ${read} of ${total} messages of ${stream} ${filter}, then nothing more`);
    read += got;
  }
  await consumer.delete().catch(() => undefined);
  return total;
}

export async function countByMsgId(
  nc: NatsConnection,
  stream: string,
  filter: string,
  expectedIds: Iterable<string>
): Promise<DeliveryCount> {
  const seen = new Map<string, number>();
  const total = await readStored(nc, stream, filter, (m) => {
    const id = m.headers?.get('Nats-Msg-Id') ?? `(no id, seq ${m.seq})`;
    seen.set(id, (seen.get(id) ?? 0) + 1);
  });
  const missing: string[] = [];
  for (const id of expectedIds) if (!seen.has(id)) missing.push(id);
  return {
    total,
    unique: seen.size,
    duplicated: [...seen].filter(([, n]) => n > 1).map(([id]) => id),
    missing
  };
}

export interface StoredDecision {
  msgId: string;
  /** `data.target` of the decision's envelope. */
  target: string;
}

/** Every decision stored in `stream` on `subject`: its Nats-Msg-Id and its target. */
export async function storedDecisions(nc: NatsConnection, stream: string, subject: string): Promise<StoredDecision[]> {
  const out: StoredDecision[] = [];
  await readStored(nc, stream, subject, (m) => {
    out.push({
      msgId: m.headers?.get('Nats-Msg-Id') ?? '',
      target: m.json<{ data: { target: string } }>().data.target
    });
  });
  return out;
}

/** `n` outbound messages with ids `<run>-<i>` on `<subjectPrefix>.<run>` (a subject of HEALTH_METRICS by default). */
export function outboundBatch(
  run: string,
  n: number,
  subjectPrefix = 'health.chaos'
): Array<{ id: string; subject: string; payload: Uint8Array; priority: 'normal' }> {
  return Array.from({ length: n }, (_, i) => ({
    id: `${run}-${i}`,
    subject: `${subjectPrefix}.${run}`,
    payload: new TextEncoder().encode(JSON.stringify({ run, i })),
    priority: 'normal' as const
  }));
}

/** Waits until the stream exists (the core provisions on connect). */
export async function waitForStream(servers: string | string[], stream: string, timeoutMs = 20_000): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const nc = await connect({ servers });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        // Inside the loop: a fresh cluster may not answer the JetStream API (account info) yet.
        const jsm = await jetstreamManager(nc);
        await jsm.streams.info(stream);
        return;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`stream ${stream} was not provisioned within ${timeoutMs} ms: ${String(error)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    await nc.close();
  }
}
