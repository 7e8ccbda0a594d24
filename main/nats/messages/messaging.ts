/**
 * Publish and request/reply on core NATS for the operator (the UI's publish form, `synos-cc pub`
 * and `req`). Bodies are raw bytes or a Syn_OS CloudEvents envelope validated against its type's
 * schema before anything is sent; natscli's body templates (`{{.Count}}`, …) are honoured.
 */
import {
  NoRespondersError,
  RequestError,
  TimeoutError,
  headers as createHeaders,
  nuid,
  type MsgHdrs,
  type NatsConnection
} from '@nats-io/transport-node';
import { type z } from 'zod';
import {
  ContractError,
  type PublishInputSchema,
  type RequestInputSchema,
  type PublishResult,
  type RequestResult
} from '../../contract';
import { validateEnvelope } from '../../contract/messages';
import { jetstreamManager } from '@nats-io/jetstream';
import { requireFeature, type ConnectionManager, toNatsContractError } from '../connection';
import { toJetStreamError } from '../inspection';
import { headersOf, previewPayload } from './payload';
import { newMessageId } from '../../core/message-id';

export type ParsedPublishInput = z.output<typeof PublishInputSchema>;
export type ParsedRequestInput = z.output<typeof RequestInputSchema>;

/** Wait for the server to take what was written every this many messages, so memory stays flat. */
const FLUSH_EVERY = 10_000;
const MAX_IDS = 1000;
const TEMPLATE = /\{\{\s*\.?\s*(count|timestamp|time|unix|unixnano|id)\s*\}\}/gi;

/**
 * Fills natscli's templates: `{{count}}` / `{{.Count}}` (1-based message number), `{{.TimeStamp}}`
 * (RFC 3339), `{{.Unix}}`, `{{.UnixNano}}` and `{{.ID}}` (a unique id). Other text is left as is.
 */
export function renderTemplate(text: string, count: number, now: Date = new Date()): string {
  if (!text.includes('{{')) return text;
  return text.replace(TEMPLATE, (_whole, name: string) => {
    switch (name.toLowerCase()) {
      case 'count':
        return String(count);
      case 'timestamp':
      case 'time':
        return now.toISOString();
      case 'unix':
        return String(Math.floor(now.getTime() / 1000));
      case 'unixnano':
        return (BigInt(now.getTime()) * 1_000_000n).toString();
      default:
        return nuid.next();
    }
  });
}

function buildHeaders(
  input: Record<string, string | string[]> | undefined,
  fill: (text: string) => string,
  extra: Record<string, string> = {}
): MsgHdrs | undefined {
  const entries = Object.entries(input ?? {});
  if (entries.length === 0 && Object.keys(extra).length === 0) return undefined;
  const h = createHeaders();
  for (const [name, value] of entries) {
    for (const v of Array.isArray(value) ? value : [value]) h.append(name, fill(v));
  }
  for (const [name, value] of Object.entries(extra)) h.set(name, value);
  return h;
}

function bodyBytes(body: string, encoding: 'utf8' | 'base64'): Uint8Array {
  if (encoding === 'utf8') return new TextEncoder().encode(body);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body.replace(/\s+/g, ''))) {
    throw new ContractError('INVALID_INPUT', 'body is not valid base64');
  }
  return new Uint8Array(Buffer.from(body, 'base64'));
}

/** The Syn_OS envelope for one message, validated; INVALID_INPUT says what is wrong with the data. */
function envelopeFor(
  options: NonNullable<ParsedPublishInput['envelope']>,
  dataText: string,
  subject: string
): { bytes: Uint8Array; id: string } {
  let data: unknown;
  try {
    data = JSON.parse(dataText);
  } catch (error) {
    throw new ContractError(
      'INVALID_INPUT',
      `the body must be the JSON "data" of a ${options.type} event: ${(error as Error).message}`
    );
  }
  const envelope = {
    specversion: '1.0',
    id: newMessageId(),
    source: options.source,
    type: options.type,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data,
    ...(options.priority ? { priority: options.priority } : {}),
    ...(options.correlationid ? { correlationid: options.correlationid } : {})
  };
  const checked = validateEnvelope(envelope, { subject });
  if (!checked.ok) {
    throw new ContractError('INVALID_INPUT', `not a valid ${options.type} event: ${checked.message}`, {
      reason: checked.reason,
      issues: checked.issues
    });
  }
  return { bytes: new TextEncoder().encode(JSON.stringify(checked.envelope)), id: envelope.id };
}

/** Publish and request on the manager's current connection. */
export class MessagingService {
  constructor(private readonly nats: ConnectionManager) {}

  /** Publishes `count` messages (templates filled per message) and waits until the server has them. */
  async publish(input: ParsedPublishInput): Promise<PublishResult> {
    const nc = this.nats.requireConnection();
    const started = performance.now();
    const maxPayload = nc.info?.max_payload ?? Number.POSITIVE_INFINITY;
    const templated = input.templates && input.bodyEncoding === 'utf8';
    const staticBody = templated ? null : bodyBytes(input.body, input.bodyEncoding);
    const ids: string[] = [];
    let bytes = 0;
    const ttl = input.ttlMs !== undefined ? await this.ttlHeader(nc, input.subject, input.ttlMs) : null;
    try {
      for (let n = 1; n <= input.count; n++) {
        const fill = (text: string): string => (input.templates ? renderTemplate(text, n) : text);
        let payload = staticBody ?? bodyBytes(fill(input.body), 'utf8');
        let msgId: string | undefined;
        if (input.envelope) {
          const built = envelopeFor(input.envelope, new TextDecoder().decode(payload), input.subject);
          payload = built.bytes;
          msgId = built.id;
          if (ids.length < MAX_IDS) ids.push(built.id);
        }
        if (payload.length > maxPayload) {
          throw new ContractError(
            'INVALID_INPUT',
            `message ${n} is ${payload.length} bytes; the server accepts at most ${maxPayload} (max_payload)`
          );
        }
        // The envelope id doubles as Nats-Msg-Id so JetStream drops a re-publish (docs/architecture.md §2).
        const headers = buildHeaders(input.headers, fill, {
          ...(msgId ? { 'Nats-Msg-Id': msgId } : {}),
          ...(ttl ? { 'Nats-TTL': ttl } : {})
        });
        nc.publish(input.subject, payload, headers ? { headers } : undefined);
        bytes += payload.length;
        if (n % FLUSH_EVERY === 0) await nc.flush();
      }
      await nc.flush();
    } catch (error) {
      throw this.failure(error);
    }
    return {
      subject: input.subject,
      published: input.count,
      bytes,
      ids,
      durationMs: Math.round((performance.now() - started) * 10) / 10
    };
  }

  /** Sends one request and waits for the first reply: TIMEOUT, or NO_RESPONDERS when nobody listens. */
  async request(input: ParsedRequestInput): Promise<RequestResult> {
    const nc: NatsConnection = this.nats.requireConnection();
    const started = performance.now();
    const fill = (text: string): string => renderTemplate(text, 1);
    const payload =
      input.bodyEncoding === 'utf8' ? bodyBytes(fill(input.body), 'utf8') : bodyBytes(input.body, 'base64');
    const headers = buildHeaders(input.headers, fill);
    try {
      const reply = await nc.request(input.subject, payload, {
        timeout: input.timeoutMs,
        ...(headers ? { headers } : {})
      });
      return {
        subject: input.subject,
        reply: { ...previewPayload(reply.data, input.previewBytes), headers: headersOf(reply.headers) },
        durationMs: Math.round((performance.now() - started) * 10) / 10
      };
    } catch (error) {
      if (error instanceof NoRespondersError || (error instanceof RequestError && error.isNoResponders())) {
        throw new ContractError('NO_RESPONDERS', `no responders on ${input.subject}: nothing is subscribed there`, {
          hint: 'Start the service that answers on this subject, or check the subject spelling.'
        });
      }
      if (error instanceof TimeoutError || (error instanceof RequestError && error.cause instanceof TimeoutError)) {
        throw new ContractError('TIMEOUT', `no reply on ${input.subject} within ${input.timeoutMs} ms`, {
          hint: 'The responder is slow or busy: raise the timeout (Timeout in the Messages view, --timeout in the CLI), or check the service answering there.'
        });
      }
      throw this.failure(error);
    }
  }

  /**
   * The Nats-TTL value for a publish, after checking what a core publish cannot report back: the
   * server has per-message TTL (≥ 2.11), a stream stores the subject, and that stream allows it
   * (allow_msg_ttl); otherwise the stream would refuse the message with nobody to hear it.
   */
  private async ttlHeader(nc: NatsConnection, subject: string, ttlMs: number): Promise<string> {
    const what = `per-message TTL on ${subject}`;
    let jsm;
    let apiLevel: number | null = null;
    try {
      jsm = await jetstreamManager(nc, { checkAPI: false });
      const level = (await jsm.getAccountInfo()).api?.level;
      apiLevel = typeof level === 'number' ? level : null;
    } catch (error) {
      throw toJetStreamError(error, what, [nc.getServer()]);
    }
    requireFeature({ version: nc.info?.version ?? null, apiLevel }, 'messageTtl');
    let stream: string;
    try {
      stream = await jsm.streams.find(subject);
    } catch {
      throw new ContractError(
        'INVALID_INPUT',
        `${what}: no stream stores ${subject}, and a TTL only applies to stored messages`
      );
    }
    const info = await jsm.streams.info(stream).catch((error: unknown) => {
      throw toJetStreamError(error, what, [nc.getServer()]);
    });
    if ((info.config as { allow_msg_ttl?: boolean }).allow_msg_ttl !== true) {
      throw new ContractError(
        'INVALID_INPUT',
        `${what}: stream ${stream} does not allow per-message TTL; enable allow_msg_ttl on it (natscli: nats stream edit ${stream} --allow-msg-ttl) or publish without a TTL`,
        { stream }
      );
    }
    return `${Math.round(ttlMs / 1000)}s`;
  }

  private failure(error: unknown): ContractError {
    return toNatsContractError(error, this.nats.status().servers);
  }
}
