import type { MetaValue } from '@rvfjs/wire';
import { type FieldTable, type MetaObject, metadataToObject } from './metadata.js';

export type MetaFields = MetaValue[] | undefined;

/** A lazily built array of values; several columns may share one until they write. */
interface Cell {
  values?: MetaFields[];
  build?: () => MetaFields[];
  /** Does one slice of the build (see MetadataColumn.advance); true once it is done. */
  advance?: () => boolean;
}

/**
 * A deferred step: changes `values` in place, either all at once or, as a generator, in
 * slices (each `yield` marks a point where the work may pause). Whatever else a plain step
 * returns is ignored.
 */
export type DeferredStep = (values: MetaFields[]) => unknown;

const isIterator = (x: unknown): x is Iterator<unknown> =>
  typeof x === 'object' && x !== null && typeof (x as Iterator<unknown>).next === 'function';

function valuesOf(cell: Cell): MetaFields[] {
  if (!cell.values) {
    // Kept until it succeeds: a failing build throws again on the next read.
    cell.values = cell.build!();
    cell.build = undefined;
  }
  return cell.values;
}

/**
 * Metadata by ordinal. Two properties keep opening and branching cheap:
 * - lazy: a loader defers decoding until the first read, or until the store works through it
 *   in the background a slice at a time (see advance);
 * - copy-on-write: a fork shares the values with its source, and whichever side writes
 *   first copies them.
 * Ordinals past the end read as undefined.
 */
export class MetadataColumn {
  private cell: Cell = { values: [] };
  /** False while the cell may be shared with a fork: the next write copies it. */
  private exclusive = true;
  /**
   * Object forms by ordinal, built on a record's first conversion and copied for each
   * result after: building one costs a name lookup and a BigInt conversion per field, which
   * measured several times the cost of copying a finished object. Valid for `objectNames`
   * at `objectNamesVersion` (naming a field changes the keys). Not shared with forks.
   */
  private objects: (MetaObject | undefined)[] = [];
  private objectNames: FieldTable | undefined;
  private objectNamesVersion = -1;
  /**
   * Ordinals set since the last takeChanges(), so an index over the metadata can follow
   * writes instead of being rebuilt; undefined once the list outgrew the column (rebuilding
   * is then no dearer than replaying it).
   */
  private changed: number[] | undefined = [];

  get(ordinal: number): MetaFields {
    return valuesOf(this.cell)[ordinal];
  }

  set(ordinal: number, fields: MetaFields): void {
    const values = this.own();
    values[ordinal] = fields;
    if (ordinal < this.objects.length) this.objects[ordinal] = undefined;
    if (this.changed) {
      this.changed.push(ordinal);
      if (this.changed.length > Math.max(1024, values.length)) this.changed = undefined;
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
    if (this.objectNames !== names || this.objectNamesVersion !== names.version) {
      this.objects = new Array(valuesOf(this.cell).length);
      this.objectNames = names;
      this.objectNamesVersion = names.version;
    }
    // A cached form is current (writes and defers drop theirs), so the record itself is not
    // read: one memory access less per hit, which is most of the cost here.
    let built = this.objects[ordinal];
    if (built === undefined) {
      const fields = this.get(ordinal);
      if (fields === undefined) return undefined;
      built = metadataToObject(fields, names);
      this.objects[ordinal] = built;
    }
    return { ...built };
  }

  /** Every ordinal's fields, for scans (read-only: write through `set`). */
  all(): readonly MetaFields[] {
    return valuesOf(this.cell);
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
    const before = this.cell;
    const cell: Cell = {};
    // The copy being built and the step's remaining slices; dropped on failure, so the
    // next attempt starts again from a fresh copy.
    let work: { values: MetaFields[]; slices: Iterator<unknown> | undefined } | undefined;
    const run = (oneSlice: boolean): boolean => {
      try {
        if (!work) {
          const values = valuesOf(before).slice();
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
      cell.build = cell.advance = undefined;
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
    this.objectNames = undefined;
    this.changed = undefined;
  }

  /**
   * Does one slice of the deferred work (a whole plain step, or one slice of a generator
   * step) without exposing partial values: reads in between still see the column as
   * pending and finish the rest themselves. Returns true once nothing is pending. This lets
   * a store decode metadata in the background, in pieces, between foreground work.
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

  private own(): MetaFields[] {
    if (!this.exclusive) {
      this.cell = { values: valuesOf(this.cell).slice() };
      this.exclusive = true;
    }
    return valuesOf(this.cell);
  }
}
