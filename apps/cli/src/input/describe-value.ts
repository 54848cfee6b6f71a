/** A value as a message names it: "an array", "null", "the string \"x\"". */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'bigint') return `the integer ${value}`;
  if (typeof value === 'object')
    return value instanceof Date ? `the date ${value.toISOString()}` : 'an object';
  // String() for numbers: JSON.stringify would print NaN and Infinity as null.
  const text = typeof value === 'number' ? String(value) : JSON.stringify(value);
  return `the ${typeof value} ${text.length > 40 ? `${text.slice(0, 37)}...` : text}`;
}
