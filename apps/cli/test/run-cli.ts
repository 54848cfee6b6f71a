import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect } from 'vitest';

/** The built binary: every test runs `rvf` as a user would, in a child process. */
export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  /** Flags for node itself (a heap limit, say). */
  nodeArgs?: string[];
  env?: Record<string, string>;
}

export function run(args: readonly string[], o: RunOptions = {}): CliRun {
  const r = spawnSync(process.execPath, [...(o.nodeArgs ?? []), CLI, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    ...(o.input !== undefined ? { input: o.input } : { stdio: ['ignore', 'pipe', 'pipe'] }),
    env: { ...process.env, ...o.env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a command that must succeed with `--json` and returns its document. */
// biome-ignore lint/suspicious/noExplicitAny: test documents are checked field by field
export function rvfJson(...args: string[]): any {
  const r = run([...args, '--json']);
  if (r.status !== 0) throw new Error(`rvf ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A command that must fail: its exit code and the `--json` error document from stderr. */
export function rvfFails(
  exitCode: number,
  args: readonly string[],
  o: RunOptions = {},
): {
  code: number | null;
  hex: string;
  name: string;
  message: string;
  exitCode: number;
  details: Record<string, unknown>;
} {
  const r = run([...args, '--json'], o);
  expect(r.status, `stderr: ${r.stderr}`).toBe(exitCode);
  expect(r.stdout).toBe('');
  const doc = JSON.parse(r.stderr);
  expect(doc.error.exitCode).toBe(exitCode);
  return doc.error;
}

/** A temporary folder for this test file, removed after it. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `rvf-cli-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A store at `path` holding `records` (written as NDJSON and ingested). */
export function makeStore(
  path: string,
  dim: number,
  records: { id: number; vector: number[]; metadata?: Record<string, unknown> }[],
  metric = 'l2',
): void {
  rvfJson('create', path, '--dim', String(dim), '--metric', metric);
  if (records.length === 0) return;
  const r = run(['ingest', path, '-', '--json'], { input: records.map((x) => JSON.stringify(x)).join('\n') });
  if (r.status !== 0) throw new Error(`ingest failed: ${r.stderr}`);
}
