/**
 * Engine events as outbound messages: each is wrapped in a CloudEvents envelope, serialised and
 * encoded once, and becomes an outbox row on `consciousness.<type>` and one on its orchestrator
 * subject (the `bridge.outboundMapping` setting; null sends only the first), plus the record the
 * Engine view and the event bus get. An output's id (its Nats-Msg-Id) derives from the input that
 * caused it and the output's index, type and subject, so a second stepping of the same input
 * publishes copies JetStream drops as duplicates; time-driven outputs (ticks) get fresh ids.
 */
import type { EngineEventRecord } from '../contract/engine';
import type { EngineOutputType, Envelope, MessageType, Priority } from '../contract/messages';
import { derivedMessageId, newMessageId } from '../core/message-id';
import type { OutboundMessage } from '../core/outbound';
import type { EngineEvent } from '../engine/engine';
import type { InboundBatch } from './inbound-batch';
import { EPOCH_HEADER } from './leadership-gate';
import { iso } from './views';

const encoder = new TextEncoder();

/** The input an output was caused by: its inbox digest and its stream time. */
export interface OutputCause {
  digest: Buffer;
  time: number;
}

export interface OutputOptions {
  source: string;
  outboundMapping: Record<string, string | null>;
  /** Put before every output subject ('' in the product). */
  outputSubjectPrefix: string;
}

export class OutputBuilder {
  constructor(private readonly options: OutputOptions) {}

  envelope(
    type: MessageType,
    data: unknown,
    time: number,
    priority: Priority,
    correlationid?: string,
    id: string = newMessageId()
  ): Envelope {
    const env: Envelope = {
      specversion: '1.0',
      id,
      source: this.options.source,
      type,
      time: iso(time),
      datacontenttype: 'application/json',
      data,
      priority
    };
    if (correlationid !== undefined) env.correlationid = correlationid;
    return env;
  }

  /**
   * Appends the outbox rows and view records of `events` to the batch. `epoch` is the term's
   * fencing token (envelope extension `synosepoch`, header `Synos-Epoch`), null without a lease.
   * Returns whether a strategy was learned (the weights need saving).
   */
  collect(
    events: EngineEvent[],
    cause: OutputCause | null,
    epoch: number | null,
    batch: Pick<InboundBatch, 'outbound' | 'outputs'>
  ): boolean {
    let strategyLearned = false;
    const headers = epoch === null ? undefined : { [EPOCH_HEADER]: String(epoch) };
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as EngineEvent;
      const prefix = this.options.outputSubjectPrefix;
      const mapped = this.options.outboundMapping[event.type];
      const ownSubject = prefix + event.type;
      const forwardSubject = mapped ? prefix + mapped : null;
      const subjects = forwardSubject ? [ownSubject, forwardSubject] : [ownSubject];
      const idFor = (subject: string): string =>
        cause ? derivedMessageId(cause.digest, cause.time, `${i}\u0000${event.type}\u0000${subject}`) : newMessageId();
      const env = this.envelope(
        event.type,
        event.data,
        event.time,
        event.priority,
        event.correlationid,
        idFor(ownSubject)
      );
      if (epoch !== null) env.synosepoch = epoch;
      // Serialised and encoded once; the forward differs only in its id, the first "id" member.
      const text = JSON.stringify(env);
      const payload = encoder.encode(text);
      const own: OutboundMessage = { id: env.id, subject: ownSubject, payload, priority: event.priority };
      if (headers) own.headers = headers;
      batch.outbound.push(own);
      if (forwardSubject) {
        // Its own id: the copy lands in another stream, and the outbox keys rows by id. The id is
        // ASCII and everything before it too, so it is overwritten in a copy of the bytes.
        const copyId = idFor(forwardSubject);
        const at = text.indexOf(`"id":"${env.id}"`) + 6;
        let copy: Uint8Array;
        if (copyId.length === env.id.length && at >= 6 && /^[\x20-\x7e]*$/.test(text.slice(0, at))) {
          const bytes = Buffer.from(payload);
          bytes.write(copyId, at, 'latin1');
          copy = bytes;
        } else {
          copy = encoder.encode(text.replace(`"id":"${env.id}"`, `"id":"${copyId}"`));
        }
        const forward: OutboundMessage = {
          id: copyId,
          subject: forwardSubject,
          payload: copy,
          priority: event.priority
        };
        if (headers) forward.headers = headers;
        batch.outbound.push(forward);
      }
      const record = {
        id: env.id,
        type: event.type,
        time: env.time,
        priority: event.priority,
        subjects,
        data: event.data
      } as EngineEventRecord;
      if (event.correlationid !== undefined) record.correlationid = event.correlationid;
      if (event.type === 'consciousness.learning_event' && (event.data as { kind: string }).kind === 'strategy')
        strategyLearned = true;
      batch.outputs.push({ bus: { event, envelope: env, type: event.type as EngineOutputType, subjects, record } });
    }
    return strategyLearned;
  }
}
