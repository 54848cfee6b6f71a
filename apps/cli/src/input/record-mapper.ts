import type { IdKey, MetaScalar } from '@rvfjs/runtime';
import { MAX_U64, rvfError } from '@rvfjs/types';
import { describeValue } from './describe-value.js';
import type { InputRow } from './input-row.js';

/** Which fields of an input row are the id, the vector and the metadata (the ingest options). */
export interface ColumnMapping {
  /** The id field (default "id"); ignored when `firstId` numbers the records instead. */
  idColumn: string;
  firstId?: number | bigint;
  /** One field holding the whole vector (default "vector"). */
  vectorColumn: string;
  /** Or one field per component: names in order, or a single `prefix*` for every field with that prefix. */
  vectorColumns?: string[];
  /** Only these fields become metadata; by default the `metadata` object, or every other field. */
  metadataColumns?: string[];
  /** False (`--no-metadata`) ingests no metadata at all. */
  metadata: boolean;
}

export interface MappedRecord {
  id: IdKey;
  vector: ArrayLike<number>;
  metadata: Record<string, MetaScalar> | undefined;
  where: string;
}

const FLOAT32_MAX = 3.4028234663852886e38;
const I64_MIN = -(1n << 63n);

/**
 * Turns input rows into records for `ingestBatch`, checking everything the store would
 * check (id range, vector length and values, metadata types) so that a failure names the
 * input and the line or row, and no batch commits with a record the store would refuse.
 */
export class RecordMapper {
  private vectorFields: string[] | undefined;
  private readonly skipped: Set<string>;

  constructor(
    private readonly mapping: ColumnMapping,
    private readonly dimension: number,
    private readonly label: string,
  ) {
    const prefix = mapping.vectorColumns?.length === 1 && mapping.vectorColumns[0]!.endsWith('*');
    this.vectorFields = prefix ? undefined : mapping.vectorColumns;
    this.skipped = new Set([
      mapping.idColumn,
      mapping.vectorColumn,
      'metadata',
      ...(mapping.vectorColumns ?? []),
    ]);
  }

  /** The fields a columnar reader has to read, or undefined for all of them. */
  columnsToRead(): string[] | undefined {
    const m = this.mapping;
    if (m.vectorColumns?.some((c) => c.endsWith('*'))) return undefined;
    if (m.metadata && !m.metadataColumns) return undefined;
    return [
      ...(m.firstId === undefined ? [m.idColumn] : []),
      ...(m.vectorColumns ?? [m.vectorColumn]),
      ...(m.metadata ? (m.metadataColumns ?? []) : []),
    ];
  }

  map(row: InputRow, index: number): MappedRecord {
    const at = `${this.label} ${row.where}`;
    return {
      id: this.id(row, index, at),
      vector: this.vector(row, at),
      metadata: this.metadata(row, at),
      where: row.where,
    };
  }

  private id(row: InputRow, index: number, at: string): IdKey {
    const { firstId, idColumn } = this.mapping;
    if (firstId !== undefined) {
      const id = BigInt(firstId) + BigInt(index);
      if (id > MAX_U64) throw rvfError('InvalidId', `${at}: --first-id + ${index} is beyond the u64 range`);
      return id <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : id;
    }
    const value = row.fields[idColumn];
    if (value === undefined || value === null) {
      throw rvfError(
        'InvalidRecord',
        `${at}: no '${idColumn}' field (${this.fieldList(row)}); name the id with --id-column, or number the records with --first-id`,
      );
    }
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
    let big: bigint | undefined;
    if (typeof value === 'bigint') big = value;
    else if (typeof value === 'string' && /^\d+$/.test(value)) big = BigInt(value);
    if (big === undefined || big < 0n || big > MAX_U64) {
      throw rvfError(
        'InvalidId',
        `${at}: id ${describeValue(value)} is not a u64 (an integer from 0 to 2^64-1)`,
      );
    }
    return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }

  private vector(row: InputRow, at: string): ArrayLike<number> {
    let values: ArrayLike<unknown>;
    if (this.mapping.vectorColumns) {
      this.vectorFields ??= this.resolvePrefix(row, at);
      values = this.vectorFields.map((name) => {
        const v = row.fields[name];
        if (v === undefined || v === null)
          throw rvfError('InvalidRecord', `${at}: no value in vector column '${name}'`);
        return v;
      });
    } else {
      const name = this.mapping.vectorColumn;
      const v = row.fields[name];
      if (v === undefined || v === null) {
        throw rvfError(
          'InvalidRecord',
          `${at}: no '${name}' field (${this.fieldList(row)}); name the vector with --vector-column or --vector-columns`,
        );
      }
      values = vectorValue(v, at, name);
    }
    if (values.length !== this.dimension) {
      throw rvfError(
        'DimensionMismatch',
        `${at}: the vector has ${values.length} components, the store's dimension is ${this.dimension}`,
      );
    }
    for (let d = 0; d < values.length; d++) {
      const v = values[d];
      if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > FLOAT32_MAX) {
        throw rvfError(
          'DimensionMismatch',
          `${at}: vector component ${d} is ${describeValue(v)}, not a finite float32`,
        );
      }
    }
    return values as ArrayLike<number>;
  }

  private resolvePrefix(row: InputRow, at: string): string[] {
    const prefix = this.mapping.vectorColumns![0]!.slice(0, -1);
    const names = Object.keys(row.fields).filter((k) => k.startsWith(prefix));
    if (names.length === 0) {
      throw rvfError('InvalidRecord', `${at}: no field starts with '${prefix}' (${this.fieldList(row)})`);
    }
    for (const n of names) this.skipped.add(n);
    return names;
  }

  private metadata(row: InputRow, at: string): Record<string, MetaScalar> | undefined {
    const m = this.mapping;
    if (!m.metadata) return undefined;
    let entries: [string, unknown][];
    const nested = row.fields.metadata;
    if (m.metadataColumns) entries = m.metadataColumns.map((c) => [c, row.fields[c]]);
    else if (
      nested !== null &&
      typeof nested === 'object' &&
      !Array.isArray(nested) &&
      !(nested instanceof Date)
    ) {
      entries = Object.entries(nested);
    } else entries = Object.entries(row.fields).filter(([k]) => !this.skipped.has(k));
    const out: Record<string, MetaScalar> = {};
    let any = false;
    for (const [name, value] of entries) {
      const v = metadataValue(value, `${at}: metadata field '${name}'`);
      if (v === undefined) continue;
      out[name] = v;
      any = true;
    }
    return any ? out : undefined;
  }

  private fieldList(row: InputRow): string {
    const names = Object.keys(row.fields);
    return names.length === 0 ? 'the record has no fields' : `its fields: ${names.join(', ')}`;
  }
}

/** A vector as the formats carry it: an array, a typed array, or text ("[1,2]" or "1 2" in a CSV cell). */
function vectorValue(v: unknown, at: string, name: string): ArrayLike<unknown> {
  if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) return v as ArrayLike<unknown>;
  if (typeof v === 'string') {
    const text = v.trim();
    if (text.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (Array.isArray(parsed)) return parsed;
      } catch {
        // reported below
      }
      throw rvfError('DimensionMismatch', `${at}: field '${name}' is not a JSON array of numbers`);
    }
    return text === '' ? [] : text.split(/[\s,;]+/).map((t) => (t === '' ? Number.NaN : Number(t)));
  }
  throw rvfError('DimensionMismatch', `${at}: field '${name}' is ${describeValue(v)}, not a vector`);
}

/** A metadata value the store can hold, undefined for none (null, an empty cell), or a coded failure. */
function metadataValue(value: unknown, where: string): MetaScalar | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
  } else if (typeof value === 'bigint') {
    if (value >= I64_MIN && value <= MAX_U64) return value;
  } else if (value instanceof Date) {
    // Parquet timestamps: kept as ISO text, which sorts and compares in time order.
    return value.toISOString();
  }
  throw rvfError(
    'InvalidMetadata',
    `${where} is ${describeValue(value)}; metadata values are strings, finite numbers or 64-bit integers (choose the fields with --metadata-columns)`,
  );
}
