import { stat } from 'node:fs/promises';
import type { CommandOutcome } from '../command-outcome.js';
import { type ProgressChoice, startProgress } from '../progress.js';
import { withStore } from '../store-session.js';
import { formatBytes, formatCount } from '../table.js';

export interface CompactOptions {
  force?: boolean;
  progress?: ProgressChoice;
}

/**
 * `compact --json`. The library's CompactResult calls the number of purged vectors
 * `segmentsCompacted` (after the reference's witness action) and estimates `bytesReclaimed`
 * from their float data; the CLI names the count for what it is and measures the file.
 */
export interface CompactDocument {
  vectorsRemoved: number;
  fileSizeBefore: number;
  fileSizeAfter: number;
  /** fileSizeBefore − fileSizeAfter: negative when the rewrite saved an HNSW graph the file lacked. */
  bytesReclaimed: number;
  epoch: number;
}

export async function compactCommand(path: string, o: CompactOptions): Promise<CommandOutcome> {
  const fileSizeBefore = (await stat(path).catch(() => undefined))?.size ?? 0;
  const result = await withStore(path, { readOnly: false, progress: o.progress }, async (store) => {
    // Bytes of the new file written, with rate and ETA.
    const bar = startProgress('Compacting', 'bytes', o.progress);
    try {
      return await store.compact({
        force: !!o.force,
        onProgress: (done, total) => bar.update({ done, total }),
      });
    } finally {
      bar.stop();
    }
  });
  const fileSizeAfter = (await stat(path)).size;
  const doc: CompactDocument = {
    vectorsRemoved: result.segmentsCompacted,
    fileSizeBefore,
    fileSizeAfter,
    bytesReclaimed: fileSizeBefore - fileSizeAfter,
    epoch: result.epoch,
  };
  return {
    json: doc,
    human: () =>
      `Compacted ${path}: removed ${formatCount(doc.vectorsRemoved)} deleted vector${doc.vectorsRemoved === 1 ? '' : 's'}; ` +
      `${formatBytes(fileSizeBefore)} -> ${formatBytes(fileSizeAfter)} (${formatBytes(doc.bytesReclaimed)} reclaimed); epoch ${doc.epoch}`,
  };
}
