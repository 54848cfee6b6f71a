import { RvfStore } from '@rvfjs/runtime';
import type { Metric } from '@rvfjs/types';
import type { CommandOutcome } from '../command-outcome.js';
import { formatStatus, statusDocument } from './status.js';

export interface CreateOptions {
  dim: number;
  metric: Metric;
  profile?: number;
  m?: number;
  efConstruction?: number;
}

/** Creates a store; prints the same document as `status`. */
export async function createCommand(path: string, o: CreateOptions): Promise<CommandOutcome> {
  const store = await RvfStore.create(path, {
    dimension: o.dim,
    metric: o.metric,
    ...(o.profile !== undefined ? { profile: o.profile } : {}),
    ...(o.m !== undefined ? { m: o.m } : {}),
    ...(o.efConstruction !== undefined ? { efConstruction: o.efConstruction } : {}),
  });
  let doc: Awaited<ReturnType<typeof statusDocument>>;
  try {
    doc = await statusDocument(store, path);
  } finally {
    await store.close();
  }
  return { json: doc, human: () => `Created ${path}\n${formatStatus(doc)}` };
}
