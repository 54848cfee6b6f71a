import type { FastifyRequest } from 'fastify';
import type { Identity, KeyRing } from './api-keys.js';
import { HttpError } from './errors.js';

/**
 * What a route needs: `public` nothing (only GET /health), `read` any key, `write` a
 * read-write key. Every route declares it in its config; a request for no route (404) needs
 * a key too, so an unauthenticated client learns nothing about the API.
 */
export type Access = 'public' | 'read' | 'write';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const identities = new WeakMap<FastifyRequest, Identity | null>();

/** The identity of the request's bearer key, or null without a valid one (computed once per request). */
export function identify(request: FastifyRequest, keys: KeyRing): Identity | null {
  const known = identities.get(request);
  if (known !== undefined) return known;
  const m = BEARER.exec(request.headers.authorization ?? '');
  const identity = (m && keys.identify(m[1]!)) || null;
  identities.set(request, identity);
  return identity;
}

/**
 * The preParsing hook that enforces keys: after the rate limit (an onRequest hook) and
 * before any body is read, so a refused upload costs nothing. With no key configured the
 * server is open and the hook lets everything through.
 */
export function accessControl(keys: KeyRing) {
  return async (request: FastifyRequest): Promise<void> => {
    if (keys.empty) return;
    const access = request.routeOptions.config?.access ?? 'read';
    if (access === 'public') return;
    const identity = identify(request, keys);
    if (!identity) {
      const sent = request.headers.authorization !== undefined;
      throw new HttpError(
        401,
        'UNAUTHORIZED',
        'Unauthorized',
        sent ? 'unknown API key' : 'an API key is required: send Authorization: Bearer <key>',
      );
    }
    if (access === 'write' && identity.role !== 'read-write')
      throw new HttpError(403, 'FORBIDDEN', 'Forbidden', 'this key is read-only; the route writes');
  };
}
