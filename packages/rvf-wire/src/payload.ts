import {
  type CowMap,
  type Journal,
  type Manifest,
  type Membership,
  SegmentType,
  type WitnessRecord,
} from '@rvfjs/types';
import { decodeCowMapPayload, encodeCowMapPayload } from './cow-map.js';
import { decodeIndexPayload, encodeIndexPayload, type IndexGraph } from './index-seg.js';
import { decodeJournalPayload, encodeJournalPayload } from './journal.js';
import { decodeManifestPayload, encodeManifestPayload } from './manifest.js';
import { decodeMembershipPayload, encodeMembershipPayload } from './membership.js';
import { decodeVecPayload, encodeVecPayload, type VecBlock } from './vec-seg.js';
import { decodeWitnessPayload, encodeWitnessPayload } from './witness-seg.js';

/** A decoded payload, tagged by the codec that read it. Unknown types are carried as bytes. */
export type DecodedPayload =
  | { kind: 'vec'; value: VecBlock }
  | { kind: 'manifest'; value: Manifest }
  | { kind: 'journal'; value: Journal }
  | { kind: 'witness'; value: WitnessRecord }
  | { kind: 'cow_map'; value: CowMap }
  | { kind: 'membership'; value: Membership }
  | { kind: 'index'; value: IndexGraph }
  | { kind: 'opaque'; segType: number; bytes: Uint8Array };

/** Decodes any reference payload by type; everything else is returned untouched. */
export function decodePayload(segType: number, payload: Uint8Array, fileOffset = 0): DecodedPayload {
  switch (segType) {
    case SegmentType.Vec:
      return { kind: 'vec', value: decodeVecPayload(payload, fileOffset) };
    case SegmentType.Manifest:
      return { kind: 'manifest', value: decodeManifestPayload(payload, fileOffset) };
    case SegmentType.Journal:
      return { kind: 'journal', value: decodeJournalPayload(payload, fileOffset) };
    case SegmentType.Witness:
      return { kind: 'witness', value: decodeWitnessPayload(payload, fileOffset) };
    case SegmentType.CowMap:
      return { kind: 'cow_map', value: decodeCowMapPayload(payload, fileOffset) };
    case SegmentType.Membership:
      return { kind: 'membership', value: decodeMembershipPayload(payload, fileOffset) };
    case SegmentType.Index:
      return { kind: 'index', value: decodeIndexPayload(payload, fileOffset) };
    default:
      return { kind: 'opaque', segType, bytes: payload };
  }
}

/** Encodes a decoded payload back to bytes (the inverse of decodePayload). */
export function encodePayload(p: DecodedPayload): Uint8Array {
  switch (p.kind) {
    case 'vec':
      return encodeVecPayload(p.value);
    case 'manifest':
      return encodeManifestPayload(p.value);
    case 'journal':
      return encodeJournalPayload(p.value);
    case 'witness':
      return encodeWitnessPayload(p.value);
    case 'cow_map':
      return encodeCowMapPayload(p.value);
    case 'membership':
      return encodeMembershipPayload(p.value);
    case 'index':
      return encodeIndexPayload(p.value);
    case 'opaque':
      return p.bytes;
  }
}
