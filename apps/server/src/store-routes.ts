import { RvfStore } from '@rvfjs/runtime';
import type { FastifyInstance } from 'fastify';
import { toErrorResponse } from './errors.js';
import { describeStore, type RouteContext } from './route-context.js';
import { schemas } from './schemas.js';
import { type CreateRequest, checkCreateOptions } from './store-options.js';

interface NameParams {
  name: string;
}

/** Routes about whole stores: list, create, describe, drop, branch, freeze, compact, segments, witness. */
export function storeRoutes(app: FastifyInstance, ctx: RouteContext, redact: (s: string) => string): void {
  const { registry } = ctx;

  app.get('/stores', { config: { access: 'read' }, schema: schemas.list }, async () => {
    const stores = [];
    for (const name of await registry.names()) {
      try {
        stores.push({ name, status: (await registry.get(name)).status() });
      } catch (err) {
        stores.push({ name, error: toErrorResponse(err, redact).body.error });
      }
    }
    return { stores };
  });

  app.post<{ Body: CreateRequest & { name: string } }>(
    '/stores',
    { config: { access: 'write' }, schema: schemas.create },
    async (request, reply) => {
      const { name, ...options } = request.body;
      const opts = { ...checkCreateOptions(options), ...ctx.handleOptions };
      const store = await registry.add(name, (path) => RvfStore.create(path, opts));
      return reply.code(201).send(describeStore(registry, name, store));
    },
  );

  app.get<{ Params: NameParams }>(
    '/stores/:name',
    { config: { access: 'read' }, schema: schemas.describe },
    async (request) => {
      const { name } = request.params;
      return describeStore(registry, name, await registry.get(name));
    },
  );

  app.delete<{ Params: NameParams }>(
    '/stores/:name',
    { config: { access: 'write' }, schema: schemas.drop },
    async (request, reply) => {
      await registry.drop(request.params.name);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: NameParams; Body: { child: string } }>(
    '/stores/:name/branch',
    { config: { access: 'write' }, schema: schemas.branch },
    async (request, reply) => {
      const { name } = request.params;
      const { child } = request.body;
      const parent = await registry.get(name);
      const store = await registry.add(child, (path) => parent.branch(path));
      return reply.code(201).send(describeStore(registry, child, store));
    },
  );

  app.post<{ Params: NameParams }>(
    '/stores/:name/freeze',
    { config: { access: 'write' }, schema: schemas.freeze },
    async (request) => {
      const store = await registry.get(request.params.name);
      return { epoch: await store.freeze() };
    },
  );

  app.post<{ Params: NameParams; Body: { force?: boolean } | null | undefined }>(
    '/stores/:name/compact',
    { config: { access: 'write' }, schema: schemas.compact },
    async (request) => {
      const store = await registry.get(request.params.name);
      return store.compact({ force: request.body?.force ?? false });
    },
  );

  app.get<{ Params: NameParams }>(
    '/stores/:name/segments',
    { config: { access: 'read' }, schema: schemas.segments },
    async (request) => {
      const store = await registry.get(request.params.name);
      return { segments: store.segments() };
    },
  );

  app.get<{ Params: NameParams }>(
    '/stores/:name/witness',
    { config: { access: 'read' }, schema: schemas.witness },
    async (request) => {
      const store = await registry.get(request.params.name);
      const report = await store.verifyWitness();
      return {
        ...report,
        witnesses: report.witnesses.map((w) => ({ ...w, timestampNs: w.timestampNs.toString() })),
      };
    },
  );
}
