/**
 * Web mode's key file upload: `PUT /profiles/key-upload/<ticket>?name=FILE` with the file as the
 * body. A ticket comes from the `profiles.keyUpload` procedure of an authenticated session, names
 * the kind of key file, works once and expires after five minutes; it is the only thing the route
 * accepts, never a path. The body is read up to the key file cap (FILE_TOO_LARGE beyond it) and
 * handed to the ticket's job, which checks and holds it as a pick; the answer is `{ key }` with the
 * pick's metadata, or the typed error, never quoting the content. It lives in the core so the nats
 * area issues tickets and the web server mounts the route without either importing the other.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { toErrorShape } from '../contract';
import { KEY_FILE_MAX_BYTES } from './key-files';
import type { WebRoute } from './web-route';

export const KEY_UPLOAD_PATH = '/profiles/key-upload/';
const TICKET_TTL_MS = 5 * 60_000;

/** What a ticket runs with the uploaded bytes: checks and holds them, returns the pick. */
export type KeyUploadJob = (content: Buffer, fileName: string | null) => unknown;

const tickets = new Map<string, { job: KeyUploadJob; expires: number }>();

export function issueKeyUploadTicket(job: KeyUploadJob, now = Date.now()): { path: string; expiresAt: string } {
  for (const [id, t] of tickets) if (t.expires < now) tickets.delete(id);
  const ticket = randomBytes(24).toString('base64url');
  tickets.set(ticket, { job, expires: now + TICKET_TTL_MS });
  return { path: `${KEY_UPLOAD_PATH}${ticket}`, expiresAt: new Date(now + TICKET_TTL_MS).toISOString() };
}

const STATUS: Record<string, number> = { FILE_TOO_LARGE: 413, NOT_FOUND: 404, FORBIDDEN: 403 };

function answer(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

function tooLarge(): { code: 'FILE_TOO_LARGE'; message: string } {
  return {
    code: 'FILE_TOO_LARGE',
    message: `the key file is larger than ${KEY_FILE_MAX_BYTES / 1024} KiB; a creds, seed or PEM file is a few KiB: pick the right file`
  };
}

export const keyUploadRoute: WebRoute = {
  path: KEY_UPLOAD_PATH,
  methods: ['PUT', 'POST'],
  handle: ({ req, res, url, sameOrigin }) => {
    const id = url.pathname.slice(KEY_UPLOAD_PATH.length);
    const entry = tickets.get(id);
    if (entry) tickets.delete(id);
    if (!entry || entry.expires < Date.now()) {
      req.resume();
      answer(res, 404, {
        code: 'NOT_FOUND',
        message: 'no such key upload (it was used, or it expired): pick the file again'
      });
      return;
    }
    if (!sameOrigin()) {
      req.resume();
      answer(res, 403, { code: 'FORBIDDEN', message: 'a key file can only be uploaded from the app itself' });
      return;
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > KEY_FILE_MAX_BYTES) {
      req.resume();
      answer(res, 413, tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      bytes += chunk.length;
      if (bytes > KEY_FILE_MAX_BYTES) {
        refused = true;
        chunks.length = 0;
        answer(res, 413, tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (refused) return;
      const content = Buffer.concat(chunks);
      chunks.length = 0;
      try {
        answer(res, 200, { key: entry.job(content, url.searchParams.get('name')) });
      } catch (error) {
        const shape = toErrorShape(error);
        answer(res, STATUS[shape.code] ?? 400, shape);
      } finally {
        content.fill(0);
      }
    });
  }
};
