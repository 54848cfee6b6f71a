/**
 * Vitest global setup: one Ceph RADOS Gateway on 127.0.0.1 for every test file of the run
 * (scripts/rgw/start.sh, under a lease of this process), stopped when the run ends unless
 * another process (another package's tests) still holds a lease. A gateway that cannot
 * start fails the run with the reason; nothing is skipped.
 */
import { type RgwEnv, startRgw, stopRgw } from '@rvfjs/test-kit';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    rgw: RgwEnv;
  }
}

export default function setup(project: TestProject): () => void {
  project.provide('rgw', startRgw());
  return () => stopRgw();
}
