import { simpleHash } from '@rvfjs/crypto/hashes';
import { type Membership, rvfError, SegmentType } from '@rvfjs/types';
import { bitmapCount, bitmapSet, encodeMembershipPayload } from '@rvfjs/wire';
import type { PendingSegment } from './commit.js';
import type { IdKey } from './ids.js';
import type { BranchLink } from './lineage.js';
import { MAX_BRANCH_ID } from './live-ids.js';
import type { VectorTable } from './vector-table.js';

/**
 * A branch's MEMBERSHIP: the include-mode bitmap of inherited ids it can see (as the
 * reference writes it). Deleting an inherited id clears its bit; a new child's bitmap is its
 * parent's visible set.
 */
export interface MembershipInfo {
  mode: 'include' | 'exclude';
  memberCount: number;
  vectorCount: number;
}

/** The MEMBERSHIP record for a dense bitmap covering `capacity` ids. */
export function membershipOf(
  bitmap: Uint8Array,
  capacity: bigint,
  memberCount: number = bitmapCount(bitmap),
): Membership {
  return {
    version: 1,
    filterType: 0,
    filterMode: 0,
    vectorCount: capacity,
    memberCount: BigInt(memberCount),
    filterOffset: 96n,
    generationId: 0,
    filterHash: simpleHash(bitmap),
    bloomOffset: 0n,
    bloomSize: 0,
    bitmap,
  };
}

/** A new child's MEMBERSHIP bitmap, the ids it covers (`capacity`), and how many are set. */
export interface ChildMembers {
  bitmap: Uint8Array;
  capacity: number;
  count: number;
}

/**
 * A new child's members: the table's visible ids as a dense bitmap. The table keeps them as
 * one, so this costs the bitmap's size, not a pass over the vectors.
 */
export function childMembers(table: VectorTable): ChildMembers {
  const members = table.live.toMembership();
  if ('unrepresentable' in members) {
    throw rvfError(
      'MembershipInvalid',
      `cannot branch: id ${members.unrepresentable} is too large for a dense membership bitmap (ids must be < ${MAX_BRANCH_ID})`,
    );
  }
  return members;
}

/**
 * The bitmap after hiding `keys` (inherited ids leave it), and the segment recording it when
 * it changed; undefined for a root table, which has no membership.
 */
export function membershipWithout(
  table: VectorTable,
  link: BranchLink | undefined,
  keys: readonly IdKey[],
): { bitmap: Uint8Array; segment: PendingSegment | undefined } | undefined {
  if (!table.membership) return undefined;
  const bitmap = table.membership.slice();
  for (const k of keys) if (typeof k === 'number') bitmapSet(bitmap, k, false);
  if (sameBytes(bitmap, table.membership)) return { bitmap, segment: undefined };
  const capacity = link?.membership.vectorCount ?? BigInt(bitmap.length * 8);
  return {
    bitmap,
    segment: {
      segType: SegmentType.Membership,
      payload: encodeMembershipPayload(membershipOf(bitmap, capacity)),
    },
  };
}

/** What membershipFilter() reports for a branch, or undefined for a root store. */
export function membershipInfo(table: VectorTable, link: BranchLink | undefined): MembershipInfo | undefined {
  const bitmap = table.membership;
  if (!bitmap || !link) return undefined;
  return {
    mode: 'include',
    memberCount: bitmapCount(bitmap),
    vectorCount: Number(link.membership.vectorCount),
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
