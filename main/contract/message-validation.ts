/**
 * {@link validateEnvelope} turns raw bytes (or a parsed object) into a typed envelope, or into a
 * precise reason an operator can act on (counted by reason in the invalid-messages table).
 */
import { z } from 'zod';
import {
  EnvelopeSchema,
  MESSAGE_SCHEMAS,
  PrioritySchema,
  type Priority,
  type Envelope,
  type MessageData,
  type MessageType
} from './message-schemas';

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/** Why a message was rejected; the invalid-messages table counts by these. */
export const INVALID_REASONS = [
  'oversized',
  'binary',
  'not_json',
  'not_envelope',
  'unknown_type',
  'wrong_type',
  'invalid_data'
] as const;
export type InvalidReason = (typeof INVALID_REASONS)[number];
export const InvalidReasonSchema = z.enum(INVALID_REASONS);

export interface ValidationIssue {
  path: string;
  message: string;
}

export type EnvelopeValidation =
  | { ok: true; envelope: Envelope; type: MessageType }
  | { ok: false; reason: InvalidReason; message: string; issues: ValidationIssue[] };

export interface ValidateOptions {
  /** Largest accepted message in bytes (default {@link DEFAULT_MAX_MESSAGE_BYTES}). */
  maxBytes?: number;
  /** The envelope type the subject requires (inbound mapping); another type is `wrong_type`. */
  expectedType?: string;
  /** Types accepted (default: every type in {@link MESSAGE_SCHEMAS}). */
  allowedTypes?: readonly string[];
  /** Where the message came from, for the reason text. */
  subject?: string;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;

function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

function toIssues(issues: readonly z.core.$ZodIssue[], prefix: string[] = []): ValidationIssue[] {
  return issues.map((i) => ({ path: formatPath([...prefix, ...i.path]), message: i.message }));
}

function describe(issues: ValidationIssue[]): string {
  const shown = issues.slice(0, 5).map((i) => `${i.path}: ${i.message}`);
  if (issues.length > 5) shown.push(`… and ${issues.length - 5} more`);
  return shown.join('; ');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Control characters JSON text never contains outside strings (anything below 0x20 but tab, CR, LF). */
function hasBinaryControl(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return true;
  }
  return false;
}

const PRIORITIES = new Set<string>(PrioritySchema.options);
/** A strict subset of what z.iso.datetime({ offset: true }) accepts; anything else goes to zod. */
const FAST_ISO =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

function isText(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= max;
}

/**
 * The common case without zod's per-object overhead: a well-formed envelope. Returns null when
 * anything is unusual, and the zod schema then decides (and explains).
 */
function fastEnvelope(v: Record<string, unknown>): Envelope | null {
  if (v.specversion !== '1.0' || v.datacontenttype !== 'application/json') return null;
  if (!isText(v.id, 200) || !isText(v.source, 500) || !isText(v.type, 200)) return null;
  if (typeof v.time !== 'string' || !FAST_ISO.test(v.time)) return null;
  if (v.priority !== undefined && !(typeof v.priority === 'string' && PRIORITIES.has(v.priority))) return null;
  if (v.correlationid !== undefined && !isText(v.correlationid, 200)) return null;
  if (v.synosepoch !== undefined && !(Number.isSafeInteger(v.synosepoch) && (v.synosepoch as number) >= 0)) return null;
  const env: Envelope = {
    specversion: '1.0',
    id: v.id,
    source: v.source,
    type: v.type,
    time: v.time,
    datacontenttype: 'application/json',
    data: v.data
  };
  if (v.priority !== undefined) env.priority = v.priority as Priority;
  if (v.correlationid !== undefined) env.correlationid = v.correlationid as string;
  if (v.synosepoch !== undefined) env.synosepoch = v.synosepoch as number;
  return env;
}

function fail(reason: InvalidReason, message: string, issues: ValidationIssue[] = []): EnvelopeValidation {
  return { ok: false, reason, message, issues };
}

/**
 * Checks a message end to end: size, text, JSON, envelope, type, and `data` against its schema.
 * Accepts the raw bytes from NATS, a string, or an already parsed object. Never throws.
 */
export function validateEnvelope(
  input: Uint8Array | string | unknown,
  options: ValidateOptions = {}
): EnvelopeValidation {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const where = options.subject ? ` on ${options.subject}` : '';
  let value: unknown = input;
  if (input instanceof Uint8Array || typeof input === 'string') {
    let text: string;
    if (input instanceof Uint8Array) {
      if (input.length > maxBytes) {
        return fail('oversized', `message${where} is ${input.length} bytes, more than the ${maxBytes}-byte limit`);
      }
      if (input.length === 0) return fail('not_json', `message${where} is empty; expected a JSON CloudEvents envelope`);
      try {
        text = strictUtf8.decode(input);
      } catch {
        return fail('binary', `message${where} is not valid UTF-8; expected UTF-8 JSON text`);
      }
    } else {
      text = input;
      // String length is in UTF-16 units; it is a lower bound of the UTF-8 size, good enough for a limit.
      if (text.length > maxBytes) {
        return fail(
          'oversized',
          `message${where} is at least ${text.length} bytes, more than the ${maxBytes}-byte limit`
        );
      }
    }
    try {
      value = JSON.parse(text);
    } catch (error) {
      // JSON never holds raw control bytes (other than whitespace), so checking only on failure is enough.
      if (input instanceof Uint8Array && hasBinaryControl(input)) {
        return fail('binary', `message${where} contains binary control bytes; expected UTF-8 JSON text`);
      }
      const detail = error instanceof Error ? error.message : String(error);
      return fail('not_json', `message${where} is not JSON (${detail})`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    return fail('not_envelope', `message${where} is ${kind}, not a CloudEvents envelope object`);
  }
  let env = fastEnvelope(value as Record<string, unknown>);
  if (env === null) {
    const envelope = EnvelopeSchema.safeParse(value);
    if (!envelope.success) {
      const issues = toIssues(envelope.error.issues);
      return fail('not_envelope', `message${where} is not a CloudEvents 1.0 envelope: ${describe(issues)}`, issues);
    }
    env = envelope.data as Envelope;
  }
  const type = env.type;
  if (options.expectedType !== undefined && type !== options.expectedType) {
    return fail('wrong_type', `message${where} has type "${type}", but this subject carries "${options.expectedType}"`);
  }
  const allowed = options.allowedTypes;
  if (!Object.prototype.hasOwnProperty.call(MESSAGE_SCHEMAS, type) || (allowed && !allowed.includes(type))) {
    return fail('unknown_type', `message${where} has type "${type}", which is not a known Syn_OS event type here`);
  }
  const schema = MESSAGE_SCHEMAS[type as MessageType] as z.ZodType;
  const data = schema.safeParse(env.data);
  if (!data.success) {
    const issues = toIssues(data.error.issues, ['data']);
    return fail('invalid_data', `${type}${where}: ${describe(issues)}`, issues);
  }
  env.data = data.data;
  return { ok: true, envelope: env, type: type as MessageType };
}

/** Parses one type's data; the engine uses it for inputs handed to it directly. */
export function parseMessageData<T extends MessageType>(
  type: T,
  data: unknown
): { ok: true; data: MessageData<T> } | { ok: false; message: string } {
  const parsed = (MESSAGE_SCHEMAS[type] as z.ZodType).safeParse(data);
  if (parsed.success) return { ok: true, data: parsed.data as MessageData<T> };
  return { ok: false, message: `${type}: ${describe(toIssues(parsed.error.issues, ['data']))}` };
}

export function isMessageType(value: string): value is MessageType {
  return Object.prototype.hasOwnProperty.call(MESSAGE_SCHEMAS, value);
}
