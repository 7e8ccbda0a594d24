/**
 * Web mode's file routes: the browser's way to hand the core a recording file and to take an export
 * home, since no API method takes a filesystem path.
 *
 * - `POST /files/recordings?name=NAME` streams the request body into a new file in the data
 *   directory's recordings/ folder (mode 0600, never over an existing file: a free name is chosen)
 *   and answers `{ file, bytes }`; the UI then calls recordings.import with that file name. The body
 *   is capped (413 FILE_TOO_LARGE, the partial file removed).
 * - `GET /files/exports/NAME` streams a file of the exports/ folder as a download.
 *
 * Both need the session token like the WebSocket: as `Authorization: Bearer` (the upload only takes
 * the header, so a cross-site form cannot post one) or, for the download link, `?token=`. A request
 * with an Origin must come from the server's own origin. Errors are JSON `{ code, message }`.
 */
import type http from 'node:http';
import path from 'node:path';
import { ContractError, type ErrorShape } from '../contract';
import type { Logger } from '../core/logger';
import type { WebRoute } from '../core/web-route';
import {
  checkFileName,
  createExportFile,
  EXPORTS_FOLDER,
  fileInFolder,
  folderPath,
  freeName,
  ImportFile,
  RECORDINGS_FOLDER,
  safeFileStem,
  tooLarge
} from './files';

export interface FileRoutesOptions {
  dataDir: string;
  /** Largest upload (the import limit). */
  maxUploadBytes: number;
  logger: Logger;
}

export const FILES_PREFIX = '/files/';

const RECORDING_EXTENSIONS = ['.ndjson', '.jsonl', '.json', '.csv'];

function sendError(res: http.ServerResponse, status: number, error: ErrorShape): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    Connection: 'close'
  });
  res.end(JSON.stringify(error));
}

function statusOf(error: ContractError): number {
  switch (error.code) {
    case 'FILE_TOO_LARGE':
      return 413;
    case 'NOT_FOUND':
      return 404;
    case 'CONFLICT':
      return 409;
    case 'FORBIDDEN':
      return 403;
    case 'INVALID_INPUT':
      return 400;
    default:
      return 500;
  }
}

/** The file name an upload is stored under: the browser's name made safe, a recording extension kept. */
export function uploadName(given: string | null): string {
  const base = path.basename((given ?? '').replace(/\\/g, '/'));
  const ext = path.extname(base).toLowerCase();
  const keep = RECORDING_EXTENSIONS.includes(ext) ? ext : '.ndjson';
  return `${safeFileStem(base.slice(0, base.length - path.extname(base).length))}${keep}`;
}

export function recordingFileRoutes(options: FileRoutesOptions): WebRoute {
  const logger = options.logger.child({ part: 'files' });

  const upload = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > options.maxUploadBytes) {
      throw tooLarge('the upload', declared, options.maxUploadBytes);
    }
    const dir = folderPath(options.dataDir, RECORDINGS_FOLDER);
    const name = freeName(dir, checkFileName(uploadName(url.searchParams.get('name'))));
    const out = await createExportFile(path.join(dir, name), { mode: 'exclusive', shown: `recordings/${name}` });
    let bytes = 0;
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (bytes > options.maxUploadBytes) throw tooLarge('the upload', bytes, options.maxUploadBytes);
        await out.write(chunk);
      }
      await out.commit();
    } catch (error) {
      await out.abort();
      throw error;
    }
    logger.info('recording file uploaded', { file: name, bytes });
    res.writeHead(201, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify({ file: name, bytes, maxBytes: options.maxUploadBytes }));
  };

  const download = async (req: http.IncomingMessage, res: http.ServerResponse, name: string): Promise<void> => {
    const file = await ImportFile.open(fileInFolder(options.dataDir, EXPORTS_FOLDER, name), {
      // Exports are whatever size the recording was; the cap is for what comes in.
      maxBytes: Number.MAX_SAFE_INTEGER,
      folder: folderPath(options.dataDir, EXPORTS_FOLDER),
      shown: `exports/${name}`
    });
    try {
      res.writeHead(200, {
        'Content-Type': name.endsWith('.csv') ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
        'Content-Length': String(file.size),
        'Content-Disposition': `attachment; filename="${name.replace(/[^\w.-]/g, '_')}"`,
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff'
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      for await (const chunk of file.chunks()) {
        if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
      }
      res.end();
    } finally {
      await file.close();
    }
  };

  /** Answers one request under /files/; the web server has checked the Host and the method. */
  const handle = (ctx: Parameters<WebRoute['handle']>[0]): void => {
    const { req, res, url } = ctx;
    if (!ctx.sameOrigin()) {
      sendError(res, 403, { code: 'FORBIDDEN', message: 'origin not allowed' });
      return;
    }
    const isUpload = req.method === 'POST' && url.pathname === `${FILES_PREFIX}${RECORDINGS_FOLDER}`;
    // The upload takes the token only as a header (a cross-site form cannot set one); the download
    // link may carry it in the query. Both go through the server's token check and its throttle.
    if (isUpload && !/^Bearer\s+\S/i.test(req.headers.authorization ?? '')) {
      sendError(res, 401, { code: 'UNAUTHORIZED', message: 'the upload needs the token as Authorization: Bearer' });
      return;
    }
    if (!ctx.authorize()) return;
    const fail = (error: unknown): void => {
      if (error instanceof ContractError) {
        sendError(res, statusOf(error), error.toShape());
        // The rest of an oversized body is not read: the connection ends once the answer is out.
        if (error.code === 'FILE_TOO_LARGE') res.once('finish', () => req.destroy());
        return;
      }
      logger.error('file route failed', { error, method: req.method, path: url.pathname });
      sendError(res, 500, { code: 'INTERNAL', message: 'the file could not be handled; see the log' });
    };
    const exportsPrefix = `${FILES_PREFIX}${EXPORTS_FOLDER}/`;
    if (isUpload) {
      upload(req, res, url).catch(fail);
    } else if ((req.method === 'GET' || req.method === 'HEAD') && url.pathname.startsWith(exportsPrefix)) {
      let name: string;
      try {
        name = decodeURIComponent(url.pathname.slice(exportsPrefix.length));
      } catch {
        sendError(res, 400, { code: 'INVALID_INPUT', message: 'bad file name' });
        return;
      }
      download(req, res, name).catch(fail);
    } else {
      sendError(res, 405, {
        code: 'INVALID_INPUT',
        message: `use POST ${FILES_PREFIX}${RECORDINGS_FOLDER}?name=NAME to upload, GET ${exportsPrefix}NAME to download`
      });
    }
  };

  return { path: FILES_PREFIX, methods: ['GET', 'HEAD', 'POST'], handle };
}
