/**
 * The last guard against a secret reaching a log line or a printed error: URLs lose their userinfo
 * and every credential value the process was given (password, token, nkey seed) is replaced by
 * `***` wherever it appears. Credentials are registered where they enter (configuration, profiles).
 */
import { redactUrls } from '../contract/urls';

const secrets = new Set<string>();

/** Values shorter than this are not scrubbed (a 2-letter "password" would mangle every line). */
const MIN_SECRET_LENGTH = 4;

/** Remembers a credential so that {@link redact} hides it from now on. */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== 'string') return;
  const trimmed = value.trim();
  if (trimmed.length < MIN_SECRET_LENGTH) return;
  secrets.add(trimmed);
  // As it appears inside a JSON string (log lines are JSON) and percent-encoded in a URL.
  const json = JSON.stringify(trimmed).slice(1, -1);
  if (json !== trimmed) secrets.add(json);
  const encoded = encodeURIComponent(trimmed);
  if (encoded !== trimmed) secrets.add(encoded);
}

/** A text with URL userinfo and every registered credential replaced by `***`. */
export function redact(text: string): string {
  let out = redactUrls(text);
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join('***');
  }
  return out;
}
