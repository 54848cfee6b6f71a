import type { CommandOutcome } from '../command-outcome.js';
import { type DemoResult, runDemo } from '../demo.js';

export interface DemoOptions {
  count: number;
  dim: number;
  json?: boolean;
}

/** `demo --json`: where it ran and the two result lists it checked across reopen. */
export type DemoDocument = DemoResult;

export async function demoCommand(dir: string | undefined, o: DemoOptions): Promise<CommandOutcome> {
  const lines: string[] = [];
  // People see the story as it happens; --json prints the document at the end instead.
  const log = o.json ? (l: string) => lines.push(l) : (l: string) => process.stdout.write(`${l}\n`);
  const result = await runDemo({
    ...(dir !== undefined ? { dir } : {}),
    count: o.count,
    dimension: o.dim,
    log,
  });
  return {
    json: result,
    human: () =>
      result.kept
        ? `files kept in ${result.dir}`
        : `(temporary folder ${result.dir} removed; give a folder to keep the files)`,
  };
}
