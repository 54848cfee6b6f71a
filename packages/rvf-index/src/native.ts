import { createRequire } from 'node:module';

/**
 * The slice of hnswlib-node's API this package uses, declared here so that neither our types nor
 * our module graph depend on the add-on being installed.
 */
export type NativeSpace = 'l2' | 'ip' | 'cosine';

export interface NativeHnsw {
  initIndex(opts: {
    maxElements: number;
    m?: number;
    efConstruction?: number;
    randomSeed?: number;
    allowReplaceDeleted?: boolean;
  }): void;
  readIndexSync(filename: string, allowReplaceDeleted?: boolean): void;
  /** Reads on a worker thread (the event loop stays free). */
  readIndex(filename: string, allowReplaceDeleted?: boolean): Promise<boolean>;
  writeIndexSync(filename: string): void;
  resizeIndex(newMaxElements: number): void;
  addPoint(point: number[], label: number, replaceDeleted?: boolean): void;
  markDelete(label: number): void;
  searchKnn(
    query: number[],
    k: number,
    filter?: (label: number) => boolean,
  ): { distances: number[]; neighbors: number[] };
  getMaxElements(): number;
  getCurrentCount(): number;
  setEf(ef: number): void;
}

export interface HnswlibModule {
  HierarchicalNSW: new (space: NativeSpace, dimension: number) => NativeHnsw;
}

/** Set RVF_DISABLE_NATIVE=1 to run as if the add-on could not load (tests, constrained hosts). */
export const DISABLE_NATIVE_ENV = 'RVF_DISABLE_NATIVE';

let loaded: HnswlibModule | null | undefined;
let loadError: unknown;

/**
 * Loads hnswlib-node on first use only. Importing @rvfjs/index must never dlopen a native add-on:
 * hosts where it failed to build (or that disable it) still get the exact engine.
 */
export function loadNativeHnsw(): HnswlibModule | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.env[DISABLE_NATIVE_ENV] === '1') {
    loadError = new Error(`native HNSW disabled by ${DISABLE_NATIVE_ENV}=1`);
    return loaded;
  }
  try {
    const require = createRequire(import.meta.url);
    const mod = require('hnswlib-node') as Partial<HnswlibModule>;
    if (typeof mod.HierarchicalNSW !== 'function') throw new Error('hnswlib-node exports no HierarchicalNSW');
    loaded = mod as HnswlibModule;
  } catch (err) {
    loadError = err;
  }
  return loaded;
}

/** True when the native HNSW engine can be used on this host. */
export function nativeHnswAvailable(): boolean {
  return loadNativeHnsw() !== null;
}

/** Why the add-on is unavailable (undefined when it loaded or was never tried). */
export function nativeHnswLoadError(): unknown {
  return loaded === null ? loadError : undefined;
}

/** Forgets the cached load attempt so the next use re-reads RVF_DISABLE_NATIVE (for tests). */
export function resetNativeHnswLoader(): void {
  loaded = undefined;
  loadError = undefined;
}
