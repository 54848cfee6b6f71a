import type { ExitCodeValue } from './exit-codes.js';
import { toJson } from './json.js';

/**
 * What a command hands back: one document for `--json` (the stable, documented shape) and
 * the text people read by default. A command that ran but found the file damaged (inspect,
 * verify) says so with `exitCode`.
 */
export interface CommandOutcome {
  json: unknown;
  human: () => string;
  exitCode?: ExitCodeValue;
  /**
   * Where the summary goes. stdout normally; stderr when stdout carries the command's data
   * (export to stdout), so the data stays pipeable.
   */
  stream?: 'stdout' | 'stderr';
  /** Print nothing at all (the reader of stdout has gone away). */
  quiet?: boolean;
}

export function printOutcome(outcome: CommandOutcome, json: boolean): void {
  if (outcome.quiet) return;
  const text = json ? toJson(outcome.json) : outcome.human();
  if (text === '') return;
  const out = outcome.stream === 'stderr' ? process.stderr : process.stdout;
  out.write(`${text}\n`);
}
