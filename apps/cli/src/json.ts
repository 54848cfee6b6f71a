/** JSON for humans and pipes: bigints become decimal strings (JSON has no u64), typed arrays become arrays. */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(
    value,
    (_k, v) =>
      typeof v === 'bigint'
        ? v.toString()
        : ArrayBuffer.isView(v) && !(v instanceof DataView)
          ? Array.from(v as Float32Array)
          : v,
    indent,
  );
}
