import { jetstream } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { useServerAndCore } from '../harness/server-and-core';
import { waitFor } from '../harness/temp';

const enc = new TextEncoder();

const decode = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');

describe('message browser against a real nats-server', () => {
  const env = useServerAndCore({ core: { overrides: { provision: false } } });

  it('browses a WorkQueue stream without consuming it or leaving consumers behind', async () => {
    // A work queue without allow_direct (read with STREAM.MSG.GET) and one with it (direct get).
    for (const [name, direct] of [
      ['WQ_PLAIN', false],
      ['WQ_DIRECT', true]
    ] as const) {
      const subject = name.toLowerCase();
      await env.jsm.streams.add({
        name,
        subjects: [`${subject}.>`],
        retention: 'workqueue' as never,
        allow_direct: direct
      });
      await env.jsm.consumers.add(name, { durable_name: 'worker', ack_policy: 'explicit' as never });
      const js = jetstream(env.nc);
      for (let i = 1; i <= 60; i++)
        await js.publish(`${subject}.${i % 3 === 0 ? 'b' : 'a'}`, enc.encode(JSON.stringify({ i })));
      const before = await env.jsm.consumers.info(name, 'worker');
      expect(before.num_pending).toBe(60);

      const first = await env.core.api.invoke('streams.browse', { stream: name, limit: 25 });
      expect(first.method).toBe(direct ? 'direct' : 'msg-get');
      expect(first.messages.map((m) => m.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      expect(first.nextSeq).toBe(26);
      const second = await env.core.api.invoke('streams.browse', {
        stream: name,
        from: { seq: first.nextSeq! },
        limit: 100
      });
      expect(second.messages.map((m) => m.seq)).toEqual(Array.from({ length: 35 }, (_, i) => i + 26));
      expect(second.nextSeq).toBeNull();

      const filtered = await env.core.api.invoke('streams.browse', {
        stream: name,
        subject: `${subject}.b`,
        limit: 100
      });
      expect(filtered.messages.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * 3));
      const wildcard = await env.core.api.invoke('streams.browse', {
        stream: name,
        subject: `${subject}.*`,
        from: { seq: 58 }
      });
      expect(wildcard.messages.map((m) => m.seq)).toEqual([58, 59, 60]);
      const last = await env.core.api.invoke('streams.browse', { stream: name, from: { last: 5 } });
      expect(last.messages.map((m) => m.seq)).toEqual([56, 57, 58, 59, 60]);
      const lastB = await env.core.api.invoke('streams.browse', {
        stream: name,
        from: { last: 4 },
        subject: `${subject}.b`
      });
      expect(lastB.messages.map((m) => m.seq)).toEqual([51, 54, 57, 60]);
      expect(JSON.parse(decode(lastB.messages[3]!.payloadBase64))).toEqual({ i: 60 });

      const after = await env.jsm.consumers.info(name, 'worker');
      const stream = await env.jsm.streams.info(name);
      expect(stream.state.messages).toBe(60);
      expect(after.num_pending).toBe(60);
      expect(after.num_ack_pending).toBe(0);
      expect(after.delivered.stream_seq).toBe(0);
      const consumers: string[] = [];
      for await (const c of env.jsm.consumers.list(name)) consumers.push(c.name);
      expect(consumers).toEqual(['worker']);
    }
  });

  it('does not disturb an Interest stream', async () => {
    await env.jsm.streams.add({
      name: 'INTEREST',
      subjects: ['interest.>'],
      retention: 'interest' as never,
      allow_direct: true
    });
    await env.jsm.consumers.add('INTEREST', { durable_name: 'listener', ack_policy: 'explicit' as never });
    const js = jetstream(env.nc);
    for (let i = 0; i < 10; i++) await js.publish('interest.x', enc.encode(`m${i}`));
    const page = await env.core.api.invoke('streams.browse', { stream: 'INTEREST', from: { last: 3 } });
    expect(page.messages.map((m) => decode(m.payloadBase64))).toEqual(['m7', 'm8', 'm9']);
    expect((await env.jsm.streams.info('INTEREST')).state.messages).toBe(10);
    expect((await env.jsm.consumers.info('INTEREST', 'listener')).num_pending).toBe(10);
    expect((await env.jsm.streams.info('INTEREST')).state.consumer_count).toBe(1);
  });

  it('pages from a time, over deleted messages, and shows formats, headers and truncation', async () => {
    // No allow_direct: unfiltered pages of this Limits stream use one ephemeral consumer each.
    await env.jsm.streams.add({ name: 'MIXED', subjects: ['mixed.>'], allow_direct: false });
    const js = jetstream(env.nc);
    for (let i = 0; i < 5; i++) await js.publish('mixed.early', enc.encode(`early ${i}`));
    await new Promise((r) => setTimeout(r, 30));
    const boundary = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 30));
    const h = headers();
    h.set('Nats-Msg-Id', 'evt-1');
    h.append('X-Tag', 'a');
    h.append('X-Tag', 'b');
    await js.publish('mixed.json', enc.encode('{"specversion":"1.0","id":"evt-1"}'), { headers: h }); // seq 6
    await js.publish('mixed.text', enc.encode('plain words')); // 7
    await js.publish('mixed.bin', new Uint8Array([0, 1, 2, 255])); // 8
    await js.publish('mixed.empty', new Uint8Array(0)); // 9
    const big = 'x'.repeat(20_000);
    await js.publish('mixed.big', enc.encode(JSON.stringify({ big }))); // 10
    await env.jsm.streams.deleteMessage('MIXED', 7);

    const fromTime = await env.core.api.invoke('streams.browse', { stream: 'MIXED', from: { time: boundary } });
    // Read with one ephemeral consumer per page, deleted right after (checked at the end).
    expect(fromTime.method).toBe('consumer');
    expect(fromTime.messages.map((m) => m.seq)).toEqual([6, 8, 9, 10]);
    const [json, bin, empty, large] = fromTime.messages;
    expect(json!.format).toBe('json');
    expect(json!.headers).toEqual({ 'Nats-Msg-Id': ['evt-1'], 'X-Tag': ['a', 'b'] });
    expect(bin!.format).toBe('binary');
    expect([...Buffer.from(bin!.payloadBase64, 'base64')]).toEqual([0, 1, 2, 255]);
    expect(bin!.headers).toBeNull();
    expect(empty!.format).toBe('empty');
    expect(large!.truncated).toBe(true);
    expect(large!.format).toBe('json');
    expect(Buffer.from(large!.payloadBase64, 'base64').length).toBe(8192);
    expect(large!.size).toBe(20_010);
    expect(Date.parse(large!.time)).toBeGreaterThan(Date.parse(boundary));

    const whole = await env.core.api.invoke('streams.message', { stream: 'MIXED', seq: 10 });
    expect(whole.truncated).toBe(false);
    expect(JSON.parse(decode(whole.payloadBase64))).toEqual({ big });
    const gone = await env.core.api.call('streams.message', { stream: 'MIXED', seq: 7 });
    expect(gone.ok ? null : gone.error.code).toBe('NOT_FOUND');

    const text = await env.core.api.invoke('streams.browse', {
      stream: 'MIXED',
      subject: 'mixed.early',
      from: { seq: 2 },
      limit: 2
    });
    expect(text.messages.map((m) => [m.seq, m.format, decode(m.payloadBase64)])).toEqual([
      [2, 'text', 'early 1'],
      [3, 'text', 'early 2']
    ]);
    expect(text.nextSeq).toBe(4);
    const future = await env.core.api.invoke('streams.browse', {
      stream: 'MIXED',
      from: { time: new Date(Date.now() + 60_000).toISOString() }
    });
    expect(future.messages).toEqual([]);
    const none = await env.core.api.invoke('streams.browse', {
      stream: 'MIXED',
      subject: 'nothing.here',
      from: { last: 10 }
    });
    expect(none.messages).toEqual([]);
    const noneFromSeq = await env.core.api.invoke('streams.browse', { stream: 'MIXED', subject: 'nothing.here' });
    expect(noneFromSeq.messages).toEqual([]);
    expect(noneFromSeq.nextSeq).toBeNull();
    expect((await env.jsm.streams.info('MIXED')).state.consumer_count).toBe(0);
  });

  it('pages sparse and dense filters exactly, from any start, forwards and from the end', async () => {
    // Made afresh, so a retry of this test pages the same 3,000 messages.
    await env.jsm.streams.delete('SPARSE').catch(() => undefined);
    await env.jsm.streams.add({ name: 'SPARSE', subjects: ['sp.>'], allow_direct: true });
    for (let i = 1; i <= 3000; i++) env.nc.publish(`sp.${i % 50}`, enc.encode(String(i)));
    await env.nc.flush();
    // The server has them once flushed, the stream a moment later (nats-server 2.15 answered a delete
    // of one not stored yet with "stream store EOF").
    await waitFor(async () => (await env.jsm.streams.info('SPARSE')).state.last_seq === 3000, {
      message: 'the 3,000 messages stored'
    });
    const seqsOf = (subject: (n: number) => boolean, from: number): number[] =>
      Array.from({ length: 3000 }, (_, i) => i + 1).filter((n) => n >= from && subject(n));
    await env.jsm.streams.deleteMessage('SPARSE', 1007); // a hole inside the sparse subject's matches
    const sp7 = (n: number): boolean => n % 50 === 7 && n !== 1007;
    // 42: the first read window ends exactly on a match (57), so nothing was read beyond it.
    for (const from of [1, 8, 42, 999, 2000, 2950]) {
      const page = await env.core.api.invoke('streams.browse', {
        stream: 'SPARSE',
        subject: 'sp.7',
        from: { seq: from },
        limit: 20
      });
      const want = seqsOf(sp7, from);
      expect(
        page.messages.map((m) => m.seq),
        `from ${from}`
      ).toEqual(want.slice(0, 20));
      if (want.length > 20) expect(page.nextSeq).toBe(want[19]! + 1);
      else expect(page.nextSeq === null || page.nextSeq === want.at(-1)! + 1).toBe(true);
    }
    const dense = await env.core.api.invoke('streams.browse', {
      stream: 'SPARSE',
      subject: 'sp.*',
      from: { seq: 1000 },
      limit: 50
    });
    expect(dense.messages.map((m) => m.seq)).toEqual(seqsOf((n) => n !== 1007, 1000).slice(0, 50));
    const lastSparse = await env.core.api.invoke('streams.browse', {
      stream: 'SPARSE',
      subject: 'sp.7',
      from: { last: 25 }
    });
    expect(lastSparse.messages.map((m) => m.seq)).toEqual(seqsOf(sp7, 1).slice(-25));
    // Walking a sparse subject page by page visits every match exactly once.
    const walked: number[] = [];
    let next: number | null = 1;
    while (next !== null) {
      const page: { messages: Array<{ seq: number }>; nextSeq: number | null } = await env.core.api.invoke(
        'streams.browse',
        {
          stream: 'SPARSE',
          subject: 'sp.7',
          from: { seq: next },
          limit: 7
        }
      );
      walked.push(...page.messages.map((m) => m.seq));
      next = page.nextSeq;
    }
    expect(walked).toEqual(seqsOf(sp7, 1));
  });

  it('rejects bad input and unknown streams with typed errors', async () => {
    const unknown = await env.core.api.call('streams.browse', { stream: 'NO_SUCH_STREAM' });
    expect(unknown.ok ? null : unknown.error.code).toBe('NOT_FOUND');
    const bad = await env.core.api.call('streams.browse', { stream: 'MIXED', from: { seq: 0 } });
    expect(bad.ok ? null : bad.error.code).toBe('INVALID_INPUT');
    const badTime = await env.core.api.call('streams.browse', { stream: 'MIXED', from: { time: 'yesterday' } });
    expect(badTime.ok ? null : badTime.error.code).toBe('INVALID_INPUT');
    const badName = await env.core.api.call('streams.browse', { stream: 'a.b' });
    expect(badName.ok ? null : badName.error.code).toBe('INVALID_INPUT');
  });
});
