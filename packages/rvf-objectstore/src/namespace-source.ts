import { rvfError } from '@rvfjs/types';
import type { ByteSource } from '@rvfjs/wire';
import { getRange, type ObjectStore } from './bucket.js';
import { objectKey } from './layout.js';
import type { NamespaceManifest, Version } from './manifest.js';

/**
 * One version of a namespace as a byte source: the concatenation of its objects. A read
 * that spans objects is one ranged GET per object it touches, made together. The objects
 * are immutable, so what a reader sees never changes under it: a newer version is a new
 * source (or the reader keeps reading this one until a delete removes its objects).
 */
export function versionSource(store: ObjectStore, manifest: NamespaceManifest, version: Version): ByteSource {
  const objects = manifest.objects.slice(version.first, version.end);
  /** starts[i]: the offset in the file of objects[i]'s first byte. */
  const starts: number[] = [];
  let at = 0;
  for (const o of objects) {
    starts.push(at);
    at += o.size;
  }
  const size = version.size;
  const what = `namespace '${manifest.name}' version ${version.version}`;
  return {
    size,
    async read(offset, length) {
      if (
        !Number.isSafeInteger(offset) ||
        !Number.isSafeInteger(length) ||
        offset < 0 ||
        length < 0 ||
        offset + length > size
      ) {
        throw rvfError(
          'TruncatedSegment',
          `${what}: read of ${length} bytes at ${offset} runs past the end (${size})`,
          {
            offset,
          },
        );
      }
      const out = new Uint8Array(length);
      if (length === 0) return out;
      // The last object starting at or before `offset` (binary search).
      let lo = 0;
      let hi = objects.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid]! <= offset) lo = mid;
        else hi = mid - 1;
      }
      const reads: Promise<void>[] = [];
      for (let i = lo; i < objects.length && starts[i]! < offset + length; i++) {
        const from = Math.max(offset, starts[i]!);
        const to = Math.min(offset + length, starts[i]! + objects[i]!.size);
        if (to <= from) continue;
        reads.push(
          getRange(store, objectKey(store, objects[i]!.id), from - starts[i]!, to - from).then((bytes) =>
            out.set(bytes, from - offset),
          ),
        );
      }
      await Promise.all(reads);
      return out;
    },
  };
}
