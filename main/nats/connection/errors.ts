/**
 * Turns what the NATS client throws into the contract's typed errors, so the UI and the CLI can
 * tell wrong credentials from an unreachable server from a TLS failure, with a next step.
 */
import { AuthorizationError, ProtocolError, UserAuthenticationExpiredError } from '@nats-io/transport-node';
import { ContractError, redactUrls, type ErrorShape } from '../../contract';

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EPIPE',
  'CONNECTION_REFUSED'
]);

function collectChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current && chain.length < 6) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

function text(error: unknown): string {
  // A client error may quote the URL it was given; never with its userinfo.
  if (error instanceof Error) return redactUrls(error.message);
  return redactUrls(String(error));
}

export interface ClassifiedError extends ErrorShape {
  hint: string;
}

/** Classifies a connection or operation failure. */
export function classifyNatsError(
  error: unknown,
  servers: readonly string[] = [],
  context: { tls?: boolean } = {}
): ClassifiedError {
  // Our own typed errors (an unreadable creds file, a bad seed file) already say what is wrong.
  if (error instanceof ContractError) {
    const hint = (error.details as { hint?: unknown } | undefined)?.hint;
    return { ...error.toShape(), hint: typeof hint === 'string' ? hint : '' };
  }
  const chain = collectChain(error);
  const where = servers.length > 0 ? servers.map(redactUrls).join(', ') : 'the server';
  for (const item of chain) {
    if (item instanceof AuthorizationError || item instanceof UserAuthenticationExpiredError) {
      return {
        code: 'NATS_AUTH',
        message: `authorization violation at ${where}: ${text(item)}`,
        hint: 'The server rejected the credentials: check the token, user/password, nkey or creds file of this connection.'
      };
    }
  }
  const messages = chain.map(text).join(' | ');
  const codes = chain.map((item) => String((item as { code?: unknown }).code ?? ''));
  if (/authoriz|authentic/i.test(messages)) {
    return {
      code: 'NATS_AUTH',
      message: `authorization violation at ${where}: ${messages}`,
      hint: 'The server rejected the credentials: check the token, user/password, nkey or creds file of this connection.'
    };
  }
  if (
    codes.some((c) => c.startsWith('ERR_TLS') || c.includes('CERT') || c.includes('SELF_SIGNED') || c === 'EPROTO') ||
    /\btls\b|certificate|ssl|self[- ]signed|unable to verify|handshake/i.test(messages)
  ) {
    return {
      code: 'NATS_TLS',
      message: `TLS failure talking to ${where}: ${messages}`,
      hint: 'Check the CA file (it must sign the server certificate), the client certificate and key, and that the URL host matches the certificate.'
    };
  }
  // With TLS 1.3 a server that rejects the client (no or wrong client certificate) may just reset
  // the connection after the handshake: the client sees ECONNRESET, not a TLS alert.
  if (context.tls && (codes.includes('ECONNRESET') || /ECONNRESET|socket hang up/i.test(messages))) {
    return {
      code: 'NATS_TLS',
      message: `TLS failure talking to ${where}: the server closed the connection after the TLS handshake (${messages})`,
      hint: 'The server probably requires a client certificate (verify: true) or rejected this one: set the client certificate and key (--tls-cert/--tls-key or the profile) signed by a CA the server trusts.'
    };
  }
  if (
    codes.some((c) => UNREACHABLE_CODES.has(c)) ||
    /refused|timeout|timed out|unreachable|ENOTFOUND/i.test(messages)
  ) {
    return {
      code: 'NATS_UNREACHABLE',
      message: `cannot reach NATS at ${where}: ${messages}`,
      hint: 'Is nats-server running and listening there? Start it (nats-server -js) or point the app at another server with --nats URL or NATS_URL.'
    };
  }
  // Something answered, but not with NATS INFO: a web server, the monitoring port, a websocket port.
  if (chain.some((item) => item instanceof ProtocolError) || /unexpected response from server/i.test(messages)) {
    return {
      code: 'NATS_ERROR',
      message: `something answers at ${where}, but it is not a NATS client port: ${messages}`,
      hint: 'Check the host and port: the NATS client port is usually 4222 (not the 8222 monitoring or a websocket port); use ws:// URLs for websockets.'
    };
  }
  return {
    code: 'NATS_ERROR',
    message: `NATS error at ${where}: ${messages}`,
    hint: 'See the log for details.'
  };
}

/** A ContractError built from a classified NATS failure (the hint goes into details). */
export function toNatsContractError(error: unknown, servers: readonly string[] = []): ContractError {
  if (error instanceof ContractError) return error;
  const c = classifyNatsError(error, servers);
  return new ContractError(c.code, c.message, { hint: c.hint }, { cause: error });
}
