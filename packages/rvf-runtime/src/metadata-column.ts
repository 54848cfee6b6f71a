import type { MetaValue } from '@rvfjs/wire';

export type MetaFields = MetaValue[] | undefined;

/** A lazily built array of values; several columns may share one until they write. */
interface Cell {
  values?: MetaFields[];
  build?: () => MetaFields[];
}

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
 * - lazy: a loader defers decoding until the first read (an unfiltered query never needs it);
 * - copy-on-write: a fork shares the values with its source, and whichever side writes
 *   first copies them.
 * Ordinals past the end read as undefined.
 */
export class MetadataColumn {
  private cell: Cell = { values: [] };
  /** False while the cell may be shared with a fork: the next write copies it. */
  private exclusive = true;

  get(ordinal: number): MetaFields {
    return valuesOf(this.cell)[ordinal];
  }

  set(ordinal: number, fields: MetaFields): void {
    this.own()[ordinal] = fields;
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
  defer(step: (values: MetaFields[]) => void): void {
    const before = this.cell;
    this.cell = {
      build: () => {
        const values = valuesOf(before).slice();
        step(values);
        return values;
      },
    };
    this.exclusive = true;
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
