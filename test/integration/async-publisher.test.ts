import { jetstream, jetstreamManager, JetStreamApiError } from '@nats-io/jetstream';
import { connect, NoRespondersError, TimeoutError, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncJetStreamPublisher } from '../../main/nats/messages/async-publisher';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';

let server: NatsServerHandle;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'APUB', subjects: ['apub.>'], duplicate_window: 60_000_000_000 });
  await jsm.streams.add({ name: 'APUB_SMALL', subjects: ['apubsmall.>'], max_msg_size: 16 });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describe('AsyncJetStreamPublisher', () => {
  it('returns each PubAck, deduplicates by Nats-Msg-Id and carries the headers', async () => {
    const publisher = new AsyncJetStreamPublisher(nc, { timeoutMs: 5000 });
    const acks = await Promise.all(
      Array.from({ length: 2000 }, (_, i) =>
        publisher.publish('apub.many', new TextEncoder().encode(`m${i}`), {
          msgID: `many-${i}`,
          headers: { 'X-N': String(i) }
        })
      )
    );
    expect(new Set(acks.map((a) => a.seq)).size).toBe(2000);
    expect(acks.every((a) => a.stream === 'APUB' && !a.duplicate)).toBe(true);
    const again = await publisher.publish('apub.many', new TextEncoder().encode('m7'), { msgID: 'many-7' });
    expect(again).toMatchObject({ stream: 'APUB', seq: acks[7]?.seq, duplicate: true });
    expect(publisher.inFlight).toBe(0);

    const stored = await (await jetstreamManager(nc)).streams.getMessage('APUB', { seq: acks[42]!.seq });
    expect(stored?.header.get('Nats-Msg-Id')).toBe('many-42');
    expect(stored?.header.get('X-N')).toBe('42');
    expect(stored?.string()).toBe('m42');
    publisher.close();
  });

  it('agrees with js.publish on what is stored', async () => {
    const publisher = new AsyncJetStreamPublisher(nc);
    const ours = await publisher.publish('apub.same', new TextEncoder().encode('x'), { msgID: 'same-1' });
    const theirs = await jetstream(nc).publish('apub.same', new TextEncoder().encode('x'), { msgID: 'same-1' });
    expect(theirs).toMatchObject({ stream: ours.stream, seq: ours.seq, duplicate: true });
    publisher.close();
  });

  it('rejects with the client error classes: no stream, JetStream API error, timeout, closed', async () => {
    const publisher = new AsyncJetStreamPublisher(nc, { timeoutMs: 300 });
    await expect(publisher.publish('nostream.here', new Uint8Array(1))).rejects.toBeInstanceOf(NoRespondersError);

    const tooBig = publisher.publish('apubsmall.x', new Uint8Array(64), { msgID: 'big' });
    await expect(tooBig).rejects.toBeInstanceOf(JetStreamApiError);
    await expect(tooBig).rejects.toThrow(/size/i);

    // A core subscriber that never answers: no 503, no PubAck — only the timeout.
    const silent = nc.subscribe('silent.subject');
    const started = Date.now();
    await expect(publisher.publish('silent.subject', new Uint8Array(1))).rejects.toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    silent.unsubscribe();

    const other = await connect({ servers: server.url });
    const onOther = new AsyncJetStreamPublisher(other, { timeoutMs: 10_000 });
    const silent2 = nc.subscribe('silent.other');
    await nc.flush();
    const pending = onOther.publish('silent.other', new Uint8Array(1));
    await other.close();
    await expect(pending).rejects.toThrow(/closed/i);
    await expect(onOther.publish('apub.after', new Uint8Array(1))).rejects.toThrow(/closed/i);
    expect(onOther.closed).toBe(true);
    expect(publisher.closed).toBe(false);
    silent2.unsubscribe();
    publisher.close();
  });

  it('fails fast with the permissions error when the user may not subscribe to its reply inbox', async () => {
    const restricted = await startNatsServer({
      config: `authorization { users = [ { user: pubonly, password: s3cret, permissions: { publish: ">", subscribe: { deny: "_INBOX.>" } } } ] }`
    });
    const rc = await connect({ servers: restricted.url, user: 'pubonly', pass: 's3cret' });
    try {
      await (await jetstreamManager(nc)).streams.info('APUB'); // the main server is unaffected
      // A PubAck timeout longer than the test's own: only the permissions error can end this in time.
      const publisher = new AsyncJetStreamPublisher(rc, { timeoutMs: 600_000 });
      await expect(publisher.publish('apub.denied', new Uint8Array(1), { msgID: 'denied-1' })).rejects.toThrow(
        /permission/i
      );
      expect(publisher.closed).toBe(true);
    } finally {
      await rc.close();
      await restricted.stop();
    }
  });
});
