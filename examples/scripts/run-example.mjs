#!/usr/bin/env node
// Runs an example in a fresh temporary folder and prints its output.
//   node scripts/run-example.mjs <name>      one example, output as it is
//   node scripts/run-example.mjs --update    every example; writes expected/<name>.txt (normalised)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLES } from './examples.mjs';
import { normalizeOutput } from './normalize-output.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs `name` (through tsx) in a new folder; returns its stdout and the folder's path. */
export function runExample(name) {
  const dir = mkdtempSync(join(tmpdir(), `rvfjs-example-${name}-`));
  try {
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', join('src', `${name}.ts`), dir], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    return { stdout, dir };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args[0] === '--update') {
    for (const name of EXAMPLES) {
      const { stdout, dir } = runExample(name);
      writeFileSync(join(root, 'expected', `${name}.txt`), normalizeOutput(stdout, dir));
      console.log(`expected/${name}.txt written`);
    }
  } else if (args.length === 1 && EXAMPLES.includes(args[0])) {
    process.stdout.write(runExample(args[0]).stdout);
  } else {
    console.error(`usage: run-example.mjs <${EXAMPLES.join('|')}> | --update`);
    process.exitCode = 1;
  }
}
