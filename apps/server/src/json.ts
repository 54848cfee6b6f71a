/**
 * The one JSON serializer of the server. JSON has no u64: a bigint that is a safe integer
 * becomes a number, any other bigint a decimal string (ids beyond 2^53, u64/i64 metadata,
 * nanosecond timestamps). The library already hands out safe ids as numbers, so an id is a
 * string in a response exactly when it is beyond 2^53 — the same rule as its NDJSON export.
 */
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint')
    return value >= -MAX_SAFE && value <= MAX_SAFE ? Number(value) : value.toString();
  return value;
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, jsonReplacer);
}
