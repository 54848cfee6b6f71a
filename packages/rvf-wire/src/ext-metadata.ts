import { rvfError, ValueType, type ValueTypeName } from '@rvfjs/types';
import { ByteReader, ByteWriter } from './byte-reader.js';
import { crc32 } from './crc32.js';

/** One metadata value. u64/i64 are bigint so the full 64-bit range survives a round trip. */
export type MetaValue =
  | { fieldId: number; valueType: 'u64'; value: bigint }
  | { fieldId: number; valueType: 'i64'; value: bigint }
  | { fieldId: number; valueType: 'f64'; value: number }
  | { fieldId: number; valueType: 'string'; value: string };

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
 * RVFJS_METADATA (0x40), one per ingest that carries metadata:
 * `version u8 (2) | reserved u8 | reserved u16 | count u32 | count × record`, a record being
 * `id u64 | fingerprint u32 | field_count u16 | field_count × (field_id u16 | value_type u8 | value)`
 * with value = u64 / i64 / f64 (8 bytes LE) or `len u32 | UTF-8` for strings. Version 1
 * records have no fingerprint field.
 */
export function encodeMetadataPayload(records: readonly MetadataRecord[]): Uint8Array {
  const enc = new TextEncoder();
  const strings: Uint8Array[] = [];
  let size = 8;
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
  w.u8(2).u8(0).u16(0).u32(records.length);
  let s = 0;
  for (const r of records) {
    if (r.fields.length > 0xffff)
      throw rvfError('FilterParseError', `vector ${r.id} has more than 65535 fields`);
    w.u64(r.id).u32(r.fingerprint!).u16(r.fields.length);
    for (const f of r.fields) {
      w.u16(f.fieldId).u8(ValueType[f.valueType]);
      const view = new DataView(w.bytes.buffer);
      switch (f.valueType) {
        case 'u64':
          w.u64(BigInt.asUintN(64, f.value));
          break;
        case 'i64':
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

export function decodeMetadataPayload(payload: Uint8Array, fileOffset = 0): MetadataRecord[] {
  const r = new ByteReader(payload, 'RVFJS_METADATA payload', fileOffset, 'InvalidChecksum');
  const version = r.u8('version');
  if (version !== 1 && version !== 2) throw r.fail(`unsupported version ${version}`);
  r.skip(3);
  const count = r.u32('count');
  if (count * (version === 2 ? 14 : 10) > r.remaining) throw r.fail(`count ${count} exceeds the payload`);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const dec = new TextDecoder();
  const out: MetadataRecord[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const id = r.u64('id');
    const fingerprint = version === 2 ? r.u32('fingerprint') : undefined;
    const n = r.u16('field_count');
    const fields: MetaValue[] = new Array(n);
    for (let k = 0; k < n; k++) {
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
  if (r.remaining !== 0) throw r.fail(`${r.remaining} unexpected trailing bytes`);
  return out;
}
