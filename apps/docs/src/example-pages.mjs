/**
 * The runnable examples of examples/ on the site: for each program examples/src/<name>.ts with
 * a checked-in output examples/expected/<name>.txt, a generator `example-<name>` that prints
 * the program and that output. CI runs every program and compares its output with the
 * checked-in file (examples/test), so what the page shows is what the program prints.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.mjs';

export const EXAMPLES_DIR = join(REPO_ROOT, 'examples');

/** Names of the examples that have both a program and an expected output. */
export function exampleNames(dir = EXAMPLES_DIR) {
  const expected = join(dir, 'expected');
  if (!existsSync(expected)) return [];
  return readdirSync(expected)
    .filter((f) => f.endsWith('.txt'))
    .map((f) => f.slice(0, -4))
    .filter((name) => existsSync(join(dir, 'src', `${name}.ts`)))
    .sort();
}

function examplePage(name, dir) {
  const program = readFileSync(join(dir, 'src', `${name}.ts`), 'utf8').trimEnd();
  const output = readFileSync(join(dir, 'expected', `${name}.txt`), 'utf8').trimEnd();
  return [
    '## Run it',
    `\`\`\`sh\nnpx -y pnpm@10.34.9 --filter @rvfjs/examples run example ${name}\n\`\`\``,
    `## The program (\`examples/src/${name}.ts\`)`,
    `\`\`\`ts\n${program}\n\`\`\``,
    '## What it prints',
    'Checked in CI: the test runs the program and compares its output with this text, after ' +
      'replacing what changes from run to run (timings, file ids, temporary paths) with `<…>` placeholders.',
    `\`\`\`text\n${output}\n\`\`\``,
  ].join('\n\n');
}

/** `{ 'example-<name>': generator }` for every example. */
export function exampleGenerators(dir = EXAMPLES_DIR) {
  return Object.fromEntries(
    exampleNames(dir).map((name) => [`example-${name}`, async () => examplePage(name, dir)]),
  );
}
