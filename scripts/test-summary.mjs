// Reads the log of the test command (turbo running vitest in every package) and prints one
// closing line, "tests: N passed, M failed", the form CI reads, with the test files beside it.
//
//   node scripts/test-summary.mjs <log> [<exit status of the test command>]
//
// It exits non-zero when the log does not show a clean pass, so that a run CI reports as
// green really ran every test: a failed or skipped test, a test file that failed to load (it
// shows only in vitest's "Test Files" line), a package whose test task printed no summary
// (it crashed, or was cut off), or an exit status that disagrees with the counts.
import { readFileSync } from 'node:fs';

const [logPath, statusArg] = process.argv.slice(2);
const status = statusArg === undefined ? undefined : Number(statusArg);
const text = readFileSync(logPath, 'utf8').replace(
  new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'),
  '',
);

/** Per package (turbo's "<package>:test:" prefix): its vitest summary lines, as counts. */
const packages = new Map();
const countsOf = (summary) => {
  const out = { passed: 0, failed: 0, skipped: 0, todo: 0 };
  for (const part of summary.split('|')) {
    const [, n, what] = /(\d+)\s+(\w+)/.exec(part.trim()) ?? [];
    if (what in out) out[what] += Number(n);
  }
  return out;
};
for (const line of text.split('\n')) {
  const prefix = /^(\S+):test:/.exec(line);
  if (!prefix) continue;
  const name = prefix[1];
  if (!packages.has(name)) packages.set(name, { files: undefined, tests: undefined, noTests: false });
  const pkg = packages.get(name);
  const body = line.slice(prefix[0].length).trim();
  const files = /^Test Files\s+(.*)\(\d+\)\s*$/.exec(body);
  if (files) pkg.files = countsOf(files[1]);
  const tests = /^Tests\s+(.*)\(\d+\)\s*$/.exec(body);
  if (tests) pkg.tests = countsOf(tests[1]);
  if (/^Tests\s+no tests/.test(body)) pkg.noTests = true;
}

const total = { passed: 0, failed: 0, skipped: 0, files: 0, failedFiles: 0 };
const problems = [];
for (const [name, pkg] of packages) {
  if (!pkg.files) {
    problems.push(`${name}: no vitest summary (the test task crashed or was cut off)`);
    continue;
  }
  total.files += pkg.files.passed + pkg.files.failed + pkg.files.skipped;
  total.failedFiles += pkg.files.failed;
  if (pkg.files.failed > 0) problems.push(`${name}: ${pkg.files.failed} test file(s) failed or did not load`);
  if (pkg.files.skipped > 0) problems.push(`${name}: ${pkg.files.skipped} test file(s) skipped`);
  const t = pkg.tests ?? { passed: 0, failed: 0, skipped: 0, todo: 0 };
  if (!pkg.tests && !pkg.noTests) problems.push(`${name}: no test count`);
  total.passed += t.passed;
  total.failed += t.failed;
  total.skipped += t.skipped + t.todo;
  if (t.failed > 0) problems.push(`${name}: ${t.failed} test(s) failed`);
  if (t.skipped + t.todo > 0) problems.push(`${name}: ${t.skipped + t.todo} test(s) skipped`);
}
if (packages.size === 0) problems.push('no package ran its tests');
if (status !== undefined && status !== 0 && problems.length === 0)
  problems.push(`the test command exited ${status}, yet every count above is a pass`);

console.log(
  `tests: ${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}` +
    ` (${total.files} files in ${packages.size} packages${total.failedFiles ? `, ${total.failedFiles} failed` : ''})`,
);
for (const p of problems) console.log(`  ${p}`);
process.exit(problems.length > 0 ? 1 : 0);
