import type { RvfStore } from '@rvfjs/runtime';
import { graphProgress, type ProgressChoice } from './progress.js';
import { openAnyStore } from './remote-store.js';

export interface SessionOptions {
  /** Readers open read-only and work next to a writer; writers take the store's lock. */
  readOnly: boolean;
  /** Writers: leave the HNSW graph work out of close (a later writer does it). */
  deferIndex?: boolean;
  progress?: ProgressChoice;
}

/**
 * Runs `fn` with the store open and always closes it. A writer's close finishes and saves
 * the HNSW graph, which can take a while on a large store: it gets its own progress bar.
 */
export async function withStore<T>(
  path: string,
  options: SessionOptions,
  fn: (store: RvfStore) => Promise<T>,
): Promise<T> {
  // With deferIndex the graph is left for a later writer: a bar would stop part way.
  const graph = options.readOnly || options.deferIndex ? undefined : graphProgress(options.progress);
  const store = await openAnyStore(path, {
    readOnly: options.readOnly,
    ...(options.deferIndex ? { deferIndex: true } : {}),
    ...(graph?.onIndexProgress ? { onIndexProgress: graph.onIndexProgress } : {}),
  });
  try {
    return await fn(store);
  } finally {
    try {
      await store.close();
    } finally {
      graph?.stop();
    }
  }
}
