import { promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { type OpenOptions, RvfStore } from '@rvfjs/runtime';
import { rvfError } from '@rvfjs/types';
import { HttpError } from './errors.js';

const NAME = /^[A-Za-z0-9._-]+$/;
const MAX_NAME = 200;
const EXT = '.rvf';

/** Checks a store name: the pattern, no leading dot (so never `.` or `..`), a sane length. */
export function checkName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name) || name.startsWith('.') || name.length > MAX_NAME) {
    throw new HttpError(
      400,
      'INVALID_STORE_NAME',
      'InvalidStoreName',
      `invalid store name ${JSON.stringify(String(name))}: use 1-${MAX_NAME} of A-Z a-z 0-9 . _ - , not starting with '.'`,
    );
  }
  return name;
}

/**
 * Stores that live somewhere other than the data folder and are served read-only: the
 * namespaces of an object store (see namespace-source.ts). The server then creates, branches
 * and drops nothing; writers publish elsewhere, and refreshAll() picks up their versions.
 */
export interface ReadOnlySource {
  /** Where the stores are (s3://bucket/prefix), for paths and messages. */
  readonly location: string;
  names(): Promise<string[]>;
  /** Opens one read-only; ManifestNotFound when there is no such store. */
  open(name: string): Promise<RvfStore>;
}

/**
 * What the registry holds for one name. Every operation on a name decides what to do from its
 * slot synchronously, before its first await, and claims the slot in the same step; so of any
 * number of concurrent creates, branches, opens and drops of one name, exactly one does each
 * thing and the others see its claim. (Checking the file system instead leaves a window
 * between the check and the claim in which several requests all pass.)
 *
 * - `opening`: an existing file is being opened; later gets share the same promise.
 * - `creating`: a create or branch of this name is under way; other creators get PathExists.
 * - `open`: the handle is open.
 * - `dropping`: the store is being dropped; `handle` is the store being closed.
 */
interface Slot {
  state: 'opening' | 'creating' | 'open' | 'dropping';
  handle: Promise<RvfStore>;
  /** While dropping: settles when the drop is done (or refused). */
  dropped?: Promise<void>;
}

/**
 * The stores of one data directory, by name (`<name>.rvf`). Each is opened read-write on
 * first use and kept open, so the server holds one writer handle (and one `.lock`) per
 * store; closeAll() closes them all and so removes the locks.
 */
export class StoreRegistry {
  readonly dataDir: string;
  private readonly slots = new Map<string, Slot>();
  private closed = false;

  constructor(
    dataDir: string,
    private readonly openOptions: OpenOptions = {},
    private readonly source?: ReadOnlySource,
  ) {
    this.dataDir = source ? source.location : resolve(dataDir);
  }

  /** True when the stores come from a ReadOnlySource (replicas of an object store). */
  get readOnly(): boolean {
    return this.source !== undefined;
  }

  pathOf(name: string): string {
    checkName(name);
    if (this.source) return `${this.source.location}/${name}`;
    const path = join(this.dataDir, `${name}${EXT}`);
    // Belt and braces: the pattern already rules out separators.
    if (dirname(path) !== this.dataDir)
      throw new HttpError(400, 'INVALID_STORE_NAME', 'InvalidStoreName', 'bad store name');
    return path;
  }

  /** The store name of a path in the data directory, or undefined for a file elsewhere. */
  nameOf(path: string): string | undefined {
    const abs = resolve(path);
    if (dirname(abs) !== this.dataDir || !abs.endsWith(EXT)) return undefined;
    return basename(abs, EXT);
  }

  async ensureDir(): Promise<void> {
    if (this.source) return;
    await fs.mkdir(this.dataDir, { recursive: true });
  }

  /** Names of every `*.rvf` file in the data directory with a valid name, sorted. */
  async names(): Promise<string[]> {
    if (this.source) {
      const valid = (name: string) => {
        try {
          checkName(name);
          return true;
        } catch {
          return false;
        }
      };
      return (await this.source.names()).filter(valid).sort();
    }
    let entries: string[];
    try {
      entries = await fs.readdir(this.dataDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: string[] = [];
    for (const f of entries) {
      if (!f.endsWith(EXT)) continue;
      const name = f.slice(0, -EXT.length);
      try {
        checkName(name);
      } catch {
        continue;
      }
      out.push(name);
    }
    return out.sort();
  }

  /** How many handles are open (for metrics). */
  get openCount(): number {
    let n = 0;
    for (const slot of this.slots.values()) if (slot.state === 'open') n++;
    return n;
  }

  /**
   * The open handle of an existing store, opening it on first use. A get that meets a create
   * or a drop of the name waits for it and then looks again: it sees the new store, or none.
   */
  async get(name: string): Promise<RvfStore> {
    this.assertOpen();
    const path = this.pathOf(name);
    const slot = this.slots.get(name);
    if (!slot) return this.claim(name, 'opening', () => this.openExisting(name, path));
    if (slot.state === 'open' || slot.state === 'opening') return slot.handle;
    await settled(slot.dropped ?? slot.handle);
    // The slot's own settlement handler ran before this line (it was attached first).
    if (this.slots.get(name) === slot) return slot.handle;
    return this.get(name);
  }

  /**
   * Makes a new store through `make(path)` (create, branch...) and keeps its handle. Of
   * concurrent adds of one name exactly one calls `make`; the others get PathExists, as does
   * an add for a file that exists. `make` may assume the path was free when it was called.
   */
  async add(name: string, make: (path: string) => Promise<RvfStore>): Promise<RvfStore> {
    this.assertOpen();
    if (this.source) throw readOnlyServer(this.source, `cannot create store '${name}'`);
    const path = this.pathOf(name);
    for (;;) {
      const slot = this.slots.get(name);
      if (!slot) break;
      // An open under way may still find nothing (a GET of a name about to be created).
      if (slot.state !== 'opening') throw exists(name);
      await settled(slot.handle);
      if (this.slots.get(name) === slot) throw exists(name);
    }
    return this.claim(name, 'creating', async () => {
      await this.ensureDir();
      if (await fs.stat(path).catch(() => undefined)) throw exists(name);
      return make(path);
    });
  }

  /**
   * Closes a store and deletes its file. Refused (409 LineageBroken) while a branch child in
   * this folder reads from it, and (409 StoreBusy) while another drop of it is under way.
   * Requests that took the handle before the drop finish first (close waits for writes in
   * its queue); any they start after it get StoreClosed.
   */
  async drop(name: string): Promise<void> {
    if (this.source) throw readOnlyServer(this.source, `cannot drop store '${name}'`);
    const path = this.pathOf(name);
    const store = await this.get(name);
    // Decided synchronously after the await: only one drop claims the open slot.
    const slot = this.slots.get(name);
    if (slot?.state !== 'open') throw busy(name);
    slot.state = 'dropping';
    const dropped = this.dropClaimed(name, path, slot, store);
    slot.dropped = dropped.then(
      () => undefined,
      () => undefined,
    );
    return dropped;
  }

  private async dropClaimed(name: string, path: string, slot: Slot, store: RvfStore): Promise<void> {
    const ours = () => this.slots.get(name) === slot;
    try {
      await this.refuseIfPinned(name, store);
    } catch (e) {
      if (ours()) slot.state = 'open';
      throw e;
    }
    try {
      await store.close();
      // A branch that took this handle before the drop may have made a child meanwhile.
      await this.refuseIfPinned(name, store);
      await fs.rm(path);
    } finally {
      // Dropped, or (refused after the close) to be opened again by the next get.
      if (ours()) this.slots.delete(name);
    }
  }

  /**
   * Read-only handles pick up what was published since they were opened (a replica's poll).
   * One store failing to refresh (a network error) leaves it serving its current version and
   * does not stop the others. Returns the names that moved to a new version.
   */
  async refreshAll(onError?: (name: string, error: unknown) => void): Promise<string[]> {
    const moved: string[] = [];
    await Promise.all(
      [...this.slots.entries()].map(async ([name, slot]) => {
        if (slot.state !== 'open') return;
        try {
          if (await (await slot.handle).refresh()) moved.push(name);
        } catch (e) {
          onError?.(name, e);
        }
      }),
    );
    return moved.sort();
  }

  /** Closes every handle (removing their `.lock` files); later calls fail. */
  async closeAll(): Promise<void> {
    this.closed = true;
    const all = [...this.slots.values()].map((s) => s.handle);
    this.slots.clear();
    await Promise.allSettled(all.map(async (p) => (await p).close()));
  }

  private claim(
    name: string,
    state: 'opening' | 'creating',
    start: () => Promise<RvfStore>,
  ): Promise<RvfStore> {
    const slot: Slot = { state, handle: start() };
    this.slots.set(name, slot);
    slot.handle.then(
      () => {
        if (this.slots.get(name) === slot && slot.state !== 'dropping') slot.state = 'open';
      },
      () => {
        if (this.slots.get(name) === slot) this.slots.delete(name);
      },
    );
    return slot.handle;
  }

  /**
   * Branch children in this folder whose parent is `store`. Children being created are
   * waited for; a store being dropped is judged by the handle it still has; a store the
   * server cannot open (another writer holds it, it is damaged) is not seen.
   */
  private async refuseIfPinned(name: string, store: RvfStore): Promise<void> {
    const path = this.pathOf(name);
    const others = new Set([...(await this.names()), ...this.slots.keys()]);
    others.delete(name);
    const children: string[] = [];
    for (const other of [...others].sort()) {
      const slot = this.slots.get(other);
      let handle: RvfStore;
      try {
        // Not get(): it would wait for a drop of `other`, which may be waiting for this one.
        handle = slot ? await slot.handle : await this.get(other);
      } catch {
        continue;
      }
      const parent = handle.parentPath;
      if (parent !== undefined && resolve(parent) === path && handle.parentId === store.fileId)
        children.push(other);
    }
    if (children.length > 0) {
      throw rvfError(
        'LineageBroken',
        `store '${name}' has branch children that read from it (${children.join(', ')}); drop them first`,
        { store: name, children },
      );
    }
  }

  private async openExisting(name: string, path: string): Promise<RvfStore> {
    if (this.source) return this.source.open(name);
    const st = await fs.stat(path).catch(() => undefined);
    if (!st?.isFile()) throw rvfError('ManifestNotFound', `store '${name}' does not exist`, { store: name });
    return RvfStore.open(path, this.openOptions);
  }

  private assertOpen(): void {
    if (this.closed)
      throw new HttpError(503, 'SERVER_CLOSING', 'ServerClosing', 'the server is shutting down');
  }
}

const settled = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    () => undefined,
  );

const exists = (name: string) =>
  rvfError('PathExists', `cannot create store '${name}': it already exists`, { store: name });

const readOnlyServer = (source: ReadOnlySource, what: string) =>
  rvfError('ReadOnly', `${what}: this server serves ${source.location} read-only (publish to it instead)`, {
    location: source.location,
  });

const busy = (name: string) =>
  new HttpError(409, 'STORE_BUSY', 'StoreBusy', `store '${name}' is being dropped by another request`);
