import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The reference's golden files live in ../shared/golden beside the repository (as in CI).
 * RVF_GOLDEN_DIR overrides. A missing folder fails loudly rather than skipping tests.
 */
export const GOLDEN_DIR =
  process.env.RVF_GOLDEN_DIR ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/golden');

if (!existsSync(GOLDEN_DIR)) {
  throw new Error(`golden files not found at ${GOLDEN_DIR}: clone next to shared/ or set RVF_GOLDEN_DIR`);
}

export const goldenNames = (): string[] =>
  readdirSync(GOLDEN_DIR)
    .filter((f) => f.endsWith('.rvf'))
    .map((f) => f.slice(0, -4))
    .sort();

export const goldenBytes = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(join(GOLDEN_DIR, `${name}.rvf`)));
// biome-ignore lint/suspicious/noExplicitAny: sidecars are free-form JSON written by the reference's script
export const goldenJson = (name: string): any =>
  JSON.parse(readFileSync(join(GOLDEN_DIR, `${name}.json`), 'utf8'));

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
