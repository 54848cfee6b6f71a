import { classifyWitnessLink, shake256_256, type WitnessLinkKind } from '@rvfjs/crypto/hashes';
import { type DirectoryEntry, SegmentType } from '@rvfjs/types';
import { type ByteSource, decodeWitnessPayload, encodeWitnessPayload, readSegmentAt } from '@rvfjs/wire';

export const WITNESS_ZERO = new Uint8Array(32);

/**
 * Builds a WITNESS payload in the reference's layout, linked to the previous witness by
 * a real SHAKE-256 (the reference uses its non-cryptographic simple_hash and restarts the
 * chain at every open; rvfjs continues one chain across reopen and compaction).
 */
export function witnessPayload(
  previous: Uint8Array | undefined,
  witnessType: number,
  timestampNs: bigint,
  action: string,
): Uint8Array {
  const prevHash = previous ? shake256_256(previous) : WITNESS_ZERO;
  return encodeWitnessPayload({ witnessType, timestampNs, action, prevHash });
}

/** One WITNESS segment of a file: where it is, what it records, and how it links to the previous one. */
export interface WitnessLinkReport {
  offset: number;
  segId: number;
  action: string;
  timestampNs: bigint;
  link: WitnessLinkKind;
}

/** What verifyWitness() found in the file's witness chain. */
export interface WitnessReport {
  /** True when no link is broken. */
  valid: boolean;
  entries: number;
  /** Chains in the file (each starts with a zero prev_hash). */
  chains: number;
  /** Links made with real SHAKE-256 (rvfjs). */
  shake256Links: number;
  /** Links made with the reference's non-cryptographic simple_hash. */
  legacyLinks: number;
  firstBroken?: { index: number; offset: number; action: string };
  witnesses: WitnessLinkReport[];
}

/** Walks every committed WITNESS segment in directory order and classifies each link. */
export async function verifyWitnesses(
  source: ByteSource,
  directory: readonly DirectoryEntry[],
): Promise<WitnessReport> {
  const report: WitnessReport = {
    valid: true,
    entries: 0,
    chains: 0,
    shake256Links: 0,
    legacyLinks: 0,
    witnesses: [],
  };
  let previous: Uint8Array | undefined;
  for (const entry of directory) {
    if (entry.segType !== SegmentType.Witness) continue;
    const { payload } = await readSegmentAt(source, entry);
    const w = decodeWitnessPayload(payload, entry.offset + 64);
    const link = classifyWitnessLink(previous, w.prevHash);
    report.witnesses.push({
      offset: entry.offset,
      segId: Number(entry.segId),
      action: w.action,
      timestampNs: w.timestampNs,
      link,
    });
    if (link === 'start') report.chains++;
    else if (link === 'shake256') report.shake256Links++;
    else if (link === 'legacy') report.legacyLinks++;
    else if (report.valid) {
      report.valid = false;
      report.firstBroken = { index: report.entries, offset: entry.offset, action: w.action };
    }
    report.entries++;
    previous = payload.slice();
  }
  return report;
}
