/**
 * Message headers typed by the operator as one `Name: value` a line (the form curl, natscli and
 * HTTP tools show them in), as the Messages view's publish and request forms take them. Checked
 * before anything is sent, so a typo is pointed at by its line instead of coming back as one
 * INVALID_INPUT for the whole form. Pure, so the renderer and the tests share it.
 */

/**
 * An HTTP field-name token (RFC 9110 tchar): letters, digits and ! # $ % & ' * + - . ^ _ ` | ~.
 * NATS accepts any printable ASCII but a colon; the stricter HTTP set keeps headers usable by
 * the HTTP gateways and tools that relay Syn_OS messages.
 */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** The contract's limits (main/contract/messaging.ts HeadersInputSchema). */
const MAX_NAME = 256;
const MAX_VALUE = 65_536;
const MAX_VALUES = 64;

/** Headers ready for `messages.publish` / `messages.request`: every value per name, in order. */
export type HeaderRecord = Record<string, string[]>;

export type HeaderParse =
  { ok: true; headers: HeaderRecord | undefined } | { ok: false; line: number; message: string };

/** Why a header name is not a token, or null when it is one. */
export function headerNameIssue(name: string): string | null {
  if (name === '') return 'the name before the colon is empty';
  if (name.length > MAX_NAME) return `the name is longer than ${MAX_NAME} characters`;
  if (!HEADER_NAME.test(name)) {
    const bad = [...name].find((c) => !HEADER_NAME.test(c)) ?? '';
    const shown = bad === ' ' ? 'a space' : /\s/.test(bad) ? 'a blank' : `"${bad}"`;
    return `"${name}" is not a valid header name: it contains ${shown}; use letters, digits and ! # $ % & ' * + - . ^ _ \` | ~`;
  }
  return null;
}

/**
 * Parses `Name: value` lines; blank lines are skipped, a repeated name gives several values
 * (sent as repeated header lines). The first malformed line is reported with its 1-based number.
 */
export function parseHeaderLines(text: string): HeaderParse {
  const headers: HeaderRecord = {};
  let any = false;
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const fail = (message: string): HeaderParse => ({
      ok: false,
      line: index + 1,
      message: `Header line ${index + 1}: ${message}`
    });
    const at = line.indexOf(':');
    if (at < 0) return fail('needs the form Name: value');
    const name = line.slice(0, at).trim();
    const issue = headerNameIssue(name);
    if (issue) return fail(issue);
    const value = line.slice(at + 1).trim();
    if (value.length > MAX_VALUE) return fail(`the value of ${name} is longer than ${MAX_VALUE} characters`);
    const values = (headers[name] ??= []);
    if (values.length >= MAX_VALUES) return fail(`${name} has more than ${MAX_VALUES} values`);
    values.push(value);
    any = true;
  }
  return { ok: true, headers: any ? headers : undefined };
}
