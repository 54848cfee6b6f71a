import { rvfError, ValueType } from '@rvfjs/types';
import type { MetaValue } from '@rvfjs/wire';
import type { FieldTable, MetaObject, MetaScalar } from './metadata.js';

/*
 * One vector's field list in the encoding RVFJS_METADATA stores it in (the tail of a record,
 * docs/format-extensions.md, 0x40):
 *   field_count u16 | field_count × (field_id u16 | value_type u8 | value)
 * with value = u64 / i64 / f64 as 8 bytes LE, or `len u32 | UTF-8` for a string.
 *
 * The store keeps metadata in this form — a loaded segment's records stay where they lie in
 * its payload, a write encodes into an arena — because a million decoded records cost about
 * 150 MiB of heap (an array, an object and a BigInt per field) and every write used to decode
 * them all. Values are read in place when a filter, a result or get() needs them. Bytes read
 * here were checked when they were loaded (fieldsEnd) or written by encodeFields.
 */

const U64 = ValueType.u64;
const I64 = ValueType.i64;
const F64 = ValueType.f64;
const STRING = ValueType.string;
const TWO_32 = 2 ** 32;
/** High words of integers whose magnitude is below 2^53 (safe integers, read as numbers). */
const SAFE_HIGH = 0x200000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Bytes the encoding of `fields` may need (a string counted at 3 bytes per UTF-16 unit). */
export function maxEncodedSize(fields: readonly MetaValue[]): number {
  let n = 2;
  for (const f of fields) n += f.valueType === 'string' ? 7 + 3 * f.value.length : 11;
  return n;
}

/** Writes `fields` at `at` (maxEncodedSize bytes must be free there); returns where it ended. */
export function encodeFields(
  fields: readonly MetaValue[],
  dst: Uint8Array,
  view: DataView,
  at: number,
): number {
  // The count is a u16 (the segment encoder refuses more too, before anything is committed).
  if (fields.length > 0xffff) throw rvfError('InvalidMetadata', `${fields.length} fields is more than 65535`);
  view.setUint16(at, fields.length, true);
  let p = at + 2;
  for (const f of fields) {
    view.setUint16(p, f.fieldId, true);
    dst[p + 2] = ValueType[f.valueType];
    p += 3;
    switch (f.valueType) {
      case 'u64':
        view.setBigUint64(p, f.value, true);
        p += 8;
        break;
      case 'i64':
        view.setBigInt64(p, f.value, true);
        p += 8;
        break;
      case 'f64':
        view.setFloat64(p, f.value, true);
        p += 8;
        break;
      case 'string': {
        const { written } = encoder.encodeInto(f.value, dst.subarray(p + 4, p + 4 + 3 * f.value.length));
        view.setUint32(p, written, true);
        p += 4 + written;
      }
    }
  }
  return p;
}

/**
 * The end of the field list at `at`, checking its structure (known value types, lengths
 * within `limit`); a malformed list throws `fail(why, position)`.
 */
export function fieldsEnd(
  bytes: Uint8Array,
  view: DataView,
  at: number,
  limit: number,
  fail: (why: string, position: number) => Error,
): number {
  if (at + 2 > limit) throw fail('field_count needs 2 bytes', at);
  const count = view.getUint16(at, true);
  let p = at + 2;
  for (let k = 0; k < count; k++) {
    if (p + 3 > limit) throw fail('field needs 3 bytes', p);
    const t = bytes[p + 2]!;
    p += 3;
    if (t === STRING) {
      if (p + 4 > limit) throw fail('string length needs 4 bytes', p);
      const len = view.getUint32(p, true);
      if (p + 4 + len > limit) throw fail(`string needs ${len} bytes`, p);
      p += 4 + len;
    } else if (t === U64 || t === I64 || t === F64) {
      if (p + 8 > limit) throw fail('value needs 8 bytes', p);
      p += 8;
    } else throw fail(`unknown value type ${t}`, p - 1);
  }
  return p;
}

/** The field list at `at` decoded as the wire decodes it (u64 and i64 as bigints). */
export function decodeFields(bytes: Uint8Array, view: DataView, at: number): MetaValue[] {
  const count = view.getUint16(at, true);
  const out: MetaValue[] = new Array(count);
  let p = at + 2;
  for (let k = 0; k < count; k++) {
    const fieldId = view.getUint16(p, true);
    const t = bytes[p + 2]!;
    p += 3;
    if (t === STRING) {
      const len = view.getUint32(p, true);
      out[k] = { fieldId, valueType: 'string', value: readString(bytes, p + 4, len) };
      p += 4 + len;
    } else {
      out[k] =
        t === U64
          ? { fieldId, valueType: 'u64', value: view.getBigUint64(p, true) }
          : t === I64
            ? { fieldId, valueType: 'i64', value: view.getBigInt64(p, true) }
            : { fieldId, valueType: 'f64', value: view.getFloat64(p, true) };
      p += 8;
    }
  }
  return out;
}

/**
 * A value as the object form and filters see it: integers within ±(2^53 - 1) as numbers (no
 * BigInt is made for them), larger ones as bigints, f64 as numbers, strings decoded. Number
 * and bigint compare exactly in JavaScript, so filters answer the same for either form.
 */
function scalarAt(bytes: Uint8Array, view: DataView, p: number, t: number): MetaScalar {
  if (t === STRING) return readString(bytes, p + 4, view.getUint32(p, true));
  if (t === F64) return view.getFloat64(p, true);
  const lo = view.getUint32(p, true);
  if (t === U64) {
    const hi = view.getUint32(p + 4, true);
    return hi < SAFE_HIGH ? hi * TWO_32 + lo : view.getBigUint64(p, true);
  }
  const hi = view.getInt32(p + 4, true);
  // -2^53 itself is not a safe integer: the object form gives it as a bigint.
  return hi < SAFE_HIGH && (hi > -SAFE_HIGH || (hi === -SAFE_HIGH && lo !== 0))
    ? hi * TWO_32 + lo
    : view.getBigInt64(p, true);
}

/** The field list at `at` as the object form: named fields by name, others by their id. */
export function fieldsToObject(bytes: Uint8Array, view: DataView, at: number, names: FieldTable): MetaObject {
  const out: MetaObject = {};
  const count = view.getUint16(at, true);
  let p = at + 2;
  for (let k = 0; k < count; k++) {
    const fieldId = view.getUint16(p, true);
    const t = bytes[p + 2]!;
    p += 3;
    out[names.nameOf(fieldId) ?? String(fieldId)] = scalarAt(bytes, view, p, t);
    p += t === STRING ? 4 + view.getUint32(p, true) : 8;
  }
  return out;
}

/**
 * True when some value of field `fieldId` in the list at `at` passes `test(arg, value)`
 * (values as scalarAt gives them). Other fields are skipped without being read; `at` < 0
 * stands for no metadata.
 */
export function someValue<T>(
  bytes: Uint8Array,
  view: DataView,
  at: number,
  fieldId: number,
  arg: T,
  test: (arg: T, value: MetaScalar) => boolean,
): boolean {
  if (at < 0) return false;
  const count = view.getUint16(at, true);
  let p = at + 2;
  for (let k = 0; k < count; k++) {
    const id = view.getUint16(p, true);
    const t = bytes[p + 2]!;
    p += 3;
    if (id === fieldId && test(arg, scalarAt(bytes, view, p, t))) return true;
    p += t === STRING ? 4 + view.getUint32(p, true) : 8;
  }
  return false;
}

/** Calls `visit(fieldId, value)` for each field of the list at `at` (values as scalarAt gives them). */
export function forEachValue(
  bytes: Uint8Array,
  view: DataView,
  at: number,
  visit: (fieldId: number, value: MetaScalar) => void,
): void {
  const count = view.getUint16(at, true);
  let p = at + 2;
  for (let k = 0; k < count; k++) {
    const fieldId = view.getUint16(p, true);
    const t = bytes[p + 2]!;
    p += 3;
    visit(fieldId, scalarAt(bytes, view, p, t));
    p += t === STRING ? 4 + view.getUint32(p, true) : 8;
  }
}

/** Adds the field ids of the list at `at` to `into` (no value is read). */
export function addFieldIds(bytes: Uint8Array, view: DataView, at: number, into: Set<number>): void {
  const count = view.getUint16(at, true);
  let p = at + 2;
  for (let k = 0; k < count; k++) {
    into.add(view.getUint16(p, true));
    const t = bytes[p + 2]!;
    p += 3;
    p += t === STRING ? 4 + view.getUint32(p, true) : 8;
  }
}

/** The end of a list known to be well formed (no checks). */
export function trustedEnd(bytes: Uint8Array, view: DataView, at: number): number {
  const count = view.getUint16(at, true);
  let p = at + 2;
  for (let k = 0; k < count; k++) {
    const t = bytes[p + 2]!;
    p += 3;
    p += t === STRING ? 4 + view.getUint32(p, true) : 8;
  }
  return p;
}

/**
 * UTF-8 as the wire decodes it (malformed bytes become U+FFFD). Short ASCII strings, the
 * usual category or tag, are built directly: TextDecoder's call costs more than they do.
 */
function readString(bytes: Uint8Array, start: number, len: number): string {
  if (len <= 24) {
    let s = '';
    for (let i = start; i < start + len; i++) {
      const c = bytes[i]!;
      if (c >= 0x80) return decoder.decode(bytes.subarray(start, start + len));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(bytes.subarray(start, start + len));
}
