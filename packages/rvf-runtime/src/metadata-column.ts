import type { MetaValue } from '@rvfjs/wire';
import { EncodedColumn } from './encoded-column.js';
import { type Filter, matchesEncoded } from './filter.js';
import type { FieldTable, MetaObject, MetaScalar } from './metadata.js';

export type MetaFields = MetaValue[] | undefined;

/** Lazily built values; several columns may share one until they write. */
interface Cell {
  values?: EncodedColumn;
  build?: () => EncodedColumn;
  /** Does one slice of the build (see MetadataColumn.advance); true once it is done. */
  advance?: () => boolean;
  /** Writes made while the cell was pending, applied after what it builds (see set). */
  writes?: [number, MetaFields][];
}

/**
 * A deferred step: changes `values` in place, either all at once or, as a generator, in
 * slices (each `yield` marks a point where the work may pause). Whatever else a plain step
 * returns is ignored.
 */
export type DeferredStep = (values: EncodedColumn) => unknown;

const isIterator = (x: unknown): x is Iterator<unknown> =>
  typeof x === 'object' && x !== null && typeof (x as Iterator<unknown>).next === 'function';

function valuesOf(cell: Cell): EncodedColumn {
  if (!cell.values) {
    // Kept until it succeeds: a failing build throws again on the next read.
    cell.values = cell.build!();
    cell.build = undefined;
  }
  return cell.values;
}

/**
 * Metadata by ordinal, kept encoded (EncodedColumn) and decoded per read. Three properties
 * keep opening, writing and branching cheap:
 * - lazy: a loader defers working out which record applies to which ordinal until the first
 *   read, or until the store works through it in the background a slice at a time (advance);
 * - writes do not wait for that: a write to a pending column is queued behind it, so a small
 *   ingest into a large store just opened touches none of the older records;
 * - copy-on-write: a fork shares the values with its source, and whichever side writes
 *   first copies them (two typed arrays; the bytes themselves are never changed in place).
 * Ordinals past the end read as undefined.
 */
export class MetadataColumn {
  private cell: Cell = { values: new EncodedColumn() };
  /** False while the cell may be shared with a fork: the next write copies it. */
  private exclusive = true;
  /**
   * Ordinals set since the last takeChanges(), so an index over the metadata can follow
   * writes instead of being rebuilt; undefined once the list outgrew the column (rebuilding
   * is then no dearer than replaying it).
   */
  private changed: number[] | undefined = [];

  /** The ordinal's fields, decoded afresh (the caller may keep or change them). */
  get(ordinal: number): MetaFields {
    return valuesOf(this.cell).get(ordinal);
  }

  /** True when the ordinal has metadata (an empty field list counts). */
  has(ordinal: number): boolean {
    return valuesOf(this.cell).has(ordinal);
  }

  set(ordinal: number, fields: MetaFields): void {
    if (this.cell.values === undefined) {
      // Pending: queue the write behind the deferred work rather than do it now. A cell
      // shared with a fork gets a step of its own, so the fork does not see the write.
      if (!this.cell.writes || !this.exclusive) {
        const writes: [number, MetaFields][] = [];
        this.deferStep((values) => {
          for (const [o, f] of writes) values.set(o, f);
        });
        this.cell.writes = writes;
      }
      this.cell.writes!.push([ordinal, fields]);
    } else {
      this.own().set(ordinal, fields);
    }
    if (this.changed) {
      this.changed.push(ordinal);
      if (this.changed.length > Math.max(1024, this.cell.values?.size ?? 0)) this.changed = undefined;
    }
  }

  /**
   * The ordinals set since the previous call (in order, possibly repeated), or undefined when
   * they are not known: too many to list, or the values were replaced wholesale (a deferred
   * step). Either way the list starts afresh.
   */
  takeChanges(): number[] | undefined {
    const changes = this.changed;
    this.changed = [];
    return changes;
  }

  /** The record's metadata as a fresh object (the caller may change it), or undefined. */
  objectOf(ordinal: number, names: FieldTable): MetaObject | undefined {
    return valuesOf(this.cell).objectOf(ordinal, names);
  }

  /** Whether the ordinal's metadata passes `filter`, read in place. */
  matches(ordinal: number, filter: Filter): boolean {
    return valuesOf(this.cell).read(ordinal, filter, matchesEncoded);
  }

  /** Calls `visit(fieldId, value)` for each field of the ordinal (integers up to 2^53 as numbers). */
  forEachValue(ordinal: number, visit: (fieldId: number, value: MetaScalar) => void): void {
    valuesOf(this.cell).forEachValue(ordinal, visit);
  }

  /** Every field id in use by some ordinal's metadata (a scan of every record). */
  fieldIds(): Set<number> {
    return valuesOf(this.cell).fieldIds();
  }

  /** One past the highest ordinal ever given metadata (or cleared). */
  get size(): number {
    return valuesOf(this.cell).size;
  }

  /** A twin holding the same values, constant time. */
  fork(): MetadataColumn {
    const twin = new MetadataColumn();
    twin.cell = this.cell;
    twin.exclusive = false;
    this.exclusive = false;
    return twin;
  }

  /**
   * Defers `step` to the first read: it receives a private copy of the values as they would
   * be without it and changes them in place. (Always a copy, so a step that throws part-way
   * leaves nothing half-applied for the next attempt; deferring on an empty column, the
   * usual case at load, copies nothing.)
   */
  defer(step: DeferredStep): void {
    this.deferStep(step);
    this.changed = undefined;
  }

  private deferStep(step: DeferredStep): void {
    const before = this.cell;
    const cell: Cell = {};
    // The copy being built and the step's remaining slices; dropped on failure, so the
    // next attempt starts again from a fresh copy.
    let work: { values: EncodedColumn; slices: Iterator<unknown> | undefined } | undefined;
    const run = (oneSlice: boolean): boolean => {
      try {
        if (!work) {
          const values = valuesOf(before).copy();
          const result = step(values);
          work = { values, slices: isIterator(result) ? result : undefined };
          if (oneSlice && work.slices) return false;
        }
        while (work.slices) {
          if (work.slices.next().done) work.slices = undefined;
          else if (oneSlice) return false;
        }
      } catch (e) {
        work = undefined;
        throw e;
      }
      cell.values = work.values;
      cell.build = cell.advance = cell.writes = undefined;
      work = undefined;
      return true;
    };
    cell.build = () => {
      run(false);
      return cell.values!;
    };
    cell.advance = () => {
      // An earlier deferred step still pending goes first, one slice at a time too.
      if (!work && before.values === undefined && before.advance) {
        before.advance();
        return false;
      }
      return run(true);
    };
    this.cell = cell;
    this.exclusive = true;
  }

  /**
   * Does one slice of the deferred work (a whole plain step, or one slice of a generator
   * step) without exposing partial values: reads in between still see the column as
   * pending and finish the rest themselves. Returns true once nothing is pending. This lets
   * a store work through loaded metadata in the background, in pieces, between foreground work.
   */
  advance(): boolean {
    if (this.cell.values !== undefined) return true;
    if (this.cell.advance) return this.cell.advance();
    valuesOf(this.cell);
    return true;
  }

  /** Builds deferred values now (errors surface here rather than at first use). */
  materialize(): void {
    valuesOf(this.cell);
  }

  /** True until the first read builds deferred values. */
  get pending(): boolean {
    return this.cell.values === undefined;
  }

  private own(): EncodedColumn {
    if (!this.exclusive) {
      this.cell = { values: valuesOf(this.cell).copy() };
      this.exclusive = true;
    }
    return valuesOf(this.cell);
  }
}
