/**
 * Credentials never travel inside a NATS URL. `nats://user:pass@host` (and natscli's token form
 * `nats://token@host`) is split into a clean URL and auth fields where URLs enter the app, and
 * anything that prints a URL or an error text passes it through {@link redactUrls} as a last guard.
 * No Node imports: the renderer uses this file too.
 */

/** The credentials a NATS URL carried in its userinfo. */
export interface UrlCredentials {
  user?: string;
  password?: string;
  /** `nats://TOKEN@host`: a user name without a password is a token, as natscli and nats.go read it. */
  token?: string;
}

export interface SplitUrl {
  /** The URL without userinfo. */
  url: string;
  /** Null when the URL had no userinfo. */
  credentials: UrlCredentials | null;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * Splits userinfo off a NATS URL. Works on the text (not `new URL`), so the rest of the URL is kept
 * exactly as given; a URL without a scheme gets `nats://`.
 */
export function splitUrlCredentials(value: string): SplitUrl {
  const trimmed = value.trim();
  const withScheme = SCHEME.test(trimmed) ? trimmed : `nats://${trimmed}`;
  const schemeEnd = withScheme.indexOf('://') + 3;
  const rest = withScheme.slice(schemeEnd);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const at = authority.lastIndexOf('@');
  if (at === -1) return { url: withScheme, credentials: null };
  const userinfo = authority.slice(0, at);
  const url = withScheme.slice(0, schemeEnd) + rest.slice(at + 1);
  const colon = userinfo.indexOf(':');
  if (colon === -1) {
    return { url, credentials: userinfo.length > 0 ? { token: decode(userinfo) } : {} };
  }
  return { url, credentials: { user: decode(userinfo.slice(0, colon)), password: decode(userinfo.slice(colon + 1)) } };
}

/** True when the URL text carries userinfo (`user:pass@` or `token@`). */
export function hasUrlCredentials(value: string): boolean {
  return splitUrlCredentials(value).credentials !== null;
}

/**
 * Replaces the userinfo of every URL in a text with `***` (the user name stays visible when there
 * is a password: `nats://ops:***@host`). Used on log lines, error messages and anything shown.
 */
export function redactUrls(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>]*)@/gi, (_match, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon === -1 ? `${scheme}***@` : `${scheme}${userinfo.slice(0, colon)}:***@`;
  });
}
