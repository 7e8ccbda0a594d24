/**
 * The shape of an HTTP route that an area mounts on the web server (file uploads and downloads):
 * the transport calls it with the request, the token check and the origin check it owns, so an
 * area serves HTTP without knowing the transport (docs/architecture.md §1).
 */
import type http from 'node:http';
import type { Logger } from './logger';

/** What a route handler gets for one request. */
export interface RouteContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  logger: Logger;
  /**
   * Checks the token (Authorization: Bearer, or ?token=) under the per-client throttle. When it
   * fails it has already answered 401 or 429, and the handler just returns.
   */
  authorize(): boolean;
  /** Whether the request's Origin header, when it has one, is one of the server's own. */
  sameOrigin(): boolean;
  /** Answers with a JSON body (objects) or plain text (strings). */
  send(status: number, body: unknown, headers?: Record<string, string>): void;
}

export interface WebRoute {
  /** An exact path, or a prefix when it ends in '/'. */
  path: string;
  methods: readonly string[];
  handle(context: RouteContext): void | Promise<void>;
}

export type WebRouteFactory = (deps: { logger: Logger }) => WebRoute | readonly WebRoute[];
