import type { Filter } from './filter.js';
import type { VectorTable } from './vector-table.js';

/** A field's numeric values in ascending order, each with its ordinal. */
interface SortedColumn {
  values: Float64Array;
  ordinals: Uint32Array;
}

/**
 * Per-field postings over the table's metadata, used to plan filtered queries: for a filter
 * it yields a *superset* of the matching ordinals (often exactly them), as a bitset, cheaply.
 * The planner then knows how selective the filter is, and the exact engine scans only those
 * ordinals. Every candidate is still checked with the real predicate, so a loose superset
 * costs time, never correctness.
 *
 * That is also what lets it follow writes without a rebuild: a rewritten ordinal's new
 * fields are added and its old entries simply stay (they can only widen the superset).
 * New numeric values wait in a small unsorted list that candidates() scans and that is
 * merged into the sorted column once it reaches an eighth of it. When the entries have
 * doubled since the last full build, update() asks for a rebuild, so stale entries never
 * outnumber live ones and the work per write stays constant on average.
 */
export class MetadataIndex {
  /** field → value key → ordinals. Keys: 's:' + string, 'n:' + number. */
  private readonly postings = new Map<number, Map<string, number[]>>();
  /** field → numeric values sorted, with their ordinals. */
  private readonly columns = new Map<number, SortedColumn>();
  /** field → numeric values added since the column was last merged, unsorted. */
  private readonly recent = new Map<number, { v: number; o: number }[]>();
  /** field → every ordinal that has the field. */
  private readonly present = new Map<number, number[]>();
  /** Postings entries in all, and as of the last full build. */
  private entries = 0;
  private readonly builtEntries: number;
  /** One bit per ordinal taken in by update(): its old entries may still be listed. */
  private touched = new Uint32Array(0);

  constructor(readonly table: VectorTable) {
    for (let ord = 0; ord < table.count; ord++) this.add(ord);
    for (const field of this.recent.keys()) this.merge(field);
    this.builtEntries = this.entries;
  }

  /** One bit per ordinal the table has now. */
  get words(): number {
    return Math.ceil(this.table.count / 32);
  }

  /**
   * Takes in the ordinals whose metadata was set since the index was built or last updated.
   * Returns false when a rebuild is due instead (the index is then unchanged in meaning but
   * looser than it should be).
   */
  update(ordinals: readonly number[]): boolean {
    for (const ord of ordinals) {
      if (ord >>> 5 >= this.touched.length) {
        const grown = new Uint32Array(Math.max(this.words, (ord >>> 5) + 1, this.touched.length * 2));
        grown.set(this.touched);
        this.touched = grown;
      }
      this.touched[ord >>> 5]! |= 1 << (ord & 31);
      this.add(ord);
    }
    for (const [field, list] of this.recent) {
      if (list.length > Math.max(256, (this.columns.get(field)?.values.length ?? 0) / 8)) this.merge(field);
    }
    return this.entries <= 2 * this.builtEntries + 1024;
  }

  private add(ord: number): void {
    this.adding = ord;
    this.table.metadata.forEachValue(ord, this.addValue);
  }

  /** The ordinal add() is taking in (addValue is called back per field, without a closure per record). */
  private adding = 0;

  private readonly addValue = (fieldId: number, value: string | number | bigint): void => {
    const ord = this.adding;
    let byValue = this.postings.get(fieldId);
    if (!byValue) {
      byValue = new Map();
      this.postings.set(fieldId, byValue);
    }
    const key = valueKey(value);
    const list = byValue.get(key);
    if (list) {
      if (list[list.length - 1] !== ord) list.push(ord);
    } else byValue.set(key, [ord]);
    this.entries++;
    const p = this.present.get(fieldId);
    if (p) {
      if (p[p.length - 1] !== ord) p.push(ord);
    } else this.present.set(fieldId, [ord]);
    if (typeof value !== 'string') {
      let col = this.recent.get(fieldId);
      if (!col) {
        col = [];
        this.recent.set(fieldId, col);
      }
      col.push({ v: Number(value), o: ord });
    }
  };

  /** Sorts a field's recent numeric values into its column. */
  private merge(field: number): void {
    const add = this.recent.get(field) ?? [];
    this.recent.delete(field);
    add.sort((a, b) => a.v - b.v);
    const old = this.columns.get(field) ?? { values: new Float64Array(0), ordinals: new Uint32Array(0) };
    const n = old.values.length + add.length;
    const values = new Float64Array(n);
    const ordinals = new Uint32Array(n);
    for (let i = 0, j = 0, k = 0; k < n; k++) {
      if (j >= add.length || (i < old.values.length && old.values[i]! <= add[j]!.v)) {
        values[k] = old.values[i]!;
        ordinals[k] = old.ordinals[i++]!;
      } else {
        values[k] = add[j]!.v;
        ordinals[k] = add[j++]!.o;
      }
    }
    this.columns.set(field, { values, ordinals });
  }

  /**
   * True when candidates(filter) holds exactly the matching ordinals, apart from those
   * mayBeStale() names: equality and membership tests answered from the postings (where a
   * value's key is equal exactly when compare() says equal), and ands and ors of them.
   * Ranges are not (their bounds are widened for rounding), nor `ne` and `not`.
   */
  isExact(filter: Filter): boolean {
    switch (filter.op) {
      case 'eq':
      case 'in':
        return true;
      case 'and':
      case 'or':
        return filter.children.every((c) => this.isExact(c));
      default:
        return false;
    }
  }

  /** True for an ordinal rewritten since the last full build (its old values may linger). */
  mayBeStale(ordinal: number): boolean {
    const w = ordinal >>> 5;
    return w < this.touched.length && ((this.touched[w]! >>> (ordinal & 31)) & 1) === 1;
  }

  /** A bitset (one bit per ordinal) containing every ordinal the filter may match. */
  candidates(filter: Filter): Uint32Array {
    switch (filter.op) {
      case 'and': {
        let acc: Uint32Array | undefined;
        for (const c of filter.children) {
          const b = this.candidates(c);
          if (!acc) acc = b;
          else for (let i = 0; i < acc.length; i++) acc[i]! &= b[i]!;
        }
        return acc ?? this.all();
      }
      case 'or': {
        const acc = this.none();
        for (const c of filter.children) {
          const b = this.candidates(c);
          for (let i = 0; i < acc.length; i++) acc[i]! |= b[i]!;
        }
        return acc;
      }
      case 'not':
        // The complement of a superset is not a superset; stay safe.
        return this.all();
      case 'eq':
        return this.fromList(this.postings.get(filter.fieldId)?.get(valueKey(filter.value)));
      case 'in': {
        const acc = this.none();
        const byValue = this.postings.get(filter.fieldId);
        for (const v of filter.values) setAll(acc, byValue?.get(valueKey(v)));
        return acc;
      }
      case 'ne':
        return this.fromList(this.present.get(filter.fieldId));
      default: {
        // lt / le / gt / ge / range: strings are rare here; keep them to "has the field".
        const bounds = numericBounds(filter);
        if (!bounds) return this.fromList(this.present.get(filter.fieldId));
        const acc = this.none();
        const col = this.columns.get(filter.fieldId);
        if (col) {
          const lo = lowerBound(col.values, bounds.low);
          for (let i = lo; i < col.values.length && col.values[i]! <= bounds.high; i++) {
            const o = col.ordinals[i]!;
            acc[o >>> 5]! |= 1 << (o & 31);
          }
        }
        for (const { v, o } of this.recent.get(filter.fieldId) ?? []) {
          if (v >= bounds.low && v <= bounds.high) acc[o >>> 5]! |= 1 << (o & 31);
        }
        return acc;
      }
    }
  }

  private all(): Uint32Array {
    const b = new Uint32Array(this.words).fill(0xffffffff);
    const extra = this.words * 32 - this.table.count;
    if (extra > 0 && this.words > 0) b[this.words - 1] = 0xffffffff >>> extra;
    return b;
  }

  private none(): Uint32Array {
    return new Uint32Array(this.words);
  }

  private fromList(list: number[] | undefined): Uint32Array {
    const b = this.none();
    setAll(b, list);
    return b;
  }
}

function setAll(bits: Uint32Array, list: number[] | undefined): void {
  if (!list) return;
  for (const o of list) bits[o >>> 5]! |= 1 << (o & 31);
}

function valueKey(v: string | number | bigint): string {
  if (typeof v === 'string') return `s:${v}`;
  // Integers compare equal across number/bigint (3 == 3n), so they share a key: a safe
  // integer prints the same digits either way (no BigInt needed), larger ones go through one.
  if (typeof v === 'bigint' || Number.isSafeInteger(v)) return `n:${v}`;
  return Number.isInteger(v) ? `n:${BigInt(v).toString()}` : `n:${v}`;
}

function numericBounds(f: Filter): { low: number; high: number } | undefined {
  const num = (v: unknown) => (typeof v === 'number' || typeof v === 'bigint' ? Number(v) : undefined);
  // Number() of a bigint may round (stored values went through it too): widen the bounds by
  // a relative step on both sides so that no match falls just outside.
  const slack = (x: number) => Math.abs(x) * 1e-15 + Number.MIN_VALUE;
  switch (f.op) {
    case 'lt':
    case 'le': {
      const v = num(f.value);
      return v === undefined ? undefined : { low: Number.NEGATIVE_INFINITY, high: v + slack(v) };
    }
    case 'gt':
    case 'ge': {
      const v = num(f.value);
      return v === undefined ? undefined : { low: v - slack(v), high: Number.POSITIVE_INFINITY };
    }
    case 'range': {
      const lo = num(f.low);
      const hi = num(f.high);
      return lo === undefined || hi === undefined ? undefined : { low: lo - slack(lo), high: hi + slack(hi) };
    }
    default:
      return undefined;
  }
}

function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function popcount(bits: Uint32Array): number {
  let n = 0;
  for (let i = 0; i < bits.length; i++) {
    let v = bits[i]!;
    v -= (v >>> 1) & 0x55555555;
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    n += (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  return n;
}

/** Ordinals whose bit is set, ascending. */
export function bitsToOrdinals(bits: Uint32Array, count: number): Uint32Array {
  const out = new Uint32Array(count);
  let k = 0;
  for (let w = 0; w < bits.length; w++) {
    let v = bits[w]!;
    while (v !== 0) {
      const t = v & -v;
      out[k++] = w * 32 + (31 - Math.clz32(t));
      v ^= t;
    }
  }
  return out.subarray(0, k);
}
