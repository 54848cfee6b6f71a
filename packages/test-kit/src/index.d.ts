export type ReferenceMetric = 'l2' | 'inner_product' | 'cosine';

/** Seeded PRNG (mulberry32), uniform in [0, 1). */
export function mulberry32(seed: number): () => number;

/** A fresh folder under the OS temp directory, and a function that removes it. */
export function tempDir(prefix?: string): { dir: string; cleanup: () => void };

/**
 * Spec §18's distances in float64 over `dim` components of `a` (from `aOff`) and `b`
 * (from `bOff`), independent of the library's kernels.
 */
export function referenceDistance(
  metric: ReferenceMetric,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  dim?: number,
  aOff?: number,
  bOff?: number,
): number;

/** True when `command` is on the PATH. */
export function hasCommand(command: string): boolean;

/** Installs `packages` with apt-get when `command` is missing and this runs as root; throws when still missing. */
export function ensureInstalled(command: string, packages: string): void;

/** What scripts/rgw/start.sh prints: S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION. */
export type RgwEnv = Record<'S3_ENDPOINT' | 'S3_ACCESS_KEY' | 'S3_SECRET_KEY' | 'S3_REGION', string>;

/** Starts (or joins) Ceph RADOS Gateway on 127.0.0.1 under a lease of this process. */
export function startRgw(): RgwEnv;

/** Drops this process's lease; the gateway stops when no other live process holds one. */
export function stopRgw(): void;

/** S3Client options for the gateway (path style, checksums only when required). */
export function rgwClientConfig(env: RgwEnv): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  forcePathStyle: true;
  requestChecksumCalculation: 'WHEN_REQUIRED';
  responseChecksumValidation: 'WHEN_REQUIRED';
};

/** A WebAssembly module's committed generated file and what its .wat compiles to now. */
export function wasmModuleSources(
  name: 'simd-kernels' | 'simple-hash',
): Promise<{ committed: string; compiled: string }>;
