/**
 * The web server's boundary checks as pure functions: which Host names it answers to, which
 * Origins may open the socket, which bind addresses count as loopback, what a TLS certificate
 * names, and the security headers every response carries.
 */
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import { CSP_HEADER } from '../core/csp';

export const LOOPBACK_NAMES: readonly string[] = ['127.0.0.1', 'localhost', '::1'];

export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/** Whether binding this address keeps the server reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (name === 'localhost') return true;
  if (net.isIPv4(name)) return name.startsWith('127.');
  if (net.isIPv6(name)) return name === '::1' || /^::ffff:127\./.test(name);
  return false;
}

export function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** A host name as `URL.hostname` writes it (lower case, IPv6 in brackets, no trailing dot), or null. */
export function normaliseHostName(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed === '' || /[\s/?#@\\]/.test(trimmed)) return null;
  try {
    const hostname = new URL(`http://${hostForUrl(trimmed)}`).hostname;
    return hostname.replace(/\.$/, '') || null;
  } catch {
    return null;
  }
}

/**
 * The name part of a Host header (`name`, `name:port`, `[v6]:port`) as `URL.hostname` writes it,
 * or null when the header is missing or not a host.
 */
export function hostHeaderName(value: string | undefined): string | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (trimmed === '' || /[\s/?#@\\]/.test(trimmed)) return null;
  try {
    const url = new URL(`http://${trimmed}`);
    if (url.username || url.password || url.pathname !== '/') return null;
    return url.hostname.replace(/\.$/, '') || null;
  } catch {
    return null;
  }
}

/** DNS names and IP addresses a certificate's subjectAltName (or, without one, its CN) lists; wildcards left out. */
export function certificateNames(certPem: string | Buffer): string[] {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const entry of (cert.subjectAltName ?? '').split(/,\s*/)) {
    const match = /^(DNS|IP Address):(.+)$/.exec(entry.trim());
    if (match && !match[2]!.includes('*')) names.push(match[2]!);
  }
  if (names.length === 0) {
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
    if (cn && !cn.includes('*')) names.push(cn);
  }
  return names;
}

/**
 * The Host names the server answers to: the loopback names, the bound address (every local address
 * and the machine name when bound to all), the names of its TLS certificate and any given with
 * --allow-host. A page on any other name (DNS rebinding) gets 421.
 */
export function allowedHostNames(host: string, extra: readonly string[] = []): Set<string> {
  const names = [...LOOPBACK_NAMES, ...extra];
  if (isWildcardHost(host)) {
    for (const list of Object.values(os.networkInterfaces())) {
      for (const address of list ?? []) names.push(address.address);
    }
    names.push(os.hostname());
  } else {
    names.push(host);
  }
  const out = new Set<string>();
  for (const name of names) {
    const normalised = normaliseHostName(name);
    if (normalised) out.add(normalised);
  }
  return out;
}

/** Origins a browser may present for the page it loaded from one of the allowed names. */
export function originsFor(names: Iterable<string>, port: number, tls: boolean): Set<string> {
  const scheme = tls ? 'https' : 'http';
  const defaultPort = tls ? 443 : 80;
  const origins = new Set<string>();
  for (const name of names) {
    origins.add(`${scheme}://${name}:${port}`);
    if (port === defaultPort) origins.add(`${scheme}://${name}`);
  }
  return origins;
}

/** Headers on every response, errors and /healthz included. */
export function securityHeaders(tls: boolean): Record<string, string> {
  return {
    'Content-Security-Policy': CSP_HEADER,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    // Other sites may not embed or read any of it (an <img> or <script> of theirs gets nothing).
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=()',
    ...(tls ? { 'Strict-Transport-Security': 'max-age=31536000' } : {})
  };
}

/** A complete HTTP/1.1 response for a raw socket (refused upgrades, unparsable requests). */
export function rawResponse(status: number, statusText: string, body: string, tls: boolean, extra = ''): string {
  const headers = Object.entries(securityHeaders(tls))
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const length = Buffer.byteLength(body);
  return (
    `HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${length}\r\nCache-Control: no-store\r\n${extra}${headers}\r\n${body}`
  );
}
