import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type ErrorCodeValue, RvfError } from '@rvfjs/types';
import { askToStop, type GraphThreadFlags, guardOnExit, newGraphThreadFlags } from './graph-thread-flags.js';
import type { GraphBuildParams, GraphReply, GraphRequest } from './graph-thread-protocol.js';

export type { GraphBuildParams } from './graph-thread-protocol.js';

import { HnswIndex } from './hnsw.js';
import { nativeHnswAvailable } from './native.js';
import type { VectorStore } from './vector-store.js';

/** Set RVF_DISABLE_WORKERS=1 to keep all graph work on the event loop (tests, constrained hosts). */
export const DISABLE_WORKERS_ENV = 'RVF_DISABLE_WORKERS';

/** The worker's script: next to this module when built, in dist/ when tests run the sources. */
function workerUrl(): URL | undefined {
  for (const rel of ['./graph-worker.js', '../dist/graph-worker.js']) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  return undefined;
}

let workerScript: URL | null | undefined;

/** True when graph work can run on a worker thread here (the add-on loads and the script exists). */
export function graphThreadAvailable(): boolean {
  if (process.env[DISABLE_WORKERS_ENV] === '1' || !nativeHnswAvailable()) return false;
  if (workerScript === undefined) workerScript = workerUrl() ?? null;
  return workerScript !== null;
}

function scratchPath(): string {
  return join(tmpdir(), `rvfjs-hnsw-${process.pid}-${randomBytes(8).toString('hex')}.bin`);
}

/**
 * A worker thread that builds or prepares HNSW graphs for one store, so the event loop never
 * runs more than bookkeeping for them: vectors go over in batches, progress comes back, and a
 * finished graph comes back as hnswlib's own file, which the event loop's side reads on
 * libuv's thread pool (the add-on's objects cannot cross threads, its files can).
 *
 * The thread does not keep the process alive while it has nothing asked of it.
 */
export class GraphThread {
  private readonly worker: Worker;
  /** Shared with the worker: when it may be stopped (see graph-thread-flags.ts). */
  private readonly flags: GraphThreadFlags;
  private exited: Promise<void>;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (r: GraphReply) => void; reject: (e: unknown) => void }
  >();
  private sentCount = 0;
  private insertedCount = 0;
  private failedWith: Error | undefined;
  private ended = false;
  private readonly drained: (() => void)[] = [];
  /** Called after each batch the worker has inserted (inserted so far, sent so far). */
  onProgress: ((inserted: number, sent: number) => void) | undefined;

  private constructor(worker: Worker, flags: GraphThreadFlags) {
    this.worker = worker;
    this.flags = flags;
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    guardOnExit(flags, this.exited);
    worker.unref();
    worker.on('message', (msg: GraphReply) => this.receive(msg));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      this.ended = true;
      if (!this.failedWith && (code !== 0 || this.waiting.size > 0))
        this.fail(new Error(`graph worker exited with code ${code}`));
    });
  }

  /** A new thread, or undefined where graph work cannot leave the event loop. */
  static start(): GraphThread | undefined {
    if (!graphThreadAvailable()) return undefined;
    try {
      const flags = newGraphThreadFlags();
      // The host's flags for evaluated input (`node --input-type=module -e …`) make no sense
      // for a worker script and would stop it from starting.
      const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
      return new GraphThread(new Worker(workerScript!, { workerData: { flags }, execArgv }), flags);
    } catch {
      return undefined;
    }
  }

  /** Set when the thread or its build failed; the caller falls back to the event loop. */
  get failure(): Error | undefined {
    return this.failedWith;
  }

  /** How many vectors the worker has inserted so far. */
  get inserted(): number {
    return this.insertedCount;
  }

  /** Asks the worker to start a new, empty graph with these parameters. */
  build(params: GraphBuildParams): void {
    this.post({ op: 'build', ...params });
  }

  /** Inserts (or replaces) vectors; `vectors` is handed over (transferred), not copied. */
  add(ordinals: Uint32Array, vectors: Float32Array): void {
    if (ordinals.length === 0) return;
    this.sentCount += ordinals.length;
    this.post({ op: 'add', ordinals, vectors }, [
      ordinals.buffer as ArrayBuffer,
      vectors.buffer as ArrayBuffer,
    ]);
  }

  /** Resolves once the worker has inserted everything sent so far. */
  whenDrained(): Promise<void> {
    if (this.insertedCount >= this.sentCount || this.failedWith) return Promise.resolve();
    this.worker.ref();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  /**
   * The built graph, saved: its blob (what the store persists) and, unless `load` is false,
   * an index over `store` read from the same hnswlib file.
   */
  async save(
    store: VectorStore,
    opts: { load: boolean; efSearch?: number },
  ): Promise<{ blob: Uint8Array; index: HnswIndex | undefined }> {
    const path = scratchPath();
    try {
      const r = await this.request({ op: 'save', id: 0, path });
      if (r.op !== 'saved') throw new Error(`unexpected reply ${r.op}`);
      const index = opts.load
        ? await HnswIndex.fromNativeFile(path, store, r.members, efSearchOpt(opts.efSearch))
        : undefined;
      return { blob: r.blob, index };
    } finally {
      await rm(path, { force: true });
    }
  }

  /**
   * Loads a saved blob against `store`'s vectors: the worker checks it and rebuilds hnswlib's
   * file, the thread pool reads it. Undefined for an empty graph. The caller keeps `store`
   * unchanged until this settles (a copy-on-write fork is enough).
   */
  async load(blob: Uint8Array, store: VectorStore, efSearch?: number): Promise<HnswIndex | undefined> {
    const path = scratchPath();
    try {
      // A blob that owns its whole buffer is handed over, not copied (12 MB at 100k × 128).
      const owned = blob.byteOffset === 0 && blob.byteLength === blob.buffer.byteLength;
      const r = await this.request(
        {
          op: 'prepare',
          id: 0,
          blob,
          vectors: store.flat,
          dimension: store.dimension,
          count: store.count,
          path,
        },
        owned && !(blob.buffer instanceof SharedArrayBuffer) ? [blob.buffer as ArrayBuffer] : [],
      );
      if (r.op !== 'prepared') throw new Error(`unexpected reply ${r.op}`);
      if (!r.members) return undefined;
      return await HnswIndex.fromNativeFile(path, store, r.members, efSearchOpt(efSearch));
    } finally {
      await rm(path, { force: true });
    }
  }

  /**
   * Stops the thread (pending requests fail): it leaves after the native call under way, so
   * never in the middle of one (see graph-worker.ts).
   */
  async terminate(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.fail(new Error('graph worker stopped'));
    askToStop(this.flags);
    this.worker.ref(); // whoever awaits this waits for the exit
    // A message wakes a worker waiting for one; it sees the flag and closes its port.
    this.worker.postMessage({ op: 'stop' });
    await this.exited;
  }

  private request(msg: GraphRequest & { id: number }, transfer: ArrayBuffer[] = []): Promise<GraphReply> {
    if (this.failedWith) return Promise.reject(this.failedWith);
    const id = this.nextId++;
    msg.id = id;
    this.worker.ref();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.post(msg, transfer);
    });
  }

  private post(msg: GraphRequest, transfer: ArrayBuffer[] = []): void {
    if (this.failedWith || this.ended) return;
    this.worker.postMessage(msg, transfer);
  }

  private receive(msg: GraphReply): void {
    if (msg.op === 'added') {
      this.insertedCount = msg.total;
      this.onProgress?.(this.insertedCount, this.sentCount);
      if (this.insertedCount >= this.sentCount) this.release(this.drained.splice(0));
      return;
    }
    if (msg.op === 'failed' && msg.id === undefined) {
      this.fail(asError(msg));
      return;
    }
    const id = msg.id ?? 0;
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    if (msg.op === 'failed') w.reject(asError(msg));
    else w.resolve(msg);
    this.idleUnref();
  }

  private release(waiters: (() => void)[]): void {
    for (const w of waiters) w();
    this.idleUnref();
  }

  private idleUnref(): void {
    if (this.waiting.size === 0 && this.drained.length === 0) this.worker.unref();
  }

  private fail(err: Error): void {
    this.failedWith ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
    this.release(this.drained.splice(0));
  }
}

function asError(msg: { code?: number; message: string }): Error {
  return msg.code !== undefined
    ? new RvfError(msg.code as ErrorCodeValue, msg.message)
    : new Error(msg.message);
}

const efSearchOpt = (efSearch: number | undefined) => (efSearch !== undefined ? { efSearch } : {});
