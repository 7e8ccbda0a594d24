/**
 * The renderer's Content-Security-Policy (docs/architecture.md §7), in one place: the built index.html carries it
 * as a meta tag, the web server and the Electron session send it as a header too.
 */
const DIRECTIVES = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  // CSP3: 'self' also allows ws:// to the same host and port (web mode's /ws).
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'"
];

/** For a <meta> tag (which cannot carry frame-ancestors). */
export const CSP_META = DIRECTIVES.join('; ');

/** For an HTTP header. */
export const CSP_HEADER = [...DIRECTIVES, "frame-ancestors 'none'"].join('; ');
