/**
 * Clients for web-mode tests: raw bytes over TCP (for requests no HTTP client would send), an
 * upgrade that reports the status it got, and a small HTTP(S) request that trusts a test CA.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import WebSocket from 'ws';

/** Resolves with the HTTP status of a refused upgrade, or 101 when the socket opened. */
export function upgradeStatus(
  url: string,
  headers: Record<string, string>,
  options: { ca?: string | Buffer; localAddress?: string } = {}
): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, ...options });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', (error) => {
      if (!/Unexpected server response|closed before the connection/.test(String(error))) reject(error);
    });
  });
}

/** Sends raw bytes to the server and resolves with everything it answered before closing. */
export function rawExchange(port: number, request: string | Buffer, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (/\r\n\r\n/.test(answer) && !/^HTTP\/1\.1 101/.test(answer)) socket.end();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server may close first (after answering): what it answered is the result.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resolve(answer);
      else reject(error);
    });
    socket.on('close', () => resolve(answer));
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer to ${JSON.stringify(String(request))}`)));
  });
}

/** The status line and headers of a raw answer. */
export function parseRawHead(answer: string): { status: number; headers: Record<string, string> } {
  const [head = ''] = answer.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0), headers };
}

export interface SimpleResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP(S) request; `ca` trusts a test CA, `headers.host` may name any host (DNS rebinding). */
export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; ca?: string | Buffer } = {}
): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(
      target,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        ...(options.ca ? { ca: options.ca } : {}),
        // A forged Host header is not the name the certificate is checked against.
        ...(options.headers?.Host ? { servername: 'localhost' } : {})
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      }
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.end();
  });
}
