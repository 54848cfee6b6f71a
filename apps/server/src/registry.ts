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
 * The stores of one data directory, by name (`<name>.rvf`). Each is opened read-write on
 * first use and kept open, so the server holds one writer handle (and one `.lock`) per
 * store; closeAll() closes them all and so removes the locks.
 */
export class StoreRegistry {
  readonly dataDir: string;
  private readonly handles = new Map<string, Promise<RvfStore>>();
  private closed = false;

  constructor(
    dataDir: string,
    private readonly openOptions: OpenOptions = {},
  ) {
    this.dataDir = resolve(dataDir);
  }

  pathOf(name: string): string {
    checkName(name);
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
    await fs.mkdir(this.dataDir, { recursive: true });
  }

  /** Names of every `*.rvf` file in the data directory with a valid name, sorted. */
  async names(): Promise<string[]> {
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

  /** The open handle of an existing store, opening it on first use. */
  get(name: string): Promise<RvfStore> {
    this.assertOpen();
    const path = this.pathOf(name);
    const known = this.handles.get(name);
    if (known) return known;
    return this.track(name, this.openExisting(name, path));
  }

  /**
   * Makes a new store through `make(path)` (create, branch...) and keeps its handle. The file
   * must not exist: the library refuses an existing path (PathExists).
   */
  async add(name: string, make: (path: string) => Promise<RvfStore>): Promise<RvfStore> {
    this.assertOpen();
    const path = this.pathOf(name);
    await this.ensureDir();
    // Checked up front as well (the library checks again, atomically): branch() records the
    // new child in the parent before it creates the child file, so it must not start for a
    // name that is taken.
    if (this.handles.has(name) || (await fs.stat(path).catch(() => undefined))) {
      throw rvfError('PathExists', `cannot create store '${name}': it already exists`, { store: name });
    }
    return this.track(name, make(path));
  }

  /** Closes every handle (removing their `.lock` files); later calls fail. */
  async closeAll(): Promise<void> {
    this.closed = true;
    const all = [...this.handles.values()];
    this.handles.clear();
    await Promise.allSettled(all.map(async (p) => (await p).close()));
  }

  private track(name: string, p: Promise<RvfStore>): Promise<RvfStore> {
    this.handles.set(name, p);
    p.catch(() => {
      if (this.handles.get(name) === p) this.handles.delete(name);
    });
    return p;
  }

  private async openExisting(name: string, path: string): Promise<RvfStore> {
    const st = await fs.stat(path).catch(() => undefined);
    if (!st?.isFile()) throw rvfError('ManifestNotFound', `store '${name}' does not exist`, { store: name });
    return RvfStore.open(path, this.openOptions);
  }

  private assertOpen(): void {
    if (this.closed)
      throw new HttpError(503, 'SERVER_CLOSING', 'ServerClosing', 'the server is shutting down');
  }
}
