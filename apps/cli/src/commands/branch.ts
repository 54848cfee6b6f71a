import type { CowStats } from '@rvfjs/runtime';
import type { CommandOutcome } from '../command-outcome.js';
import type { ProgressChoice } from '../progress.js';
import { withStore } from '../store-session.js';
import { formatFields } from '../table.js';

/** `branch --json`. */
export interface BranchDocument {
  path: string;
  child: string;
  fileId: string;
  parentId: string;
  lineageDepth: number;
  cow: CowStats | null;
}

export async function branchCommand(
  path: string,
  child: string,
  o: { progress?: ProgressChoice } = {},
): Promise<CommandOutcome> {
  const doc: BranchDocument = await withStore(path, { readOnly: false, progress: o.progress }, async (s) => {
    const c = await s.branch(child);
    try {
      return {
        path,
        child,
        fileId: c.fileId,
        parentId: c.parentId,
        lineageDepth: c.lineageDepth,
        cow: c.cowStats() ?? null,
      };
    } finally {
      await c.close();
    }
  });
  return {
    json: doc,
    human: () =>
      `Branched ${path} -> ${child}\n${formatFields([
        ['file id', doc.fileId],
        ['parent id', doc.parentId],
        ['lineage depth', String(doc.lineageDepth)],
        ...(doc.cow
          ? [['clusters', `${doc.cow.clusterCount} (${doc.cow.vectorsPerCluster} vectors each)`] as const]
          : []),
      ])}`,
  };
}
