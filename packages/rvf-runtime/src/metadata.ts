import { rvfError, type ValueTypeName } from '@rvfjs/types';
import type { FieldName, MetaValue } from '@rvfjs/wire';

export type { MetaValue };

/** The reference's flat form: one entry per field, values as strings (or typed values). */
export interface FlatMetaEntry {
  fieldId: number;
  valueType: ValueTypeName;
  value: string | number | bigint;
}

/** A scalar in the object form. */
export type MetaScalar = string | number | bigint;
/** The object form: one object per vector, field names mapped to ids by the store. */
export type MetaObject = Record<string, MetaScalar>;

/** Metadata for a batch, one entry per vector: flat `{ fieldId, value }` entries or objects by field name. */
export type MetadataInput = readonly FlatMetaEntry[] | readonly (MetaObject | null | undefined)[];

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** Field ids in use; only asked when a new name needs an id (see FieldTable.intern). */
export interface FieldIdSet {
  has(fieldId: number): boolean;
}

/** The name ↔ field-id table persisted in the file (RVFJS_FIELD_NAMES). */
export class FieldTable {
  private readonly byName = new Map<string, number>();
  private readonly byId = new Map<number, string>();
  /** Bumped whenever a name is added (cached object forms built before are stale). */
  version = 0;

  constructor(entries: readonly FieldName[] = []) {
    for (const e of entries) this.set(e.fieldId, e.name);
  }

  private set(fieldId: number, name: string): void {
    this.byName.set(name, fieldId);
    this.byId.set(fieldId, name);
    this.version++;
  }

  idOf(name: string): number | undefined {
    return this.byName.get(name);
  }

  nameOf(fieldId: number): string | undefined {
    return this.byId.get(fieldId);
  }

  /** Returns the id for `name`, assigning the lowest id not already named or in `usedIds`. */
  intern(name: string, usedIds: FieldIdSet): { fieldId: number; added: boolean } {
    const known = this.byName.get(name);
    if (known !== undefined) return { fieldId: known, added: false };
    let id = 0;
    while (this.byId.has(id) || usedIds.has(id)) id++;
    if (id > 0xffff) throw rvfError('InvalidMetadata', `no free field id left for '${name}'`);
    this.set(id, name);
    return { fieldId: id, added: true };
  }

  entries(): FieldName[] {
    return [...this.byId].map(([fieldId, name]) => ({ fieldId, name })).sort((a, b) => a.fieldId - b.fieldId);
  }

  get size(): number {
    return this.byId.size;
  }

  clone(): FieldTable {
    return new FieldTable(this.entries());
  }
}

function isFlatForm(input: readonly unknown[]): boolean {
  return (
    input.length > 0 &&
    input.every((e) => e !== null && typeof e === 'object' && 'fieldId' in e && 'valueType' in e)
  );
}

/**
 * Parses one typed value as the reference's flat form carries it (strings are allowed for
 * numbers). A bad value is InvalidMetadata, or `code` where the value is something else (a
 * filter's operand is a FilterParseError).
 */
export function typedValue(
  fieldId: number,
  valueType: unknown,
  value: unknown,
  where: string,
  code: 'InvalidMetadata' | 'FilterParseError' = 'InvalidMetadata',
): MetaValue {
  if (!Number.isInteger(fieldId) || fieldId < 0 || fieldId > 0xffff) {
    throw rvfError(code, `${where}: fieldId ${String(fieldId)} is not a u16`);
  }
  const bad = (why: string) => rvfError(code, `${where}: ${why}`);
  switch (valueType) {
    case 'string':
      if (typeof value !== 'string') throw bad(`a string value is required, got ${typeof value}`);
      return { fieldId, valueType, value };
    case 'f64': {
      const n = typeof value === 'string' ? Number(value.trim() === '' ? Number.NaN : value) : Number(value);
      if (
        typeof value === 'bigint' ||
        (typeof value !== 'number' && typeof value !== 'string') ||
        Number.isNaN(n)
      ) {
        throw bad(`'${String(value)}' is not an f64`);
      }
      return { fieldId, valueType, value: n };
    }
    case 'u64':
    case 'i64': {
      let b: bigint;
      try {
        if (typeof value === 'number' && !Number.isInteger(value)) throw new Error();
        if (typeof value !== 'number' && typeof value !== 'bigint' && typeof value !== 'string')
          throw new Error();
        b = BigInt(typeof value === 'string' ? value.trim() : value);
      } catch {
        throw bad(`'${String(value)}' is not an integer`);
      }
      if (valueType === 'u64' ? b < 0n || b > U64_MAX : b < I64_MIN || b > I64_MAX) {
        throw bad(`${b} is out of range for ${valueType}`);
      }
      return { fieldId, valueType, value: b };
    }
    default:
      throw bad(`unknown valueType '${String(valueType)}' (u64, i64, f64 or string)`);
  }
}

/** Infers the type of an object-form value. */
export function inferValue(fieldId: number, value: unknown, where: string): MetaValue {
  if (typeof value === 'string') return { fieldId, valueType: 'string', value };
  if (typeof value === 'bigint') return typedValue(fieldId, value < 0n ? 'i64' : 'u64', value, where);
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return { fieldId, valueType: 'i64', value: BigInt(value) };
    if (Number.isFinite(value)) return { fieldId, valueType: 'f64', value };
  }
  throw rvfError(
    'InvalidMetadata',
    `${where}: ${String(value)} is not a supported metadata value (string, number, bigint)`,
  );
}

/**
 * Splits metadata into one field list per vector. The flat form is grouped as the
 * reference groups it (metadata.length / ids.length consecutive entries per vector);
 * the object form has one object per vector and may add names to `table`.
 */
export function groupMetadata(
  input: MetadataInput | undefined,
  vectorCount: number,
  table: FieldTable,
  usedIds: FieldIdSet,
): { perVector: (MetaValue[] | undefined)[]; namesAdded: boolean } {
  if (input === undefined || input === null)
    return { perVector: new Array(vectorCount).fill(undefined), namesAdded: false };
  if (!Array.isArray(input)) throw rvfError('InvalidMetadata', 'metadata must be an array');
  if (input.length === 0) return { perVector: new Array(vectorCount).fill(undefined), namesAdded: false };
  if (isFlatForm(input)) {
    const flat = input as readonly FlatMetaEntry[];
    if (vectorCount === 0 || input.length % vectorCount !== 0) {
      throw rvfError(
        'InvalidMetadata',
        `${input.length} metadata entries cannot be split evenly over ${vectorCount} vectors`,
      );
    }
    const per = input.length / vectorCount;
    const perVector: MetaValue[][] = [];
    for (let v = 0; v < vectorCount; v++) {
      perVector.push(
        flat
          .slice(v * per, (v + 1) * per)
          .map((e, k) => typedValue(e.fieldId, e.valueType, e.value, `metadata[${v * per + k}]`)),
      );
    }
    return { perVector, namesAdded: false };
  }
  if (input.length !== vectorCount) {
    throw rvfError('InvalidMetadata', `${input.length} metadata objects for ${vectorCount} vectors`);
  }
  let namesAdded = false;
  const perVector = (input as readonly (MetaObject | null | undefined)[]).map((obj, v) => {
    if (obj === null || obj === undefined) return undefined;
    if (typeof obj !== 'object' || Array.isArray(obj)) {
      throw rvfError('InvalidMetadata', `metadata[${v}] must be an object of named fields`);
    }
    return Object.entries(obj).map(([name, value]) => {
      // A decimal key that is not a known name addresses a field id directly ("7" → field 7),
      // which is how exports write fields that were given in the flat form.
      if (/^\d+$/.test(name) && Number(name) <= 0xffff && table.idOf(name) === undefined) {
        return inferValue(Number(name), value, `metadata[${v}].${name}`);
      }
      const { fieldId, added } = table.intern(name, usedIds);
      namesAdded ||= added;
      return inferValue(fieldId, value, `metadata[${v}].${name}`);
    });
  });
  return { perVector, namesAdded };
}

/** A vector's metadata as an object: named fields by name, unnamed ones by their numeric id. */
export function metadataToObject(
  fields: readonly MetaValue[],
  table: FieldTable,
): Record<string, MetaScalar> {
  const out: Record<string, MetaScalar> = {};
  for (const f of fields) {
    const key = table.nameOf(f.fieldId) ?? String(f.fieldId);
    out[key] =
      typeof f.value === 'bigint' && f.value >= -9007199254740991n && f.value <= 9007199254740991n
        ? Number(f.value)
        : f.value;
  }
  return out;
}
