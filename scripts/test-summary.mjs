// Sums vitest's per-package "Tests  N passed | M failed" lines from a turbo log into one
// closing line "tests: N passed, M failed", the form CI reads.
import { readFileSync } from 'node:fs';

const text = readFileSync(process.argv[2], 'utf8').replace(
  new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'),
  '',
);
let passed = 0;
let failed = 0;
let skipped = 0;
for (const line of text.split('\n')) {
  const m = /^\S*\s*Tests\s+(.*)\(\d+\)\s*$/.exec(line.replace(/^[^:]*:\s*/, ''));
  if (!m) continue;
  for (const part of m[1].split('|')) {
    const [, n, what] = /(\d+)\s+(\w+)/.exec(part.trim()) ?? [];
    if (what === 'passed') passed += Number(n);
    else if (what === 'failed') failed += Number(n);
    else if (what === 'skipped') skipped += Number(n);
  }
}
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
