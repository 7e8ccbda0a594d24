/**
 * Where and how to connect, as plain values, and the nats.js options built from them: servers,
 * credentials (token, user/password, nkey, creds), TLS files, and the userinfo taken out of URLs.
 * Files named by path are read here, at connect, and never quoted in an error.
 */
import {
  credsAuthenticator,
  nkeyAuthenticator,
  type Authenticator,
  type NodeConnectionOptions
} from '@nats-io/transport-node';
import { splitUrlCredentials } from '../../contract';
import type { NatsAuthConfig, NatsConfig, NatsTlsConfig } from '../../core/config';
import { registerSecret } from '../../core/redact';
import { readKeyFile } from '../../core/key-files';
import { parseCredsFile, parseSeedFile } from './credentials';

/** A creds, seed or TLS file, read only now (at connect), with errors that never quote it. */
function readFileOrThrow(file: string, what: string): Uint8Array {
  return readKeyFile(file, what);
}

/**
 * Credentials in memory: the configured ones (paths given on the command line or in the config,
 * read at connect), plus what a profile holds: an nkey seed and a creds file's content.
 */
export interface ConnectAuth extends NatsAuthConfig {
  /** An nkey seed (SU…) itself rather than a file holding it. */
  nkeySeed?: string;
  /** The content of a .creds file picked into a profile. */
  credsData?: Uint8Array;
}

/** TLS files by path (command line, config) or as PEM text (a profile's picked files). */
export interface ConnectTls extends NatsTlsConfig {
  ca?: string;
  cert?: string;
  key?: string;
}

/** Where and how to connect: a saved profile (or the configuration) resolved to plain values. */
export interface ConnectTarget {
  servers: string[];
  auth: ConnectAuth;
  tls: ConnectTls | null;
  /** The profile it came from, shown in the status. */
  profile: { id: string; name: string } | null;
}

/** What {@link buildConnectOptions} needs: a NatsConfig, or a profile's values with a name and timeout. */
export type ConnectSettings = Pick<NatsConfig, 'name' | 'connectTimeoutMs'> & {
  auth: ConnectAuth;
  tls: ConnectTls | null;
};

/** Builds the nats.js options for a configuration. */
export function buildConnectOptions(nats: ConnectSettings, servers: string[]): NodeConnectionOptions {
  const options: NodeConnectionOptions = {
    servers,
    name: nats.name,
    timeout: nats.connectTimeoutMs,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    reconnectJitter: 500,
    reconnectJitterTLS: 1000,
    pingInterval: 10_000,
    maxPingOut: 3,
    // By default nats.js builds two Error objects per request (and so per JetStream publish) just to
    // keep the caller's stack for a later failure; that halves publish throughput on this app's hot
    // path (`npm run bench:durability` prints both). Failures are classified by code, not by stack.
    noAsyncTraces: true
  };
  const authenticators: Authenticator[] = [];
  if (nats.auth.token) options.token = nats.auth.token;
  if (nats.auth.user) options.user = nats.auth.user;
  if (nats.auth.password !== undefined) options.pass = nats.auth.password;
  if (nats.auth.nkeyFile) {
    const seed = parseSeedFile(
      new TextDecoder().decode(readFileOrThrow(nats.auth.nkeyFile, 'nkey seed file')),
      nats.auth.nkeyFile
    );
    authenticators.push(nkeyAuthenticator(new TextEncoder().encode(seed)));
  }
  if (nats.auth.nkeySeed) authenticators.push(nkeyAuthenticator(new TextEncoder().encode(nats.auth.nkeySeed.trim())));
  if (nats.auth.credsFile) {
    const bytes = readFileOrThrow(nats.auth.credsFile, 'creds file');
    // Checked here so a wrong file is reported as such, not later as an authorization violation.
    parseCredsFile(new TextDecoder().decode(bytes), nats.auth.credsFile);
    authenticators.push(credsAuthenticator(bytes));
  }
  if (nats.auth.credsData) authenticators.push(credsAuthenticator(nats.auth.credsData));
  if (authenticators.length > 0) options.authenticator = authenticators;
  if (nats.tls) {
    // Read here rather than by the client, so a FIFO, a device or a huge file is refused with a
    // clear error instead of hanging or filling memory, and no error quotes the file.
    options.tls = {};
    if (nats.tls.caFile) options.tls.ca = Buffer.from(readFileOrThrow(nats.tls.caFile, 'TLS CA file')).toString('utf8');
    if (nats.tls.certFile) {
      options.tls.cert = Buffer.from(readFileOrThrow(nats.tls.certFile, 'TLS certificate file')).toString('utf8');
    }
    if (nats.tls.keyFile)
      options.tls.key = Buffer.from(readFileOrThrow(nats.tls.keyFile, 'TLS key file')).toString('utf8');
    // A profile's picked files, already read and checked when they were picked.
    if (nats.tls.ca !== undefined) options.tls.ca = nats.tls.ca;
    if (nats.tls.cert !== undefined) options.tls.cert = nats.tls.cert;
    if (nats.tls.key !== undefined) options.tls.key = nats.tls.key;
  }
  return options;
}

/**
 * A URL typed with userinfo (connect {servers}, a profile saved before URLs were split) is split
 * here as well: the password goes into the auth fields, unless credentials were given as fields,
 * and never into the status, logs or errors. Every credential is registered with the redactor.
 */
export function withUrlCredentials(
  servers: readonly string[],
  given: ConnectAuth
): { servers: string[]; auth: ConnectAuth } {
  const split = servers.map(splitUrlCredentials);
  const auth: ConnectAuth = { ...given };
  const creds = split.find((s) => s.credentials !== null)?.credentials;
  const hasAuth = Boolean(
    auth.user ?? auth.token ?? auth.nkeyFile ?? auth.nkeySeed ?? auth.credsFile ?? auth.credsData
  );
  if (creds && !hasAuth) {
    if (creds.token !== undefined) auth.token = creds.token;
    if (creds.user !== undefined) auth.user = creds.user;
    if (creds.password !== undefined) auth.password = creds.password;
  }
  registerSecret(auth.password);
  registerSecret(auth.token);
  registerSecret(auth.nkeySeed);
  return { servers: split.map((s) => s.url), auth };
}
