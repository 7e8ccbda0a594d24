/**
 * `pub --outbox`: turns a publish request (body, templates, optional Syn_OS envelope) into outbox
 * rows, written in one transaction. Each row gets a unique id — the envelope id when there is an
 * envelope — which becomes its Nats-Msg-Id, so delivery is exactly once inside the duplicate window.
 */
import { ContractError, isDiskFullError } from '../contract';
import { validateEnvelope } from '../contract/messages';
import type { MessagePriority, OutboundMessage } from '../core/outbound';
import { renderTemplate } from '../nats/messages';
import type { OutboxStore } from './outbox-store';
import { checkOutboundMessage } from './outbox-publisher';
import { newMessageId } from '../core/message-id';

/** The fields of a publish request the outbox needs (the CLI's `pub` options, parsed). */
export interface OutboxPublishRequest {
  subject: string;
  body: string;
  bodyEncoding: 'utf8' | 'base64';
  headers?: Record<string, string | string[]>;
  count: number;
  templates: boolean;
  envelope?: { type: string; source: string; priority?: MessagePriority; correlationid?: string };
  /** Row priority when there is no envelope priority. */
  priority?: MessagePriority;
}

export interface OutboxPublishResult {
  stored: number;
  /** Ids of the rows (= Nats-Msg-Id), in order. */
  ids: string[];
  bytes: number;
}

/** Rows are written in chunks of this many, each chunk one transaction. */
const CHUNK = 5000;

function bodyBytes(body: string, encoding: 'utf8' | 'base64'): Uint8Array {
  if (encoding === 'utf8') return new TextEncoder().encode(body);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body.replace(/\s+/g, ''))) {
    throw new ContractError('INVALID_INPUT', 'the body is not valid base64');
  }
  return new Uint8Array(Buffer.from(body, 'base64'));
}

/** Builds message number `n` (1-based). */
export function buildOutboxMessage(request: OutboxPublishRequest, n: number): OutboundMessage {
  const fill = (text: string): string =>
    request.templates && request.bodyEncoding === 'utf8' ? renderTemplate(text, n) : text;
  let payload = bodyBytes(fill(request.body), request.bodyEncoding);
  let id = newMessageId();
  let priority: MessagePriority = request.priority ?? 'normal';
  if (request.envelope) {
    let data: unknown;
    try {
      data = JSON.parse(new TextDecoder().decode(payload));
    } catch (error) {
      throw new ContractError(
        'INVALID_INPUT',
        `the body must be the JSON "data" of a ${request.envelope.type} event: ${(error as Error).message}`
      );
    }
    const envelope = {
      specversion: '1.0',
      id,
      source: request.envelope.source,
      type: request.envelope.type,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data,
      ...(request.envelope.priority ? { priority: request.envelope.priority } : {}),
      ...(request.envelope.correlationid ? { correlationid: request.envelope.correlationid } : {})
    };
    const checked = validateEnvelope(envelope, { subject: request.subject });
    if (!checked.ok) {
      throw new ContractError('INVALID_INPUT', `not a valid ${request.envelope.type} event: ${checked.message}`, {
        reason: checked.reason,
        issues: checked.issues
      });
    }
    payload = new TextEncoder().encode(JSON.stringify(checked.envelope));
    id = envelope.id;
    priority = request.envelope.priority ?? priority;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    // The outbox keeps one value per header name; several values are joined as HTTP does.
    headers[name] = (Array.isArray(value) ? value : [value]).map(fill).join(', ');
  }
  const message: OutboundMessage = { id, subject: request.subject, payload, priority };
  if (Object.keys(headers).length > 0) message.headers = headers;
  checkOutboundMessage(message);
  return message;
}

/**
 * Validates every message first (nothing is stored when one is bad), then writes them in
 * transactions of {@link CHUNK} rows. Returns once they are committed.
 */
export function enqueuePublish(
  store: OutboxStore,
  request: OutboxPublishRequest,
  where: { dataDir?: string } = {}
): OutboxPublishResult {
  const messages: OutboundMessage[] = [];
  for (let n = 1; n <= request.count; n++) messages.push(buildOutboxMessage(request, n));
  for (let i = 0; i < messages.length; i += CHUNK) {
    try {
      store.enqueue(messages.slice(i, i + CHUNK));
    } catch (error) {
      // A full disk (or a database opened read-only because of one) stops the run here: the
      // chunks committed so far stay and will be delivered; say how many, and what to do.
      const code = (error as { code?: unknown }).code;
      if (!isDiskFullError(error) && code !== 'SQLITE_READONLY') throw error;
      const dir = where.dataDir ?? 'the data directory';
      const rest = messages.length - i;
      throw new ContractError(
        'DISK_FULL',
        `the disk holding ${dir} is full: stored ${i} of ${messages.length} messages in the outbox (they will be delivered); the other ${rest} were not stored`,
        {
          stored: i,
          notStored: rest,
          storedIds: i > 0 ? [messages[0]?.id, messages[i - 1]?.id] : [],
          hint: `Free space on that disk (df -h ${dir}), or move the data directory with --data DIR; then publish the other ${rest} again (e.g. the same command with --count ${rest}). "synos-cc outbox" shows what is waiting; a core on this data directory delivers the stored ones.`
        },
        { cause: error }
      );
    }
  }
  return {
    stored: messages.length,
    ids: messages.map((m) => m.id),
    bytes: messages.reduce((sum, m) => sum + m.payload.length, 0)
  };
}
