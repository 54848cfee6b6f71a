/**
 * Loads the reference implementation (`@ruvector/rvf-node`, a native Rust addon) and
 * offers the comparisons the interop suite repeats. Loading failures are errors, never
 * skips: the interop tests are meant to run on every machine that builds this package.
 */
import { createRequire } from 'node:module';
import type * as RefModule from '@ruvector/rvf-node';
import { isRvfjsExtension, SegmentType, segmentTypeName } from '@rvfjs/types';
import { expect } from 'vitest';

export const REFERENCE_VERSION = '0.2.3';

const require = createRequire(import.meta.url);

function loadReference(): typeof RefModule {
  let mod: typeof RefModule;
  try {
    mod = require('@ruvector/rvf-node') as typeof RefModule;
  } catch (e) {
    throw new Error(
      `The reference implementation @ruvector/rvf-node@${REFERENCE_VERSION} failed to load (${(e as Error).message}). ` +
        'It is a devDependency of @rvfjs/runtime with a native optional dependency ' +
        '(@ruvector/rvf-node-linux-x64-gnu on this platform): run `pnpm install` in the workspace, and if pnpm skipped ' +
        'the native package, add it explicitly with `pnpm add -D @ruvector/rvf-node-<platform>@0.2.2`.',
    );
  }
  if (typeof mod.RvfDatabase?.create !== 'function') {
    throw new Error('@ruvector/rvf-node loaded but exports no RvfDatabase class: wrong package version?');
  }
  const version = (require('@ruvector/rvf-node/package.json') as { version: string }).version;
  if (version !== REFERENCE_VERSION) {
    throw new Error(`expected @ruvector/rvf-node@${REFERENCE_VERSION}, found ${version}`);
  }
  return mod;
}

export const { RvfDatabase } = loadReference();
export type RefDatabase = RefModule.RvfDatabase;

export interface Hit {
  id: unknown;
  distance: number;
}

/** Same ids in the same order; distances equal within 1e-5 relative (plus 1e-6 absolute, for distances near 0). */
export function expectSameHits(got: readonly Hit[], want: readonly Hit[], label: string): void {
  expect(
    got.map((h) => Number(h.id)),
    `${label}: ids`,
  ).toEqual(want.map((h) => Number(h.id)));
  got.forEach((h, i) => {
    const w = want[i]!.distance;
    const tol = 1e-5 * Math.max(Math.abs(w), Math.abs(h.distance)) + 1e-6;
    expect(
      Math.abs(h.distance - w),
      `${label}: distance of hit ${i} (id ${String(h.id)}): ${h.distance} vs ${w}`,
    ).toBeLessThanOrEqual(tol);
  });
}

export interface SegmentRow {
  id: number;
  offset: number;
  payloadLength: number;
  segType: string;
}

const codeByName = new Map<string, number>(
  Object.values(SegmentType).map((code) => [segmentTypeName(code), code]),
);

/**
 * Our `segments()` as the reference's binding prints the same directory: rvfjs extension
 * segments (0x40..0x4F) have no name there and show as `unknown(0xNN)`.
 */
export function asReferenceSegments(ours: readonly SegmentRow[]): SegmentRow[] {
  return ours.map((s) => {
    const code = codeByName.get(s.segType);
    const segType =
      code !== undefined && isRvfjsExtension(code)
        ? `unknown(0x${code.toString(16).padStart(2, '0')})`
        : s.segType;
    return { id: s.id, offset: s.offset, payloadLength: s.payloadLength, segType };
  });
}

/** The reference reads back the directory we wrote: same ids, offsets, lengths and types. */
export function expectSameSegments(
  ref: readonly SegmentRow[],
  ours: readonly SegmentRow[],
  label: string,
): void {
  expect(
    ref.map((s) => ({ ...s })),
    `${label}: segments()`,
  ).toEqual(asReferenceSegments(ours));
}

/** The reference's query with an optional filter object (it takes filters as JSON text). */
export function refQuery(db: RefDatabase, q: Float32Array, k: number, filter?: unknown): Hit[] {
  return db.query(q, k, filter === undefined ? undefined : { filter: JSON.stringify(filter) });
}
