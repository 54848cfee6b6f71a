import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { type FilterInput, type IdInput, RvfStore } from '@rvfjs/runtime';
import { type Metric, rvfError } from '@rvfjs/types';
import { inspectFile } from './inspect.js';
import { parseJsonArg } from './json.js';
import { graphProgressBar } from './progress.js';

/** Runs `fn` with a store and always closes it. */
async function withStore<T>(path: string, readOnly: boolean, fn: (s: RvfStore) => Promise<T>): Promise<T> {
  const store = await RvfStore.open(path, { readOnly });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function parseIds(text: string): IdInput[] {
  return text.split(',').map((t) => {
    const s = t.trim();
    if (!/^\d+$/.test(s)) throw rvfError('InvalidId', `--ids: '${s}' is not a u64`);
    const b = BigInt(s);
    return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
  });
}

export const commands = {
  async create(
    path: string,
    o: { dim: string; metric: string; profile?: string; m?: string; efConstruction?: string },
  ) {
    const store = await RvfStore.create(path, {
      dimension: Number(o.dim),
      metric: o.metric as Metric,
      ...(o.profile ? { profile: Number(o.profile) } : {}),
      ...(o.m ? { m: Number(o.m) } : {}),
      ...(o.efConstruction ? { efConstruction: Number(o.efConstruction) } : {}),
    });
    const status = store.status();
    await store.close();
    return { path, fileId: store.fileId, ...status };
  },

  /**
   * NDJSON records `{ id, vector, metadata? }` from a file or stdin ("-"). Closing finishes
   * and saves the HNSW graph (a progress bar on a terminal) unless `deferIndex`.
   */
  async ingest(path: string, input: string, o: { batch?: string; deferIndex?: boolean; progress?: boolean }) {
    const bar = graphProgressBar(o.progress);
    const store = await RvfStore.open(path, {
      ...(o.deferIndex ? { deferIndex: true } : {}),
      ...(bar.onIndexProgress ? { onIndexProgress: bar.onIndexProgress } : {}),
    });
    try {
      const stream = input === '-' ? process.stdin : createReadStream(input);
      return await store.import(stream, { batchSize: Number(o.batch ?? 10000) });
    } finally {
      await store.close();
      bar.stop();
    }
  },

  async query(path: string, o: { vector: string; k: string; filter?: string; ef?: string }) {
    const vector = parseJsonArg(o.vector, '--vector') as number[];
    const filter = o.filter ? (parseJsonArg(o.filter, '--filter') as FilterInput) : undefined;
    return withStore(path, true, (s) =>
      s.query(vector, Number(o.k), {
        ...(filter ? { filter } : {}),
        ...(o.ef ? { efSearch: Number(o.ef) } : {}),
      }),
    );
  },

  async delete(path: string, o: { ids?: string; filter?: string }) {
    if (!o.ids === !o.filter) throw rvfError('InvalidArgument', 'give exactly one of --ids or --filter');
    return withStore(path, false, (s) =>
      o.ids
        ? s.delete(parseIds(o.ids))
        : s.deleteByFilter(parseJsonArg(o.filter!, '--filter') as FilterInput),
    );
  },

  compact: (path: string, o: { force?: boolean }) =>
    withStore(path, false, (s) => s.compact({ force: !!o.force })),
  freeze: (path: string) => withStore(path, false, async (s) => ({ epoch: await s.freeze() })),

  status: (path: string) =>
    withStore(path, true, async (s) => ({
      path,
      fileId: s.fileId,
      parentId: s.parentId,
      lineageDepth: s.lineageDepth,
      ...s.status(),
      fieldNames: s.fieldNames(),
      cow: s.cowStats() ?? null,
      membership: s.membershipFilter() ?? null,
    })),

  segments: (path: string) => withStore(path, true, async (s) => s.segments()),
  verify: (path: string) => withStore(path, true, (s) => s.verifyWitness()),
  inspect: (path: string) => inspectFile(path),

  branch: (path: string, child: string) =>
    withStore(path, false, async (s) => {
      const c = await s.branch(child);
      const out = {
        child,
        fileId: c.fileId,
        parentId: c.parentId,
        lineageDepth: c.lineageDepth,
        cow: c.cowStats(),
      };
      await c.close();
      return out;
    }),

  async export(path: string, output: string | undefined) {
    return withStore(path, true, async (s) => {
      const out = output && output !== '-' ? createWriteStream(output) : process.stdout;
      let n = 0;
      for await (const line of s.export()) {
        n++;
        if (!out.write(line)) await once(out, 'drain');
      }
      if (out !== process.stdout) {
        await new Promise((r) => (out as ReturnType<typeof createWriteStream>).end(r));
        return { exported: n };
      }
      // On stdout the NDJSON must stay pipeable into `rvf ingest`: the count goes to stderr.
      process.stderr.write(`exported ${n} records\n`);
      return undefined;
    });
  },
};
