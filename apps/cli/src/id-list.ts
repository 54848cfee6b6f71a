import type { IdInput } from '@rvfjs/runtime';
import { MAX_U64 } from '@rvfjs/types';
import { usageError } from './usage-error.js';

/** `--ids 3,4,18446744073709551615`: numbers, and bigints beyond 2^53. */
export function parseIds(text: string): IdInput[] {
  return text.split(',').map((t) => {
    const s = t.trim();
    if (!/^\d+$/.test(s) || BigInt(s) > MAX_U64) throw usageError('InvalidId', `--ids: '${s}' is not a u64`);
    const b = BigInt(s);
    return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
  });
}
