import {
  MAX_U64,
  rvfError,
  ValueType,
  type ValueTypeName,
  VEC_HEADER_SIZE,
  vecRecordSize,
} from '@rvfjs/types';
import { ByteReader, ByteWriter } from './byte-reader.js';
import { crc32 } from './crc32.js';

/** One metadata value. u64/i64 are bigint so the full 64-bit range survives a round trip. */
export type MetaValue =
  | { fieldId: number; valueType: 'u64'; value: bigint }
  | { fieldId: number; valueType: 'i64'; value: bigint }
  | { fieldId: number; valueType: 'f64'; value: number }
  | { fieldId: number; valueType: 'string'; value: string };

/** The metadata of one vector version in an RVFJS_METADATA segment. */
export interface MetadataRecord {
  id: bigint;
  /**
   * CRC32 of (id u64 LE ‖ the vector's f32 bytes) of the vector version these fields belong
   * to (version 2). A reader applies a record only to a vector with the same fingerprint, so
   * the order of segments (which the reference's compaction changes) does not matter, and a
   * vector replaced by a tool that knows nothing of metadata does not inherit stale fields.
   * Undefined in version-1 records, which apply in directory order.
   */
  fingerprint?: number;
  /** The complete field list of this vector version; empty clears earlier metadata. */
  fields: MetaValue[];
}

const TYPE_NAMES: ValueTypeName[] = ['u64', 'i64', 'f64', 'string'];

/**
 * The VEC segment written in the same commit as a metadata segment. A record whose id's
 * current vector still comes from that very segment (same segment id, same content hash)
 * is known to be current without recomputing its fingerprint, which keeps opening fast.
 */
export interface MetadataCompanion {
  segId: bigint;
  /** The companion VEC segment's 16-byte content hash, as in its header. */
  contentHash: Uint8Array;
}

/** A decoded RVFJS_METADATA payload: its version, its companion VEC segment, its records. */
export interface MetadataSegment {
  version: number;
  companion?: MetadataCompanion;
  records: MetadataRecord[];
}

const COMPANION_BYTES = 24;

/**
 * RVFJS_METADATA (0x40), one per ingest that carries metadata:
 * `version u8 (3) | reserved u8 | reserved u16 | count u32 | companion_seg_id u64 |
 * companion_hash [16] | count × record`, a record being
 * `id u64 | fingerprint u32 | field_count u16 | field_count × (field_id u16 | value_type u8 | value)`
 * with value = u64 / i64 / f64 (8 bytes LE) or `len u32 | UTF-8` for strings. Version 2 has
 * no companion fields; version 1 records also lack the fingerprint. A zero companion hash
 * means "no companion".
 */
export function encodeMetadataPayload(
  records: readonly MetadataRecord[],
  companion?: MetadataCompanion,
): Uint8Array {
  if (companion && companion.contentHash.length !== 16)
    throw rvfError(
      'InvalidChecksum',
      `companion content hash must be 16 bytes, got ${companion.contentHash.length}`,
    );
  const enc = new TextEncoder();
  const strings: Uint8Array[] = [];
  let size = 8 + COMPANION_BYTES;
  for (const r of records) {
    if (r.fingerprint === undefined)
      throw rvfError('InvalidChecksum', `metadata record for id ${r.id} has no fingerprint`);
    size += 14;
    for (const f of r.fields) {
      size += 3;
      if (f.valueType === 'string') {
        const b = enc.encode(f.value);
        strings.push(b);
        size += 4 + b.length;
      } else size += 8;
    }
  }
  const w = new ByteWriter(size);
  w.u8(3).u8(0).u16(0).u32(records.length);
  w.u64(companion?.segId ?? 0n).bytes_(companion?.contentHash ?? new Uint8Array(16));
  let s = 0;
  for (const r of records) {
    if (r.fields.length > 0xffff)
      throw rvfError('FilterParseError', `vector ${r.id} has more than 65535 fields`);
    if (r.id < 0n || r.id > MAX_U64) throw rvfError('InvalidManifest', `metadata id ${r.id} is not a u64`);
    w.u64(r.id).u32(r.fingerprint!).u16(r.fields.length);
    for (const f of r.fields) {
      w.u16(f.fieldId).u8(ValueType[f.valueType]);
      const view = new DataView(w.bytes.buffer);
      switch (f.valueType) {
        case 'u64':
          // Out-of-range values would wrap silently; refuse them instead.
          if (f.value < 0n || f.value > MAX_U64)
            throw rvfError('FilterParseError', `field ${f.fieldId}: ${f.value} is not a u64`);
          w.u64(f.value);
          break;
        case 'i64':
          if (f.value < -(2n ** 63n) || f.value >= 2n ** 63n)
            throw rvfError('FilterParseError', `field ${f.fieldId}: ${f.value} is not an i64`);
          view.setBigInt64(w.position, f.value, true);
          w.zeros(8);
          break;
        case 'f64':
          view.setFloat64(w.position, f.value, true);
          w.zeros(8);
          break;
        case 'string': {
          const b = strings[s++]!;
          w.u32(b.length).bytes_(b);
        }
      }
    }
  }
  return w.finish();
}

/** The fingerprint of one vector version: CRC32 of id (u64 LE) followed by its f32 bytes. */
export function vectorFingerprint(id: bigint, vector: Float32Array): number {
  const idBytes = new Uint8Array(8);
  new DataView(idBytes.buffer).setBigUint64(0, id, true);
  return crc32(new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength), crc32(idBytes));
}

/**
 * vectorFingerprint of every record of a VEC payload, read straight off its bytes: a record
 * is the id (u64 LE) followed by the vector's floats, which is exactly what the fingerprint
 * hashes, so each takes one CRC pass and no copying.
 */
export function vecPayloadFingerprints(vecPayload: Uint8Array): Uint32Array {
  const head = new DataView(vecPayload.buffer, vecPayload.byteOffset, vecPayload.byteLength);
  if (vecPayload.length < VEC_HEADER_SIZE) throw rvfError('TruncatedSegment', 'VEC payload has no header');
  const dimension = head.getUint16(0, true);
  const count = head.getUint32(2, true);
  const stride = vecRecordSize(dimension);
  if (VEC_HEADER_SIZE + count * stride > vecPayload.length)
    throw rvfError('TruncatedSegment', `${count} VEC records need ${count * stride} bytes`);
  const out = new Uint32Array(count);
  for (let i = 0, at = VEC_HEADER_SIZE; i < count; i++, at += stride) {
    out[i] = crc32(vecPayload.subarray(at, at + stride));
  }
  return out;
}

/** The records of a metadata payload (any version). */
export function decodeMetadataPayload(payload: Uint8Array, fileOffset = 0): MetadataRecord[] {
  return decodeMetadataSegment(payload, fileOffset).records;
}

/** A metadata payload with its header: version and (version 3) companion VEC segment. */
export function decodeMetadataSegment(payload: Uint8Array, fileOffset = 0): MetadataSegment {
  const reader = metadataSegmentReader(payload, fileOffset);
  const records = reader.next(reader.count);
  const { version, companion } = reader;
  return companion ? { version, companion, records } : { version, records };
}

/** A metadata payload read a batch of records at a time (see metadataSegmentReader). */
export interface MetadataSegmentReader {
  version: number;
  companion?: MetadataCompanion;
  /** Records in the payload. */
  count: number;
  /**
   * The next records, at most `max` of them; an empty array once all are read. The last
   * batch also checks that nothing follows the records.
   */
  next(max: number): MetadataRecord[];
}

/**
 * Reads a metadata payload's header at once and its records in batches, with the same checks
 * as decodeMetadataSegment, so that a large segment can be decoded a slice at a time.
 * A batch that fails throws; records of earlier batches were valid on their own.
 */
export function metadataSegmentReader(payload: Uint8Array, fileOffset = 0): MetadataSegmentReader {
  const r = new ByteReader(payload, 'RVFJS_METADATA payload', fileOffset, 'InvalidChecksum');
  const version = r.u8('version');
  if (version < 1 || version > 3) throw r.fail(`unsupported version ${version}`);
  r.skip(3);
  const count = r.u32('count');
  let companion: MetadataCompanion | undefined;
  if (version === 3) {
    const segId = r.u64('companion_seg_id');
    const contentHash = r.bytesView(16, 'companion_hash').slice();
    if (contentHash.some((b) => b !== 0)) companion = { segId, contentHash };
  }
  if (count * (version === 1 ? 10 : 14) > r.remaining) throw r.fail(`count ${count} exceeds the payload`);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const dec = new TextDecoder();
  let read = 0;
  const next = (max: number): MetadataRecord[] => {
    const n = Math.max(0, Math.min(max, count - read));
    const out: MetadataRecord[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const id = r.u64('id');
      const fingerprint = version === 1 ? undefined : r.u32('fingerprint');
      const fieldCount = r.u16('field_count');
      const fields: MetaValue[] = new Array(fieldCount);
      for (let k = 0; k < fieldCount; k++) {
        const fieldId = r.u16('field_id');
        const t = r.u8('value_type');
        const valueType = TYPE_NAMES[t];
        if (!valueType) throw r.fail(`unknown value type ${t}`);
        if (valueType === 'string') {
          const len = r.u32('string length');
          fields[k] = { fieldId, valueType, value: dec.decode(r.bytesView(len, 'string')) };
        } else {
          r.need(8, 'value');
          const at = r.position;
          r.skip(8);
          fields[k] =
            valueType === 'u64'
              ? { fieldId, valueType, value: view.getBigUint64(at, true) }
              : valueType === 'i64'
                ? { fieldId, valueType, value: view.getBigInt64(at, true) }
                : { fieldId, valueType, value: view.getFloat64(at, true) };
        }
      }
      out[i] = fingerprint === undefined ? { id, fields } : { id, fingerprint, fields };
    }
    read += n;
    if (read === count && r.remaining !== 0) throw r.fail(`${r.remaining} unexpected trailing bytes`);
    return out;
  };
  return companion ? { version, companion, count, next } : { version, count, next };
}
