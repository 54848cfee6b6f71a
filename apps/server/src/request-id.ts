import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** What a client may choose as its request id: short, and safe to put in a log line. */
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Fastify's genReqId: the client's `x-request-id` when it is a sane one (so a request can be
 * followed through a proxy and into the logs), else a fresh UUID. The server echoes it in its
 * own `x-request-id` response header; every log line of the request carries it as `reqId`.
 */
export function requestId(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && CLIENT_ID.test(given) ? given : randomUUID();
}
