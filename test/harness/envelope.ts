/**
 * CloudEvents envelopes as the orchestrator publishes them (specversion 1.0, JSON data), encoded
 * for a publish. A test file gives its ids its own prefix, so a message found on a stream tells
 * which test sent it.
 */
const encoder = new TextEncoder();
let seq = 0;

export interface EnvelopeOptions {
  /** The envelope id (default `<idPrefix>-<now>-<n>`, unique within the run). */
  id?: string;
  idPrefix?: string;
  /** The CloudEvents source (default test/orchestrator). */
  source?: string;
}

export function encodeEnvelope(type: string, data: unknown, options: EnvelopeOptions = {}): Uint8Array {
  return encoder.encode(
    JSON.stringify({
      specversion: '1.0',
      id: options.id ?? `${options.idPrefix ?? 'test'}-${Date.now()}-${++seq}`,
      source: options.source ?? 'test/orchestrator',
      type,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data
    })
  );
}
