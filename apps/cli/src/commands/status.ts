import { access, constants } from 'node:fs/promises';
import type { CowStats, MembershipInfo, RvfStore } from '@rvfjs/runtime';
import type { Metric } from '@rvfjs/types';
import type { CommandOutcome } from '../command-outcome.js';
import { withStore } from '../store-session.js';
import { formatBytes, formatCount, formatFields } from '../table.js';

/** `status --json` (and `create --json`): documented field by field in apps/docs/content/cli.md. */
export interface StatusDocument {
  path: string;
  fileId: string;
  /** null for a root store. */
  parentId: string | null;
  lineageDepth: number;
  dimension: number;
  metric: Metric;
  profileId: number;
  totalVectors: number;
  ownVectors: number;
  totalSegments: number;
  fileSize: number;
  currentEpoch: number;
  deadSpaceRatio: number;
  /** True when the store refuses writes: frozen, or a file this user cannot write. */
  readOnly: boolean;
  frozen: boolean;
  index: { state: 'none' | 'building' | 'complete'; indexedVectors: number };
  fieldNames: { fieldId: number; name: string }[];
  cow: CowStats | null;
  membership: MembershipInfo | null;
}

/**
 * The store as a document. `readOnly` describes the store, not this handle: the CLI opens
 * stores read-only to look at them, which the library's own `status().readOnly` reports.
 */
export async function statusDocument(store: RvfStore, path: string): Promise<StatusDocument> {
  const s = store.status();
  const writable = await access(path, constants.W_OK).then(
    () => true,
    () => false,
  );
  return {
    path,
    fileId: store.fileId,
    parentId: store.lineageDepth === 0 ? null : store.parentId,
    lineageDepth: store.lineageDepth,
    dimension: s.dimension,
    metric: s.metric,
    profileId: s.profileId,
    totalVectors: s.totalVectors,
    ownVectors: s.ownVectors,
    totalSegments: s.totalSegments,
    fileSize: s.fileSize,
    currentEpoch: s.currentEpoch,
    deadSpaceRatio: s.deadSpaceRatio,
    readOnly: s.frozen || !writable,
    frozen: s.frozen,
    index: { state: s.engine.index, indexedVectors: s.engine.indexedVectors },
    fieldNames: store.fieldNames(),
    cow: store.cowStats() ?? null,
    membership: store.membershipFilter() ?? null,
  };
}

export function formatStatus(d: StatusDocument): string {
  const fields: [string, string][] = [
    ['path', d.path],
    ['file id', d.fileId],
    ['parent', d.parentId === null ? '(root store)' : `${d.parentId} (lineage depth ${d.lineageDepth})`],
    ['dimension', `${d.dimension} (${d.metric})`],
    ['vectors', `${formatCount(d.totalVectors)} visible, ${formatCount(d.ownVectors)} stored in this file`],
    ['epoch', String(d.currentEpoch)],
    ['segments', String(d.totalSegments)],
    ['file size', `${formatBytes(d.fileSize)} (dead space ${(d.deadSpaceRatio * 100).toFixed(1)}%)`],
    ['writable', d.frozen ? 'no (frozen snapshot)' : d.readOnly ? 'no (file permissions)' : 'yes'],
    ['index', `${d.index.state} (${formatCount(d.index.indexedVectors)} vectors in the graph)`],
    ['fields', d.fieldNames.length === 0 ? '(none)' : d.fieldNames.map((f) => f.name).join(', ')],
  ];
  if (d.cow) {
    fields.push([
      'branch',
      `${d.cow.localClusters} of ${d.cow.clusterCount} clusters changed locally${d.cow.frozen ? ', frozen' : ''}`,
    ]);
  }
  if (d.membership) {
    fields.push([
      'membership',
      `${d.membership.mode} filter, ${d.membership.memberCount} members of ${d.membership.vectorCount}`,
    ]);
  }
  return formatFields(fields);
}

export async function statusCommand(path: string): Promise<CommandOutcome> {
  const doc = await withStore(path, { readOnly: true }, (s) => statusDocument(s, path));
  return { json: doc, human: () => formatStatus(doc) };
}
