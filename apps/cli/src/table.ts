/**
 * Plain aligned text for people: columns padded with spaces rather than box-drawing, so the
 * output stays greppable and pastes cleanly. Numbers are right-aligned.
 */
export interface Column {
  header: string;
  align?: 'left' | 'right';
}

export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        // The last left-aligned column is not padded: no trailing spaces.
        if (i === columns.length - 1 && c.align !== 'right') return cell;
        return c.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
      })
      .join('  ');
  return [line(columns.map((c) => c.header)), ...rows.map(line)].join('\n');
}

/** `label  value` lines with the labels padded to one width (a record, as `status` prints it). */
export function formatFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${`${label}:`.padEnd(width + 1)}  ${value}`).join('\n');
}

/** Integers with thousands separators, so large counts read at a glance. */
export function formatCount(n: number | bigint): string {
  return n.toLocaleString('en-US');
}

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const text = u === 0 ? String(v) : v.toFixed(1);
  return `${n < 0 ? '-' : ''}${text} ${units[u]}`;
}

/** Metadata as `k=v` pairs: shorter than JSON in a table cell. */
export function formatMetadata(metadata: Record<string, unknown> | undefined): string {
  if (!metadata) return '';
  return Object.entries(metadata)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
}
