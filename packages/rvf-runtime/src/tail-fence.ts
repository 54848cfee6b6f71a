import { type DirectoryEntry, isKnownSegmentType, SEGMENT_HEADER_SIZE, SegmentType } from '@rvfjs/types';
import { bytesSource, decodeWitnessPayload, fileHandleSource, walkSegments } from '@rvfjs/wire';
import { cutTail } from './commit.js';
import type { StoreFileHandle } from './file-system.js';
import { manifestEnd, type Snapshot } from './snapshot.js';

/**
 * After a crash the file may end in a torn segment or in complete segments of a commit whose
 * manifest never landed. Before a writer appends, the tail is cut back so new commits never
 * sit behind bytes a reader could misparse or resurrect. Two kinds of complete trailing
 * segments are kept, and the returned snapshot has the next commit list them: segments of
 * types nobody here knows (appended by another tool), and the witness the reference writes
 * just after its compaction manifest (its action names the current epoch).
 */
export async function fenceTornTail(fh: StoreFileHandle, snap: Snapshot): Promise<Snapshot> {
  const size = (await fh.stat()).size;
  const end = manifestEnd(snap);
  const adopted: DirectoryEntry[] = [];
  let { lastWitness, nextSegId } = snap;
  if (size > end) {
    const tail = await fileHandleSource(fh, size).read(end, size - end);
    let keep = 0;
    for await (const item of walkSegments(bytesSource(tail), { verifyHashes: true })) {
      if (item.kind !== 'segment' || item.offset !== keep || item.hash === 'mismatch') break;
      const h = item.header;
      const at = item.offset + SEGMENT_HEADER_SIZE;
      const payload = tail.subarray(at, at + h.payloadLength);
      const foreign = !isKnownSegmentType(h.segType);
      const referenceWitness =
        h.segType === SegmentType.Witness && witnessEpoch(payload) === snap.manifest.epoch;
      if (!foreign && !referenceWitness) break;
      adopted.push({
        segId: h.segmentId,
        offset: end + item.offset,
        payloadLength: h.payloadLength,
        segType: h.segType,
      });
      if (referenceWitness) lastWitness = payload.slice();
      if (h.segmentId >= nextSegId) nextSegId = h.segmentId + 1n;
      keep = at + h.payloadLength;
    }
    if (end + keep < size) await cutTail(fh, end + keep);
  }
  return { ...snap, adopted, lastWitness, nextSegId, fileEnd: (await fh.stat()).size };
}

/** The epoch a witness action ends with (`...,epoch=7`), or -1. */
function witnessEpoch(payload: Uint8Array): number {
  try {
    const m = /epoch=(\d+)$/.exec(decodeWitnessPayload(payload).action);
    return m ? Number(m[1]) : -1;
  } catch {
    return -1;
  }
}
