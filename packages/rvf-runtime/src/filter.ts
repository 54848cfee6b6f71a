import { rvfError } from '@rvfjs/types';
import { someValue } from './encoded-fields.js';
import { type FieldTable, type MetaScalar, type MetaValue, typedValue } from './metadata.js';

/**
 * One filter dialect for the library, the CLI and the server: the reference's JSON object
 * form (`op`, `fieldId`, `valueType`, `value` / `values` / `low` / `high`, `children` /
 * `child`), extended so a field may be named (`field: 'category'`) and `valueType` may be
 * left out when the value's JavaScript type says it.
 */
export type FilterInput =
  | {
      op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
      value: MetaScalar;
      valueType?: string;
      fieldId?: number;
      field?: string;
    }
  | { op: 'in'; values: readonly MetaScalar[]; valueType?: string; fieldId?: number; field?: string }
  | { op: 'range'; low: MetaScalar; high: MetaScalar; valueType?: string; fieldId?: number; field?: string }
  | { op: 'and' | 'or'; children: readonly FilterInput[] }
  | { op: 'not'; child: FilterInput };

type CmpOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/** A validated filter; `fieldId` is -1 for a name the store has never seen (matches no vector). */
export type Filter =
  | { op: CmpOp; fieldId: number; value: MetaValue['value'] }
  | { op: 'in'; fieldId: number; values: MetaValue['value'][] }
  | { op: 'range'; fieldId: number; low: MetaValue['value']; high: MetaValue['value'] }
  | { op: 'and' | 'or'; children: Filter[] }
  | { op: 'not'; child: Filter };

/** Typed builders producing the same object form: `F.and(F.eq('genre', 'jazz'), F.lt('price', 10))`. */
export const F = {
  eq: (field: string | number, value: MetaScalar): FilterInput => ({ op: 'eq', ...fieldRef(field), value }),
  ne: (field: string | number, value: MetaScalar): FilterInput => ({ op: 'ne', ...fieldRef(field), value }),
  lt: (field: string | number, value: MetaScalar): FilterInput => ({ op: 'lt', ...fieldRef(field), value }),
  le: (field: string | number, value: MetaScalar): FilterInput => ({ op: 'le', ...fieldRef(field), value }),
  gt: (field: string | number, value: MetaScalar): FilterInput => ({ op: 'gt', ...fieldRef(field), value }),
  ge: (field: string | number, value: MetaScalar): FilterInput => ({ op: 'ge', ...fieldRef(field), value }),
  in: (field: string | number, values: readonly MetaScalar[]): FilterInput => ({
    op: 'in',
    ...fieldRef(field),
    values,
  }),
  /** low inclusive, high exclusive, as the reference's range. */
  range: (field: string | number, low: MetaScalar, high: MetaScalar): FilterInput => ({
    op: 'range',
    ...fieldRef(field),
    low,
    high,
  }),
  and: (...children: FilterInput[]): FilterInput => ({ op: 'and', children }),
  or: (...children: FilterInput[]): FilterInput => ({ op: 'or', children }),
  not: (child: FilterInput): FilterInput => ({ op: 'not', child }),
};

function fieldRef(field: string | number): { field: string } | { fieldId: number } {
  return typeof field === 'number' ? { fieldId: field } : { field };
}

const bad = (path: string, why: string) => rvfError('FilterParseError', `filter${path}: ${why}`);

/** Validates a filter (object or JSON text) against the store's field table. */
export function parseFilter(input: unknown, table: FieldTable, path = ''): Filter {
  if (typeof input === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch (cause) {
      throw rvfError('FilterParseError', `filter is not valid JSON: ${(cause as Error).message}`);
    }
    return parseFilter(parsed, table, path);
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw bad(path, 'must be an object');
  const f = input as Record<string, unknown>;
  const op = f.op;
  switch (op) {
    case 'and':
    case 'or': {
      if (!Array.isArray(f.children) || f.children.length === 0)
        throw bad(path, `'${op}' needs a non-empty children array`);
      return { op, children: f.children.map((c, i) => parseFilter(c, table, `${path}.children[${i}]`)) };
    }
    case 'not':
      if (f.child === undefined) throw bad(path, "'not' needs a child");
      return { op, child: parseFilter(f.child, table, `${path}.child`) };
    case 'eq':
    case 'ne':
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge':
      if (!('value' in f)) throw bad(path, `'${op}' needs a value`);
      return { op, fieldId: fieldOf(f, table, path), value: scalar(f, f.value, path) };
    case 'in':
      if (!Array.isArray(f.values)) throw bad(path, "'in' needs a values array");
      return { op, fieldId: fieldOf(f, table, path), values: f.values.map((v) => scalar(f, v, path)) };
    case 'range':
      if (!('low' in f) || !('high' in f)) throw bad(path, "'range' needs low and high");
      return {
        op,
        fieldId: fieldOf(f, table, path),
        low: scalar(f, f.low, path),
        high: scalar(f, f.high, path),
      };
    default:
      throw bad(path, `unknown op '${String(op)}' (eq, ne, lt, le, gt, ge, in, range, and, or, not)`);
  }
}

function fieldOf(f: Record<string, unknown>, table: FieldTable, path: string): number {
  if (typeof f.field === 'string') return table.idOf(f.field) ?? -1;
  if (typeof f.fieldId === 'number' && Number.isInteger(f.fieldId) && f.fieldId >= 0 && f.fieldId <= 0xffff) {
    return f.fieldId;
  }
  throw bad(path, 'needs a field name or a u16 fieldId');
}

function scalar(f: Record<string, unknown>, value: unknown, path: string): MetaValue['value'] {
  if (f.valueType !== undefined)
    return typedValue(0, f.valueType, value, `filter${path}`, 'FilterParseError').value;
  if (typeof value === 'string' || typeof value === 'bigint') return value;
  if (typeof value === 'number' && !Number.isNaN(value)) return value;
  throw bad(path, `${String(value)} is not a string, number or bigint`);
}

/** -1, 0, 1, or undefined when the two values cannot be ordered (string vs number, NaN). */
function compare(a: MetaValue['value'], b: MetaValue['value']): number | undefined {
  if (typeof a === 'string' || typeof b === 'string') {
    if (typeof a !== 'string' || typeof b !== 'string') return undefined;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'number' && Number.isNaN(a)) return undefined;
  if (typeof b === 'number' && Number.isNaN(b)) return undefined;
  // number/bigint comparisons are exact in JavaScript, across the two types.
  return a < b ? -1 : a > b ? 1 : 0;
}

type Leaf = Exclude<Filter, { op: 'and' | 'or' | 'not' }>;

/** Whether one value of the leaf's field satisfies the leaf's comparison. */
function passes(filter: Leaf, v: MetaValue['value']): boolean {
  switch (filter.op) {
    case 'in':
      for (const w of filter.values) if (compare(v, w) === 0) return true;
      return false;
    case 'range': {
      const lo = compare(v, filter.low);
      const hi = compare(v, filter.high);
      return lo !== undefined && hi !== undefined && lo >= 0 && hi < 0;
    }
    default: {
      const c = compare(v, filter.value);
      if (c === undefined) return false;
      const op = filter.op;
      return op === 'eq'
        ? c === 0
        : op === 'ne'
          ? c !== 0
          : op === 'lt'
            ? c < 0
            : op === 'le'
              ? c <= 0
              : op === 'gt'
                ? c > 0
                : c >= 0;
    }
  }
}

/**
 * Evaluates a filter against one vector's fields. A comparison is true when the vector has
 * the field and some value of it satisfies the comparison; a vector without the field fails
 * every comparison (including `ne`) and passes `not` of it.
 */
export function matches(filter: Filter, fields: readonly MetaValue[] | undefined): boolean {
  switch (filter.op) {
    case 'and':
      return filter.children.every((c) => matches(c, fields));
    case 'or':
      return filter.children.some((c) => matches(c, fields));
    case 'not':
      return !matches(filter.child, fields);
    default:
      if (fields)
        for (const f of fields) if (f.fieldId === filter.fieldId && passes(filter, f.value)) return true;
      return false;
  }
}

/**
 * matches() on a field list in its stored encoding (see encoded-fields.ts; `at` < 0: no
 * metadata), reading only the values of the fields the filter names. Values of up to 2^53
 * arrive as numbers rather than bigints, which compare() orders the same.
 */
export function matchesEncoded(filter: Filter, bytes: Uint8Array, view: DataView, at: number): boolean {
  switch (filter.op) {
    case 'and':
      for (const c of filter.children) if (!matchesEncoded(c, bytes, view, at)) return false;
      return true;
    case 'or':
      for (const c of filter.children) if (matchesEncoded(c, bytes, view, at)) return true;
      return false;
    case 'not':
      return !matchesEncoded(filter.child, bytes, view, at);
    default:
      return someValue(bytes, view, at, filter.fieldId, filter, passes);
  }
}
