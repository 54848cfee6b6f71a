// One benchmark child process with a time cap, for every section's orchestrator: a child that
// runs into its cap is killed (SIGKILL) and reported as timed out rather than as a failure.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs `node ...args` from the bench folder; `ms` is its wall time, `timedOut` whether the cap ended it. */
export function spawnCapped(args, { capMs, maxBuffer = 64 * 1024 * 1024 }) {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, {
    cwd: BENCH_DIR,
    encoding: 'utf8',
    timeout: capMs,
    killSignal: 'SIGKILL',
    maxBuffer,
  });
  const ms = performance.now() - t;
  const timedOut = r.error?.code === 'ETIMEDOUT' || (r.signal === 'SIGKILL' && ms >= capMs - 50);
  return { r, ms, timedOut };
}
