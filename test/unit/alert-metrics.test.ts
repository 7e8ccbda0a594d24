import { describe, expect, it } from 'vitest';
import { MetricsRegistry, streamUsageRatio } from '../../main/monitoring/metrics';

function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('MetricsRegistry (the numbers the alert rules and the Metrics view read)', () => {
  it('counts per message and renders cumulative histograms with +Inf, _sum and _count', async () => {
    let now = 1_000_000;
    const m = new MetricsRegistry({ defaultMetrics: false, now: () => now });
    for (const s of [0.0004, 0.003, 0.003, 0.2, 20]) m.recordPublish('A', s);
    m.recordReceived('A', 3);
    m.recordReceived('A');
    m.recordInvalid('not_json', 'A');
    m.recordInvalid('not_json', 'A');
    m.recordInvalid('invalid_data');
    m.recordPublish('A', -1); // nonsense is ignored
    const text = await m.text();
    expect(sample(text, 'synos_messages_published_total{stream="A"}')).toBe(5);
    expect(sample(text, 'synos_messages_received_total{stream="A"}')).toBe(4);
    expect(sample(text, 'synos_messages_invalid_total{stream="A",reason="not_json"}')).toBe(2);
    expect(sample(text, 'synos_messages_invalid_total{stream="unknown",reason="invalid_data"}')).toBe(1);
    expect(sample(text, 'synos_publish_duration_seconds_bucket{stream="A",le="0.0005"}')).toBe(1);
    expect(sample(text, 'synos_publish_duration_seconds_bucket{stream="A",le="0.005"}')).toBe(3);
    expect(sample(text, 'synos_publish_duration_seconds_bucket{stream="A",le="10"}')).toBe(4);
    expect(sample(text, 'synos_publish_duration_seconds_bucket{stream="A",le="+Inf"}')).toBe(5);
    expect(sample(text, 'synos_publish_duration_seconds_count{stream="A"}')).toBe(5);
    expect(sample(text, 'synos_publish_duration_seconds_sum{stream="A"}')).toBeCloseTo(20.2064);
    expect(text).toContain('# TYPE synos_publish_duration_seconds histogram');
    // counts handed over at one scrape are not counted again at the next
    m.recordReceived('A');
    expect(sample(await m.text(), 'synos_messages_received_total{stream="A"}')).toBe(5);
    expect(m.totals()).toMatchObject({ published: 5, received: 5, invalid: 3 });

    expect(m.publishLatency(60_000)).toMatchObject({ p50: 0.003, p99: 20, samples: 5 });
    expect(m.publishLatency(60_000, 10).p99).toBeNull();
    now += 61_000;
    expect(m.publishLatency(60_000)).toEqual({ p50: null, p99: null, samples: 0 });
  });

  it('replaces sampled gauges as a whole, so a deleted consumer disappears', async () => {
    const m = new MetricsRegistry({ defaultMetrics: false });
    m.setConsumers([
      { stream: 'S', consumer: 'a', pending: 5, ackPending: 1 },
      { stream: 'S', consumer: 'b', pending: 7, ackPending: 0 }
    ]);
    m.setConsumers([{ stream: 'S', consumer: 'b', pending: 8, ackPending: 0 }]);
    m.setConnection('reconnecting');
    const text = await m.text();
    expect(text).not.toContain('consumer="a"');
    expect(sample(text, 'synos_consumer_pending_messages{stream="S",consumer="b"}')).toBe(8);
    expect(sample(text, 'synos_nats_connected')).toBe(0);
    expect(sample(text, 'synos_nats_connection_state{state="reconnecting"}')).toBe(1);
    expect(streamUsageRatio({ messages: 5, bytes: 900, maxMsgs: 10, maxBytes: 1000 })).toBe(0.9);
    expect(streamUsageRatio({ messages: 5, bytes: 900, maxMsgs: -1, maxBytes: 0 })).toBe(0);
  });
});
