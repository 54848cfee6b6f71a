import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32, referenceDistance } from '@rvfjs/test-kit';
import { SegmentType } from '@rvfjs/types';
import { bytesSource, encodeManifestPayload, encodeSegment, findLatestManifest } from '@rvfjs/wire';

export const GOLDEN_DIR =
  process.env.RVF_GOLDEN_DIR ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/golden');
if (!existsSync(GOLDEN_DIR))
  throw new Error(`golden files not found at ${GOLDEN_DIR}: clone next to shared/ or set RVF_GOLDEN_DIR`);

// biome-ignore lint/suspicious/noExplicitAny: sidecars are free-form JSON written by the reference's script
export const goldenJson = (name: string): any =>
  JSON.parse(readFileSync(join(GOLDEN_DIR, `${name}.json`), 'utf8'));
export const goldenNames = (): string[] =>
  readdirSync(GOLDEN_DIR)
    .filter((f) => f.endsWith('.rvf'))
    .map((f) => f.slice(0, -4))
    .sort();

export { tempDir } from '@rvfjs/test-kit';

/** Seeded PRNG (mulberry32), so failures reproduce. */
export const rng = mulberry32;

export function randomVectors(n: number, dim: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) out[i] = r() * 2 - 1;
  return out;
}

/**
 * `n` vectors around `centers` Gaussian-ish blobs, seeded: clustered data is where graph
 * search earns its keep (uniform random data has no structure for a graph to use).
 */
export function clustered(n: number, dim: number, seed: number, centers = 60): Float32Array {
  const r = rng(seed);
  const cs = Array.from({ length: centers }, () => Array.from({ length: dim }, () => r() * 10 - 5));
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = cs[Math.floor(r() * cs.length)]!;
    for (let d = 0; d < dim; d++) out[i * dim + d] = c[d]! + (r() + r() + r() - 1.5) * 0.8;
  }
  return out;
}

/** Brute force in float64, independent of the library's kernels. */
export function bruteForce(
  vectors: Float32Array,
  ids: readonly number[],
  dim: number,
  metric: 'l2' | 'inner_product' | 'cosine',
  q: ArrayLike<number>,
  k: number,
  keep: (id: number, i: number) => boolean = () => true,
): { id: number; distance: number }[] {
  const out: { id: number; distance: number }[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (!keep(ids[i]!, i)) continue;
    const distance = referenceDistance(metric, vectors, q, dim, i * dim, 0);
    out.push({ id: ids[i]!, distance });
  }
  out.sort((a, b) => a.distance - b.distance || a.id - b.id);
  return out.slice(0, k);
}

/** Same ids in the same order, distances equal to f32 precision. */
export function expectSameResults(
  got: { id: unknown; distance: number }[],
  want: { id: number; distance: number }[],
  expect: (v: unknown) => { toEqual(x: unknown): void; toBeLessThanOrEqual(x: number): void },
): void {
  expect(got.map((r) => Number(r.id))).toEqual(want.map((r) => r.id));
  got.forEach((r, i) => {
    const w = want[i]!.distance;
    expect(Math.abs(r.distance - w)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(w)));
  });
}

/**
 * Appends one commit as another tool would write it: the given segments, then a MANIFEST
 * (epoch + 1) listing everything the previous one listed, plus that manifest and the new
 * segments (the way our own commits chain their directories).
 */
export async function appendCommit(
  path: string,
  segments: { segType: number; payload: Uint8Array }[],
): Promise<void> {
  const bytes = new Uint8Array(readFileSync(path));
  const found = await findLatestManifest(bytesSource(bytes));
  if (found.end !== bytes.length) throw new Error(`${path} does not end at its latest manifest`);
  const m = found.manifest;
  let segId = found.header.segmentId;
  for (const e of m.directory) if (e.segId > segId) segId = e.segId;
  const directory = [
    ...m.directory,
    {
      segId: found.header.segmentId,
      offset: found.offset,
      payloadLength: found.payload.length,
      segType: SegmentType.Manifest,
    },
  ];
  let offset = bytes.length;
  for (const { segType, payload } of segments) {
    segId++;
    const seg = encodeSegment(segType, segId, payload);
    directory.push({ segId, offset, payloadLength: payload.length, segType });
    appendFileSync(path, seg);
    offset += seg.length;
  }
  const manifest = encodeManifestPayload({ ...m, epoch: m.epoch + 1, directory });
  appendFileSync(path, encodeSegment(SegmentType.Manifest, segId + 1n, manifest));
}
