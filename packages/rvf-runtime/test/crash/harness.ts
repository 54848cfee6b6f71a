/**
 * The machinery of the SIGKILL crash tests (crash.test.ts runs it on root stores,
 * crash-branch.test.ts on branch children): writer children (writer.mjs) run a deterministic
 * workload (ops.mjs), are killed by plans aimed at the step in flight (from their output)
 * until every kind has its quota, a kill inside an append is sometimes emulated by cutting
 * what the killed step wrote at a random byte, and after each kill the store is opened
 * read-only and compared with the in-memory model at the recovered epoch, which must be the
 * last printed or that + 1. The next writer then fences the tail and continues.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { bytesSource, findLatestManifest, walkSegments } from '@rvfjs/wire';
import { afterAll, beforeAll } from 'vitest';
import { type FilterInput, RvfStore } from '../../src/index.js';
import { rng, tempDir } from '../helpers.js';
import { DIMENSION, type Entry, hash, type Model, type OpKind, opKind, reopensAfter } from './ops.mjs';

const CRASH_DIR = fileURLToPath(new URL('./', import.meta.url));

// ---------------------------------------------------------------- failing with the seed

export type Check = (ok: boolean, what: () => string) => asserts ok;
export type Must = <T>(p: Promise<T>, what: () => string) => Promise<T>;

/** `check` fails with the seed (and calls `onFail`, which keeps the files); `must` awaits likewise. */
export function checkers(seed: number, onFail: () => void): { check: Check; must: Must } {
  const check: Check = (ok, what) => {
    if (!ok) {
      onFail();
      throw new Error(`${what()} [RVF_CRASH_SEED=${seed}]`);
    }
  };
  const must: Must = async (p, what) => {
    try {
      return await p;
    } catch (e) {
      check(false, () => `${what()}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  return { check, must };
}

/**
 * What every crash test sets up: a work folder (kept when a check fails, so the run can be
 * replayed with the seed it prints), seed-reporting checks, a guard that the children will run
 * a build no older than src/ (they run dist, or RVF_CRASH_DIST), and no child left running.
 */
export function crashTestSetup(
  name: string,
  seed: number,
): { work: { dir: string }; check: Check; must: Must } {
  const dist = process.env.RVF_CRASH_DIST ?? fileURLToPath(new URL('../../dist/index.js', import.meta.url));
  const src = fileURLToPath(new URL('../../src/', import.meta.url));
  const work = tempDir(`rvfjs-${name}-`);
  let failed = false;
  const { check, must } = checkers(seed, () => {
    failed = true;
  });
  afterAll(async () => {
    await killAllChildren();
    if (failed) console.log(`${name} test files kept in ${work.dir}`);
    else work.cleanup();
  });
  beforeAll(() => {
    if (!existsSync(dist))
      throw new Error(`${dist} is missing: run \`pnpm build\` in packages/rvf-runtime first`);
    const built = statSync(dist).mtimeMs;
    const newer = readdirSync(src).filter((f) => statSync(join(src, f)).mtimeMs > built);
    if (newer.length > 0)
      console.warn(`${name} test: dist is older than src/${newer.join(', src/')}; the children run dist`);
    console.log(`${name} test seed: RVF_CRASH_SEED=${seed}`);
  });
  return { work, check, must };
}

// ---------------------------------------------------------------- child processes

export class Child {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  onLine: ((text: string, at: number) => void) | undefined;
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private markReady: () => void = () => undefined;
  /** Resolves once the child has loaded the package and waits for `go()`. */
  readonly ready = new Promise<void>((resolve) => {
    this.markReady = resolve;
  });

  constructor(script: string, args: string[]) {
    this.proc = spawn(process.execPath, [join(CRASH_DIR, script), ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let buf = '';
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stdout!.on('data', (chunk: string) => {
      const at = performance.now();
      buf += chunk;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const text = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (text === 'ready') {
          this.markReady();
          continue;
        }
        this.lines.push(text);
        this.onLine?.(text, at);
      }
    });
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.proc.stdin!.on('error', () => undefined); // EPIPE when it is already gone
    this.closed = new Promise((resolve) =>
      this.proc.on('close', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Lets the child start its work once it is ready (so timings start there, not in Node's startup). */
  async go(): Promise<void> {
    await Promise.race([this.ready, this.closed]);
    this.proc.stdin!.write('go\n');
  }

  kill(): void {
    this.proc.kill('SIGKILL');
  }
}

const liveChildren = new Set<Child>();

export function startChild(script: string, args: string[]): Child {
  const c = new Child(script, args);
  liveChildren.add(c);
  void c.closed.then(() => liveChildren.delete(c));
  return c;
}

/** Kills every child still running (for afterAll). */
export async function killAllChildren(): Promise<void> {
  for (const c of liveChildren) c.kill();
  await Promise.all([...liveChildren].map((c) => c.closed));
}

/** setTimeout for whole milliseconds, a spin for the sub-millisecond rest. */
export function afterMs(ms: number, fn: () => void): void {
  const until = performance.now() + ms;
  const spin = () => {
    while (performance.now() < until) {
      /* sub-millisecond wait */
    }
    fn();
  };
  if (ms >= 1) setTimeout(spin, Math.floor(ms));
  else spin();
}

// ---------------------------------------------------------------- the writer's life

/** What a writer was doing when it was killed: an operation, its close, its reopen, or its first open. */
export type Kind = OpKind | 'close' | 'reopen' | 'open';

/** What comes after an output line of the writer. */
export function nextAfter(line: string): Kind | undefined {
  const [word, num] = line.split(' ');
  const e = Number(num);
  if (word === 'open') return opKind(e + 1);
  if (word === 'committed') return reopensAfter(e) ? 'close' : opKind(e + 1);
  return word === 'closed' ? 'reopen' : undefined;
}

export interface Life {
  /** The first `open`: the epoch it found and the file size after its fencing. */
  opened?: { epoch: number; size: number };
  /** The last epoch it printed (its open's, if it committed nothing). */
  last: number;
  /** The file end after the last printed line, when known: what the killed step wrote starts there. */
  lastEnd: number | undefined;
  inFlight: Kind;
}

/** Reads a killed writer's output; every line must follow from the one before. */
export function lifeOf(lines: string[], startEpoch: number, where: () => string, check: Check): Life {
  const life: Life = { last: startEpoch, lastEnd: undefined, inFlight: 'open' };
  for (const line of lines) {
    const [word, a, b] = line.split(' ');
    const e = Number(a);
    if (word === 'open') {
      check(e === life.last, () => `${where()}: the writer opened at epoch ${e} after epoch ${life.last}`);
      life.opened ??= { epoch: e, size: Number(b) };
      life.lastEnd = Number(b);
    } else if (word === 'committed') {
      check(e === life.last + 1, () => `${where()}: '${line}' after epoch ${life.last}`);
      life.last = e;
      life.lastEnd = Number(b);
    } else {
      check(word === 'closed' && e === life.last, () => `${where()}: unexpected output '${line}'`);
      life.lastEnd = undefined; // close() may have appended its graph
    }
    life.inFlight = nextAfter(line)!;
  }
  return life;
}

// ---------------------------------------------------------------- kill plans

export type Plan =
  | { mode: 'startup'; delayMs: number } // from `go`: lands in the open, lock, load or fencing
  | { mode: 'random'; delayMs: number } // 5–120 ms after the open
  | { mode: 'target'; kind: OpKind | 'close'; frac: number }; // a fraction into the next step of that kind

/** Running estimates of how long each step takes here (ms), from the writers' output. */
export type Durations = Record<Exclude<Kind, 'open'>, number>;

export function pickPlan(
  r: () => number,
  counts: Record<string, number>,
  quotas: Record<OpKind, number>,
): Plan {
  const x = r();
  if (x < 0.05) return { mode: 'startup', delayMs: r() * 25 };
  if (x < 0.25) return { mode: 'random', delayMs: 5 + r() * 115 };
  if (x < 0.3) return { mode: 'target', kind: 'close', frac: r() };
  // Aim at the operations furthest below their quota.
  const need = (k: OpKind) => Math.max(0.15, 1 - (counts[k] ?? 0) / quotas[k]);
  const w = { ingest: need('ingest'), delete: need('delete') * 1.3, compact: need('compact') };
  const y = r() * (w.ingest + w.delete + w.compact);
  const kind: OpKind = y < w.ingest ? 'ingest' : y < w.ingest + w.delete ? 'delete' : 'compact';
  return { mode: 'target', kind, frac: r() * 1.15 };
}

/** Lets the child run until the plan kills it; resolves once it is gone. */
export function killByPlan(
  child: Child,
  plan: Plan,
  durations: Durations,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let fired = false;
  const fire = () => {
    if (!fired) {
      fired = true;
      child.kill();
    }
  };
  let prev: { line: string; at: number } | undefined;
  let armed = false;
  child.onLine = (line, at) => {
    if (prev) {
      const step = nextAfter(prev.line);
      if (step && step !== 'open')
        durations[step] = durations[step] * 0.9 + Math.min(at - prev.at, 300) * 0.1;
    }
    prev = { line, at };
    if (line.startsWith('open') && plan.mode === 'random' && !armed) {
      armed = true;
      afterMs(plan.delayMs, fire);
    }
    if (plan.mode === 'target' && !armed && nextAfter(line) === plan.kind) {
      armed = true;
      const span = plan.kind === 'close' ? durations.close + durations.reopen : durations[plan.kind];
      afterMs(plan.frac * span, fire);
    }
  };
  // A child that never gets going is killed anyway (and then fails the exit check).
  const guard = setTimeout(fire, 20_000);
  void child.go().then(() => {
    if (plan.mode === 'startup') afterMs(plan.delayMs, fire);
  });
  return child.closed.finally(() => clearTimeout(guard));
}

// ---------------------------------------------------------------- the oracle

const f64Distance = (a: readonly number[], q: Float32Array) => {
  let s = 0;
  for (let d = 0; d < DIMENSION; d++) s += (a[d]! - q[d]!) * (a[d]! - q[d]!);
  return s;
};
const near = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));

/**
 * k-NN against brute force on the model: the same distances rank by rank, every hit live
 * at its model distance, and nothing the model ranks clearly inside the top k missing
 * (ties within f32 rounding may come in either order). `approximate` (an HNSW answer)
 * only requires distinct live hits at their true distances, in order.
 */
export function knnProblems(
  got: { id: unknown; distance: number }[],
  live: ReadonlyMap<number, Entry>,
  q: Float32Array,
  k: number,
  keep: (meta: Entry['metadata']) => boolean,
  approximate = false,
): string[] {
  const all: { id: number; distance: number }[] = [];
  for (const [id, e] of live) if (keep(e.metadata)) all.push({ id, distance: f64Distance(e.vector, q) });
  all.sort((a, b) => a.distance - b.distance || a.id - b.id);
  const want = all.slice(0, k);
  const out: string[] = [];
  const what = `${approximate ? 'hnsw ' : ''}query k=${k}`;
  if (approximate ? got.length > want.length : got.length !== want.length) {
    return [`${what}: ${got.length} hits, brute force has ${want.length}`];
  }
  const ids = new Set(got.map((h) => Number(h.id)));
  if (ids.size !== got.length) out.push(`${what}: duplicate ids`);
  got.forEach((h, i) => {
    const e = live.get(Number(h.id));
    if (!e || !keep(e.metadata))
      out.push(`${what}: hit ${String(h.id)} is not live (or not matching) in the model`);
    else if (!near(h.distance, f64Distance(e.vector, q)))
      out.push(`${what}: distance of ${String(h.id)} is ${h.distance}`);
    if (approximate) {
      if (i > 0 && h.distance < got[i - 1]!.distance) out.push(`${what}: hits out of order at rank ${i}`);
    } else if (!near(h.distance, want[i]!.distance)) {
      out.push(`${what}: rank ${i} at ${h.distance}, brute force ${want[i]!.distance}`);
    }
  });
  const kth = want.at(-1)?.distance ?? 0;
  if (!approximate) {
    for (const w of want)
      if (w.distance < kth && !near(w.distance, kth) && !ids.has(w.id)) out.push(`${what}: misses ${w.id}`);
  }
  return out;
}

export interface VerifyOptions {
  /** Ids that must read as absent through get() whenever the model does not have them live. */
  probeIds: Iterable<number>;
  /** Of those, ids get() is known to show anyway (a known bug): not probed. */
  getMayShow?: (id: number) => boolean;
  /** Filtered exact queries checked against brute force on the matching model entries (default: tag = 'a', k = 10). */
  filters?: { filter: FilterInput; k: number; keep: (meta: Entry['metadata']) => boolean }[];
  maxFileSize?: number;
  /** Also check that export() lists exactly the live ids (default true). */
  checkExport?: boolean;
  /**
   * Without the index check, open with the store's default index threshold (a store that
   * large loads or builds its graph in the background, as any reader would) instead of
   * building none at all.
   */
  defaultIndexThreshold?: boolean;
}

const DEFAULT_FILTERS: VerifyOptions['filters'] = [
  { filter: { op: 'eq', field: 'tag', value: 'a' }, k: 10, keep: (m) => m?.tag === 'a' },
];

/**
 * Opens the store read-only and compares everything visible with the model at its epoch:
 * the visible count, every live id's vector bit for bit and its metadata, absent ids absent,
 * export() listing exactly the live ids, exact k-NN (all of them, and top 10) and filtered
 * queries against brute force, with `withIndex` the HNSW graph too, and one unbroken witness
 * per epoch. Advances the model to the epoch found.
 */
export async function verifyAgainstModel(
  path: string,
  model: Model,
  r: () => number,
  withIndex: boolean,
  options: VerifyOptions,
): Promise<{ epoch: number; problems: string[] }> {
  const s = await RvfStore.open(path, {
    readOnly: true,
    // Without the index check, by default no graph is built in the background at all (a
    // branch's table can pass the default threshold): the checks below use the exact engine.
    ...(withIndex
      ? { indexThreshold: 128 }
      : options.defaultIndexThreshold
        ? {}
        : { indexThreshold: Number.MAX_SAFE_INTEGER }),
  });
  try {
    const st = s.status();
    const epoch = st.currentEpoch;
    if (epoch < model.epoch) return { epoch, problems: [`epoch went back from ${model.epoch} to ${epoch}`] };
    model.advanceTo(epoch);
    const problems: string[] = [];
    if (st.totalVectors !== model.live.size)
      problems.push(`totalVectors ${st.totalVectors}, model ${model.live.size}`);
    if (st.fileSize > (options.maxFileSize ?? 8 << 20)) problems.push(`file grew to ${st.fileSize} bytes`);
    for (const [id, want] of model.live) {
      const got = s.get(id);
      if (!got) {
        problems.push(`id ${id} is missing`);
        continue;
      }
      const gotBits = new Uint32Array(got.vector.buffer, got.vector.byteOffset, got.vector.length);
      const wantBits = new Uint32Array(Float32Array.from(want.vector).buffer);
      if (gotBits.length !== DIMENSION || gotBits.some((b, d) => b !== wantBits[d])) {
        problems.push(`id ${id}: vector ${[...got.vector]} is not ${want.vector}`);
      }
      if (!isDeepStrictEqual(got.metadata, want.metadata)) {
        problems.push(
          `id ${id}: metadata ${JSON.stringify(got.metadata)} is not ${JSON.stringify(want.metadata)}`,
        );
      }
    }
    for (const id of options.probeIds) {
      if (!model.live.has(id) && !options.getMayShow?.(id) && s.get(id) !== undefined)
        problems.push(`id ${id} is visible through get() but deleted or never written`);
    }
    if (options.checkExport ?? true) {
      const exported = new Set<number>();
      for await (const line of s.export()) exported.add(Number((JSON.parse(line) as { id: unknown }).id));
      if (exported.size !== model.live.size || [...model.live.keys()].some((id) => !exported.has(id))) {
        const extra = [...exported].filter((id) => !model.live.has(id)).slice(0, 5);
        problems.push(`export() lists ${exported.size} ids, the model ${model.live.size} (extra: ${extra})`);
      }
    }
    const qs = [0, 1, 2].map(() => Float32Array.from({ length: DIMENSION }, () => Math.fround(r() * 4 - 2)));
    const exact = { plan: 'exact' } as const;
    const live = model.live;
    // Everything: exactly the live set.
    const all = await s.query(qs[0]!, live.size + 5, { ...exact, includeMetadata: false });
    problems.push(...knnProblems(all, live, qs[0]!, live.size + 5, () => true));
    for (const q of qs) problems.push(...knnProblems(await s.query(q, 10, exact), live, q, 10, () => true));
    for (const [i, f] of (options.filters ?? DEFAULT_FILTERS)!.entries()) {
      const q = qs[(i + 1) % qs.length]!;
      const hits = await s.query(q, f.k, { ...exact, filter: f.filter });
      problems.push(
        ...knnProblems(hits, live, q, f.k, f.keep).map((p) => `${JSON.stringify(f.filter)}: ${p}`),
      );
    }
    if (withIndex) {
      // The graph (a saved one caught up, or rebuilt) never serves dead or stale vectors.
      await s.waitForIndex();
      for (const q of qs) {
        problems.push(...knnProblems(await s.query(q, 10, { plan: 'hnsw' }), live, q, 10, () => true, true));
      }
    }
    const w = await s.verifyWitness();
    // One witness per operation, one chain across reopens and compactions.
    if (!w.valid) problems.push(`witness chain broken at ${JSON.stringify(w.firstBroken)}`);
    if (w.entries !== epoch || w.chains !== (epoch > 0 ? 1 : 0)) {
      problems.push(`witness: ${w.entries} entries in ${w.chains} chains at epoch ${epoch}`);
    }
    return { epoch, problems: problems.slice(0, 20) };
  } finally {
    await s.close();
  }
}

export interface Tail {
  epoch: number;
  manifestOffset: number;
  manifestEnd: number;
  /** Bytes after the last valid manifest. */
  tail: number;
  /** ... and whether they are anything but complete, hash-valid segments. */
  torn: boolean;
}

export async function tailOf(bytes: Uint8Array): Promise<Tail> {
  const found = await findLatestManifest(bytesSource(bytes));
  const tail = bytes.subarray(found.end);
  return {
    epoch: found.manifest.epoch,
    manifestOffset: found.offset,
    manifestEnd: found.end,
    tail: tail.length,
    torn: !(await completeSegments(tail)),
  };
}

/** True when `bytes` is a run of complete, hash-valid segments (the only thing fencing may keep). */
export async function completeSegments(bytes: Uint8Array): Promise<boolean> {
  let at = 0;
  for await (const item of walkSegments(bytesSource(bytes), { verifyHashes: true })) {
    if (item.kind !== 'segment' || item.offset !== at || item.hash === 'mismatch') return false;
    at += 64 + item.header.payloadLength;
  }
  return at === bytes.length;
}

// ---------------------------------------------------------------- the kill loop

export interface KindStats {
  kills: number;
  /** The operation committed but the kill came before it was printed (E = last + 1). */
  committedUnprinted: number;
  /** The kill left bytes after the last manifest (orphan or torn segments). */
  tailLeft: number;
  /** ... of which something was torn: not complete, hash-valid segments (in practice only
   *  after a cut by the test that no writer has fenced yet: SIGKILL alone never tore one). */
  torn: number;
  /** A compaction's temp file was left behind. */
  compactTmp: number;
  /** The test then cut what the killed step wrote short (an emulated torn write), inside its data... */
  cutData: number;
  /** ... or inside its manifest (the store then falls back to the previous one). */
  cutManifest: number;
}

/** One store the kill loop works on. */
export interface CrashStore {
  /** The file the writers write. */
  path: string;
  /** writer.mjs arguments after the path (seed, workload). */
  writerArgs: string[];
  model: Model;
  /** Opens the store read-only and compares it with the model (verifyAgainstModel, say). */
  verify(r: () => number, withIndex: boolean): Promise<{ epoch: number; problems: string[] }>;
  /**
   * More checks after every kill's check and at the end (say, that a parent file is
   * unchanged). `last` is the epoch the killed writer last printed, `epoch` the one recovered.
   */
  afterKill?(kill: {
    where: () => string;
    inFlight: Kind | 'end';
    last: number;
    epoch: number;
  }): Promise<void>;
}

export interface KillLoopOptions {
  seed: number;
  check: Check;
  must: Must;
  /** The loop runs until all are met: at least `minKills`, and `quotas` by the operation in flight. */
  minKills: number;
  quotas: Record<OpKind, number>;
  /** It stops at either limit even if the quotas are not met (the caller then fails). */
  maxKills: number;
  deadlineMs: number;
  killsPerStore: number;
  /** Stores worked on concurrently: one lane's writer runs while the other lane checks a crash. */
  lanes: number;
  /** Every how many kills the check also waits for the HNSW graph and queries it. */
  indexCheckEvery: number;
  /** Starting estimates of the step durations (ms); the loop keeps them current. */
  durations: Durations;
  /** Makes store number `storeNo` (its workload seed is hash(seed, storeNo)). */
  makeStore(storeNo: number, storeSeed: number): Promise<CrashStore>;
}

export interface KillLoopReport {
  kills: number;
  stores: number;
  seconds: number;
  stats: Map<Kind, KindStats>;
  counts: Record<string, number>;
  fence: { reopened: number; cutBytes: number; keptBytes: number };
  durations: Durations;
  quotaMet: boolean;
}

/**
 * Logs what a kill loop did: `<name>: N kills over M <stores> in S s (seed X)`, the stats by
 * the step in flight as a table, then the fencing totals and the step durations measured.
 */
export function logKillLoop(report: KillLoopReport, name: string, stores: string, seed: number): void {
  console.log(
    `${name}: ${report.kills} kills over ${report.stores} ${stores} in ${report.seconds.toFixed(1)} s (seed ${seed}); by the step in flight:`,
  );
  console.table([...report.stats].map(([inFlight, s]) => ({ inFlight, ...s })));
  console.log(
    `fencing: ${report.fence.reopened} reopens after a crash cut ${report.fence.cutBytes} bytes and kept ${report.fence.keptBytes}; ` +
      `step durations here (ms): ${JSON.stringify(report.durations, (_, v) => (typeof v === 'number' ? +v.toFixed(1) : v))}`,
  );
}

export async function runKillLoop(o: KillLoopOptions): Promise<KillLoopReport> {
  const check: Check = o.check;
  const must: Must = o.must;
  const t0 = performance.now();
  const stats = new Map<Kind, KindStats>();
  const counts: Record<string, number> = {};
  const fence = { reopened: 0, cutBytes: 0, keptBytes: 0 };
  const durations = o.durations;
  let kills = 0;
  let stores = 0;
  const goOn = () => kills < o.maxKills && performance.now() - t0 < o.deadlineMs;
  const quotaMet = () =>
    kills >= o.minKills && (Object.keys(o.quotas) as OpKind[]).every((k) => (counts[k] ?? 0) >= o.quotas[k]);

  const lane = async (laneNo: number) => {
    while (!quotaMet() && goOn()) {
      const storeNo = stores++;
      const storeSeed = hash(o.seed, storeNo);
      const r = rng(hash(o.seed, storeNo, 1));
      const store = await o.makeStore(storeNo, storeSeed);
      const { path, model } = store;
      let bytes = readFileSync(path);
      let tail = await tailOf(bytes);
      let tmpIno = -1;
      let next = startChild('writer.mjs', [path, ...store.writerArgs]);
      for (let k = 0; k < o.killsPerStore && !quotaMet() && goOn(); k++) {
        const where = () => `lane ${laneNo}, store ${storeNo} (seed ${storeSeed}), kill ${k}`;
        const child = next;
        const plan = pickPlan(r, counts, o.quotas);
        const killed = killByPlan(child, plan, durations);
        // The next writer starts up now, so Node's startup overlaps this crash and its check.
        next = startChild('writer.mjs', [path, ...store.writerArgs]);
        const exit = await killed;
        check(
          exit.signal === 'SIGKILL',
          () => `${where()}: the writer exited by itself (${exit.code}): ${child.stderr}`,
        );
        const life = lifeOf(child.lines, model.epoch, where, check);
        const { last, inFlight } = life;

        if (life.opened) {
          // Its open after the previous crash saw the same epoch and fenced the tail: it
          // kept only complete segments after the last manifest. (Fencing only truncates,
          // so what it kept is a prefix of the file as that crash left it.)
          const { size } = life.opened;
          const kept = size - tail.manifestEnd;
          check(
            kept >= 0 &&
              size <= tail.manifestEnd + tail.tail &&
              (kept === 0 || (await completeSegments(bytes.subarray(tail.manifestEnd, size)))),
            () =>
              `${where()}: after fencing the file is ${size} bytes; the manifest ends at ${tail.manifestEnd}, the file was ${tail.manifestEnd + tail.tail}`,
          );
          fence.reopened++;
          fence.cutBytes += tail.manifestEnd + tail.tail - size;
          fence.keptBytes += kept;
        }

        // The kill's aftermath, before anything touches the file again.
        bytes = readFileSync(path);
        const real = await must(tailOf(bytes), () => `${where()}: no valid manifest after the kill`);
        tail = real;
        // SIGKILL does not tear a write this small (Linux copies the whole pwrite into the
        // page cache first), so a kill inside one is emulated: cut what the killed step
        // appended (it starts at the file end the writer last printed) at a random byte,
        // which is what a kill inside its pwrite would leave.
        let cut: 'data' | 'manifest' | undefined;
        const appending = inFlight === 'ingest' || inFlight === 'delete' || inFlight === 'close';
        if (appending && life.lastEnd !== undefined && bytes.length > life.lastEnd + 1 && r() < 0.3) {
          const at = life.lastEnd + 1 + Math.floor(r() * (bytes.length - life.lastEnd - 1));
          cut = real.manifestOffset >= life.lastEnd && at > real.manifestOffset ? 'manifest' : 'data';
          truncateSync(path, at);
          bytes = readFileSync(path);
          tail = await must(tailOf(bytes), () => `${where()}: no valid manifest after cutting at ${at}`);
        }
        const tmp = `${path}.compact.tmp`;
        const tmpNow = existsSync(tmp) ? statSync(tmp).ino : -1;
        const { epoch, problems } = await must(
          store.verify(r, k % o.indexCheckEvery === 0),
          () => `${where()}: reading the store after the kill (in ${inFlight}) failed`,
        );
        const ran = inFlight !== 'close' && inFlight !== 'reopen' && inFlight !== 'open';
        check(
          epoch >= last && epoch <= last + (ran ? 1 : 0),
          () =>
            `${where()}: recovered epoch ${epoch}, the writer last printed ${last} (killed in ${inFlight}${cut ? `, its ${cut} cut by the test` : ''})`,
        );
        check(
          tail.epoch === epoch,
          () => `${where()}: the tail scan found epoch ${tail.epoch}, the store ${epoch}`,
        );
        check(
          problems.length === 0,
          () => `${where()}: at epoch ${epoch} (killed in ${inFlight}):\n  ${problems.join('\n  ')}`,
        );
        await store.afterKill?.({ where: () => `${where()} (killed in ${inFlight})`, inFlight, last, epoch });

        const s = stats.get(inFlight) ?? {
          kills: 0,
          committedUnprinted: 0,
          tailLeft: 0,
          torn: 0,
          compactTmp: 0,
          cutData: 0,
          cutManifest: 0,
        };
        s.kills++;
        if (epoch === last + 1) s.committedUnprinted++;
        if (real.tail > 0) s.tailLeft++;
        if (real.torn) s.torn++;
        if (tmpNow !== -1 && tmpNow !== tmpIno) s.compactTmp++;
        if (cut === 'data') s.cutData++;
        if (cut === 'manifest') s.cutManifest++;
        stats.set(inFlight, s);
        tmpIno = tmpNow;
        counts[inFlight] = (counts[inFlight] ?? 0) + 1;
        kills++;
      }
      next.kill();
      await next.closed;

      // Last, a writer in this process takes the store over (breaking the dead writer's
      // lock), fences it and closes it cleanly; the state is still the model's.
      const rw = await must(
        RvfStore.open(path, { lock: { staleSameHostMs: 0 } }),
        () => `store ${storeNo}: the final reopen failed`,
      );
      check(
        rw.epoch === model.epoch,
        () => `store ${storeNo}: read-write reopen at epoch ${rw.epoch}, not ${model.epoch}`,
      );
      await rw.close();
      check(!existsSync(`${path}.lock`), () => `store ${storeNo}: the lock outlived close()`);
      const final = await must(store.verify(r, true), () => `store ${storeNo}: the final check failed`);
      check(
        final.problems.length === 0,
        () => `store ${storeNo} after a clean reopen:\n  ${final.problems.join('\n  ')}`,
      );
      check(
        !(await tailOf(readFileSync(path))).torn,
        () => `store ${storeNo}: a torn tail survived a writer's open`,
      );
      await store.afterKill?.({
        where: () => `store ${storeNo} after its final clean reopen`,
        inFlight: 'end',
        last: model.epoch,
        epoch: model.epoch,
      });
    }
  };
  await Promise.all([...Array(o.lanes).keys()].map(lane));
  return {
    kills,
    stores,
    seconds: (performance.now() - t0) / 1000,
    stats,
    counts,
    fence,
    durations,
    quotaMet: quotaMet(),
  };
}
