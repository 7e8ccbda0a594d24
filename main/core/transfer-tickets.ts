/**
 * Web mode's object transfers: `PUT /objects/transfer/<ticket>` streams the request body into an
 * object, `GET /objects/transfer/<ticket>` streams an object to the browser (with its size, so a
 * cut download shows as failed). A ticket comes from the `objects.transfer` procedure of an
 * authenticated session, names one bucket, object and direction, works once and expires after
 * five minutes; it is the only thing the route accepts, never a path. It lives in the core so the
 * object store area can issue tickets and the web server can mount the route without either room
 * importing the other (docs/architecture.md §1). Data flows with
 * back-pressure both ways, so memory stays bounded whatever the object's size.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { toErrorShape, type ObjectEntry } from '../contract';
import type { WebRoute } from './web-route';

export const TRANSFER_PATH = '/objects/transfer/';
export const TICKET_TTL_MS = 5 * 60_000;

/** What a ticket runs: its bucket/object/direction are fixed when it is issued. */
export interface TransferJob {
  direction: 'upload' | 'download';
  /** Upload: the request body and its Content-Length (null when not sent). */
  upload?: (body: http.IncomingMessage, size: number | null, signal: AbortSignal) => Promise<ObjectEntry>;
  /** Download: writes the headers and the body; the digest is checked before the end. */
  download?: (res: http.ServerResponse, signal: AbortSignal) => Promise<void>;
}

const tickets = new Map<string, { job: TransferJob; expires: number }>();

/** Issues a one-time ticket for a job (from the objects.transfer handler). */
export function issueTicket(job: TransferJob, now = Date.now()): { ticket: string; path: string; expiresAt: string } {
  for (const [id, t] of tickets) if (t.expires < now) tickets.delete(id);
  const ticket = randomBytes(24).toString('base64url');
  tickets.set(ticket, { job, expires: now + TICKET_TTL_MS });
  return { ticket, path: `${TRANSFER_PATH}${ticket}`, expiresAt: new Date(now + TICKET_TTL_MS).toISOString() };
}

function answer(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

const STATUS: Record<string, number> = {
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_INPUT: 400,
  NOT_CONNECTED: 503,
  CANCELLED: 499,
  FORBIDDEN: 403
};

/**
 * The web server's route for transfers. The one-time ticket in the path is the authorisation (it
 * was issued to an authenticated session), so the route does not ask for the session token.
 */
export const objectTransferRoute: WebRoute = {
  path: TRANSFER_PATH,
  methods: ['GET', 'HEAD', 'PUT', 'POST'],
  handle: ({ req, res, url }) => {
    handleObjectTransfer(req, res, url);
  }
};

function handleObjectTransfer(req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean {
  const id = url.pathname.slice(TRANSFER_PATH.length);
  const entry = tickets.get(id);
  if (entry) tickets.delete(id);
  if (!entry || entry.expires < Date.now()) {
    answer(res, 404, { code: 'NOT_FOUND', message: 'no such transfer (it was used, or it expired): start it again' });
    return true;
  }
  const { job } = entry;
  const method = job.direction === 'upload' ? 'PUT' : 'GET';
  if (req.method !== method && !(method === 'PUT' && req.method === 'POST')) {
    res.writeHead(405, { Allow: method }).end();
    return true;
  }
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const run =
    job.direction === 'upload' && job.upload
      ? job
          .upload(req, req.headers['content-length'] ? Number(req.headers['content-length']) : null, abort.signal)
          .then((object) => answer(res, 200, { object }))
      : job.download!(res, abort.signal).then(() => {
          if (!res.writableEnded) res.end();
        });
  run.catch((error: unknown) => {
    const shape = toErrorShape(error);
    // Drain what the browser still sends, so it reads the answer instead of a reset connection.
    if (job.direction === 'upload') req.resume();
    answer(res, STATUS[shape.code] ?? 500, shape);
  });
  return true;
}
