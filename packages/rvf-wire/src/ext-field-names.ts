import { rvfError } from '@rvfjs/types';
import { ByteReader, ByteWriter } from './byte-reader.js';

/** One entry of the metadata field-name table: the numeric field id and its name. */
export interface FieldName {
  fieldId: number;
  name: string;
}

/**
 * RVFJS_FIELD_NAMES (0x41): the whole name table, rewritten when a name is added; the
 * last one in directory order wins. `version u8 (1) | reserved u8 | reserved u16 |
 * count u32 | count × (field_id u16 | name_len u16 | UTF-8 name)`.
 */
export function encodeFieldNamesPayload(names: readonly FieldName[]): Uint8Array {
  const enc = new TextEncoder();
  const bytes = names.map((n) => enc.encode(n.name));
  const w = new ByteWriter(8 + bytes.reduce((s, b) => s + 4 + b.length, 0));
  w.u8(1).u8(0).u16(0).u32(names.length);
  names.forEach((n, i) => {
    const b = bytes[i]!;
    if (b.length > 0xffff)
      throw rvfError('FilterParseError', `field name '${n.name.slice(0, 40)}…' is too long`);
    w.u16(n.fieldId).u16(b.length).bytes_(b);
  });
  return w.finish();
}

/** Decodes an RVFJS_FIELD_NAMES payload; throws InvalidChecksum for a malformed one. */
export function decodeFieldNamesPayload(payload: Uint8Array, fileOffset = 0): FieldName[] {
  const r = new ByteReader(payload, 'RVFJS_FIELD_NAMES payload', fileOffset, 'InvalidChecksum');
  const version = r.u8('version');
  if (version !== 1) throw r.fail(`unsupported version ${version}`);
  r.skip(3);
  const count = r.u32('count');
  if (count * 4 > r.remaining) throw r.fail(`count ${count} exceeds the payload`);
  const dec = new TextDecoder();
  const out: FieldName[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const fieldId = r.u16('field_id');
    const len = r.u16('name_len');
    out[i] = { fieldId, name: dec.decode(r.bytesView(len, 'name')) };
  }
  if (r.remaining !== 0) throw r.fail(`${r.remaining} unexpected trailing bytes`);
  return out;
}
