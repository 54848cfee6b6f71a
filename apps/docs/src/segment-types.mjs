/** The segment-type table of the format page, generated from `SegmentType` in @rvfjs/types. */
import { loadTypes } from './load-types.mjs';

const hex = (n, width) => `0x${n.toString(16).toUpperCase().padStart(width, '0')}`;

/** Every segment type code @rvfjs/types knows, with the name `segments()` prints. */
export async function segmentTypeTable() {
  const { SegmentType, segmentTypeName, isRvfjsExtension } = await loadTypes();
  const rows = Object.entries(SegmentType)
    .sort((a, b) => a[1] - b[1])
    .map(
      ([key, code]) =>
        `| \`${hex(code, 2)}\` | \`${segmentTypeName(code)}\` | \`SegmentType.${key}\` | ${isRvfjsExtension(code) ? 'rvfjs extension' : 'reference'} |`,
    );
  return [
    '| Code | `segments()` name | Constant | Defined by |',
    '|------|------|------|------|',
    ...rows,
  ].join('\n');
}
