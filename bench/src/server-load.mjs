// Load test of the HTTP server (apps/server), on loopback: seeds a store, drives a 90% query /
// 10% ingest mix with autocannon and reports throughput and latency; then ingests in a burst,
// SIGKILLs the server mid-burst, restarts it on the same folder, and checks that every ingest
// the server acknowledged (answered 200) is there, vector for vector.
//
//   node src/server-load.mjs [--quick] [--n=100000] [--dim=128] [--connections=50] [--duration=30]
//     [--keep] [--no-write]
//
// Default: a 100k×128 store, 50 connections, 30 s. --quick: 5k vectors, 10 connections, 5 s.
// Writes results/server-load.{json,md} unless --no-write; exits 1 when a request failed or an
// acknowledged ingest is missing.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { mulberry32, synthetic } from './data.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS_DIR = join(HERE, '..', 'results');
const SERVER_MAIN = join(
  dirname(createRequire(import.meta.url).resolve('@rvfjs/server/package.json')),
  'dist',
  'main.js',
);

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const arg = (name, fallback) => {
  const v = argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  return v === undefined ? fallback : Number(v);
};
const config = {
  n: arg('n', quick ? 5_000 : 100_000),
  dim: arg('dim', 128),
  connections: arg('connections', quick ? 10 : 50),
  durationS: arg('duration', quick ? 5 : 30),
  k: 10,
  ingestBatch: 10,
  /** Of every ten requests on a connection, one is an ingest: 90% queries, 10% ingests. */
  mix: { queries: 9, ingests: 1 },
  seedBatch: 10_000,
  burstWorkers: 8,
  burstMs: 1_000,
};
const keep = argv.includes('--keep');
const write = !argv.includes('--no-write');
const log = (msg) => process.stderr.write(`[server-load] ${msg}\n`);

const KEY = randomBytes(24).toString('hex');
const STORE = 'load';
const dataDir = mkdtempSync(join(tmpdir(), 'rvfjs-server-load-'));

// ------------------------------------------------------------------ the server process

/** Starts dist/main.js on a free loopback port; resolves with its URL once it listens. */
function startServer() {
  const child = spawn(
    process.execPath,
    [SERVER_MAIN, '--port', '0', '--host', '127.0.0.1', '--data', dataDir, '--rate-limit', '0'],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, RVF_API_KEY: KEY } },
  );
  let out = '';
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    exited.then(({ code, signal }) => reject(new Error(`server exited (${code ?? signal}): ${out}`)));
  });
  return { child, url, exited };
}

const auth = { authorization: `Bearer ${KEY}` };

async function api(base, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok)
    throw Object.assign(new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 300)}`), {
      status: res.status,
    });
  return text ? JSON.parse(text) : undefined;
}

// ------------------------------------------------------------------ data

/** The vector ingested under `id` during the load: derived from the id, so it can be checked later. */
function loadVector(id) {
  const r = mulberry32(id);
  return Array.from({ length: config.dim }, () => Math.fround(r() * 2 - 1));
}

function ingestBody(firstId) {
  const ids = Array.from({ length: config.ingestBatch }, (_, i) => firstId + i);
  return JSON.stringify({ vectors: ids.map(loadVector), ids });
}

// ------------------------------------------------------------------ phases

async function seed(base) {
  const { data, queries } = synthetic('clustered', config.n, 1_000, config.dim, 42);
  await api(base, 'POST', '/stores', { name: STORE, dimension: config.dim });
  const t = performance.now();
  for (let from = 0; from < config.n; from += config.seedBatch) {
    const to = Math.min(config.n, from + config.seedBatch);
    const vectors = [];
    for (let i = from; i < to; i++)
      vectors.push(Array.from(data.subarray(i * config.dim, (i + 1) * config.dim)));
    const ids = Array.from({ length: to - from }, (_, i) => from + i);
    await api(base, 'POST', `/stores/${STORE}/vectors`, { vectors, ids });
  }
  const ingestMs = performance.now() - t;
  // Queries are measured against the finished graph, not while it is being built.
  const deadline = Date.now() + 15 * 60_000;
  let info = await api(base, 'GET', `/stores/${STORE}`);
  while (info.engine.nativeAvailable && info.engine.index !== 'complete') {
    if (Date.now() > deadline) throw new Error('HNSW graph not complete in 15 minutes');
    await new Promise((r) => setTimeout(r, 250));
    info = await api(base, 'GET', `/stores/${STORE}`);
  }
  const queryBodies = [];
  for (let q = 0; q < 1_000; q++) {
    const vector = Array.from(queries.subarray(q * config.dim, (q + 1) * config.dim));
    queryBodies.push(JSON.stringify({ vector, k: config.k, includeMetadata: false }));
  }
  return { ingestMs, indexMs: performance.now() - t - ingestMs, engine: info.engine, queryBodies };
}

/** The measured mix. Each connection sends 9 queries then 1 ingest, over and over. */
async function load(base, queryBodies, acked) {
  let nextId = config.n;
  let q = 0;
  const query = {
    method: 'POST',
    path: `/stores/${STORE}/query`,
    headers: { ...auth, 'content-type': 'application/json' },
    setupRequest: (req) => ({ ...req, body: queryBodies[q++ % queryBodies.length] }),
  };
  const ingest = {
    method: 'POST',
    path: `/stores/${STORE}/vectors`,
    headers: { ...auth, 'content-type': 'application/json' },
    setupRequest: (req, context) => {
      context.firstId = nextId;
      nextId += config.ingestBatch;
      return { ...req, body: ingestBody(context.firstId) };
    },
    onResponse: (status, _body, context) => {
      if (status === 200) acked.push(context.firstId);
    },
  };
  const requests = [...Array(config.mix.queries).fill(query), ...Array(config.mix.ingests).fill(ingest)];
  const result = await autocannon({
    url: base,
    connections: config.connections,
    duration: config.durationS,
    requests,
  });
  return { result, nextId };
}

/** Ingests from several workers and SIGKILLs the server while they are at it. */
async function crashBurst(base, server, firstId, acked) {
  let nextId = firstId;
  let stop = false;
  let inFlightAtKill = 0;
  let inFlight = 0;
  const worker = async () => {
    while (!stop) {
      const id = nextId;
      nextId += config.ingestBatch;
      inFlight++;
      try {
        await api(base, 'POST', `/stores/${STORE}/vectors`, ingestBody(id));
        acked.push(id); // answered 200, even if that arrived as the server was being killed
      } catch {
        return; // the server is gone
      } finally {
        inFlight--;
      }
    }
  };
  const workers = Array.from({ length: config.burstWorkers }, worker);
  await new Promise((r) => setTimeout(r, config.burstMs));
  inFlightAtKill = inFlight;
  server.child.kill('SIGKILL');
  stop = true;
  const { signal } = await server.exited;
  await Promise.all(workers);
  return { killedBy: signal, inFlightAtKill };
}

/** Every acknowledged batch, fetched back by id and compared vector for vector. */
async function verify(base, acked) {
  let missing = 0;
  let wrong = 0;
  const ids = acked.flatMap((first) => Array.from({ length: config.ingestBatch }, (_, i) => first + i));
  for (let from = 0; from < ids.length; from += 10_000) {
    const chunk = ids.slice(from, from + 10_000);
    const { vectors } = await api(base, 'POST', `/stores/${STORE}/vectors/fetch`, {
      ids: chunk,
      includeMetadata: false,
    });
    vectors.forEach((v, i) => {
      if (v === null) {
        missing++;
        return;
      }
      const want = loadVector(chunk[i]);
      if (v.vector.length !== want.length || v.vector.some((x, d) => x !== want[d])) wrong++;
    });
  }
  return { checkedIds: ids.length, missing, wrong };
}

// ------------------------------------------------------------------ main

function markdown(r) {
  const lat = r.load.latencyMs;
  return `## HTTP server under load

${r.config.n.toLocaleString('en')} × ${r.config.dim} store on 127.0.0.1; ${r.config.connections} connections for ${r.config.durationS} s; each connection sends ${r.config.mix.queries} queries (k = ${r.config.k}) then ${r.config.mix.ingests} ingest of ${r.config.ingestBatch} vectors. Server and autocannon share the machine (${r.machine.cores} cores, load ${r.machine.loadBefore.toFixed(2)} before).

| Measure | Value |
| --- | --- |
| Seeding (${r.config.n.toLocaleString('en')} vectors over HTTP) | ${(r.seed.ingestMs / 1000).toFixed(1)} s, then ${(r.seed.indexMs / 1000).toFixed(1)} s until the graph was complete |
| Requests | ${r.load.requests.toLocaleString('en')} (${r.load.ingestsAcked.toLocaleString('en')} ingests acknowledged) |
| Throughput | ${r.load.requestsPerSecond.toFixed(0)} requests/s |
| Latency p50 / p90 / p99 / max | ${lat.p50} / ${lat.p90} / ${lat.p99} / ${lat.max} ms |
| Errors (connection errors, timeouts, non-2xx) | ${r.load.errors} / ${r.load.timeouts} / ${r.load.non2xx} |
| Crash: ingest burst, then SIGKILL | ${r.crash.ackedInBurst} batches acknowledged in ${r.config.burstMs} ms, ${r.crash.inFlightAtKill} in flight at the kill |
| Restart: store answering after | ${(r.restart.availableAfterMs / 1000).toFixed(1)} s |
| Acknowledged ids checked after restart | ${r.verify.checkedIds.toLocaleString('en')}: ${r.verify.missing} missing, ${r.verify.wrong} with a different vector |
| Vectors in the store after restart | ${r.restart.totalVectors.toLocaleString('en')} |
`;
}

async function main() {
  const machine = { cores: cpus().length, node: process.version, loadBefore: loadavg()[0] };
  log(`data ${dataDir}; ${config.n}×${config.dim}, ${config.connections} connections, ${config.durationS} s`);
  let server = startServer();
  try {
    let base = await server.url;
    log('seeding');
    const seeded = await seed(base);
    log(
      `seeded in ${(seeded.ingestMs / 1000).toFixed(1)} s, graph complete ${(seeded.indexMs / 1000).toFixed(1)} s later`,
    );

    const acked = [];
    log('load');
    const { result, nextId } = await load(base, seeded.queryBodies, acked);
    const ingestsAcked = acked.length;

    log('crash burst');
    const burstAcked = [];
    const crash = await crashBurst(base, server, nextId, burstAcked);
    acked.push(...burstAcked);

    log('restart');
    const restartedAt = performance.now();
    server = startServer();
    base = await server.url;
    // A killed writer's lock is broken by the reference's rule: once its process is gone and
    // the lock is 30 s old. Until then the store answers 423 LockHeld.
    let info;
    for (;;) {
      try {
        info = await api(base, 'GET', `/stores/${STORE}`);
        break;
      } catch (e) {
        if (e.status !== 423 || performance.now() - restartedAt > 60_000) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    const availableAfterMs = performance.now() - restartedAt;
    log('verifying');
    const verified = await verify(base, acked);

    const results = {
      date: new Date().toISOString(),
      machine,
      config,
      seed: { ingestMs: seeded.ingestMs, indexMs: seeded.indexMs, engine: seeded.engine },
      load: {
        requests: result.requests.total,
        requestsPerSecond: result.requests.average,
        latencyMs: {
          p50: result.latency.p50,
          p90: result.latency.p90,
          p99: result.latency.p99,
          max: result.latency.max,
          mean: result.latency.mean,
        },
        throughputBytesPerSecond: result.throughput.average,
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
        statusCodes: result.statusCodeStats,
        ingestsAcked,
      },
      crash: { ...crash, ackedInBurst: burstAcked.length },
      restart: { availableAfterMs, totalVectors: info.totalVectors },
      verify: verified,
    };
    const md = markdown(results);
    process.stdout.write(md);
    if (write) {
      mkdirSync(RESULTS_DIR, { recursive: true });
      writeFileSync(join(RESULTS_DIR, 'server-load.json'), `${JSON.stringify(results, null, 2)}\n`);
      writeFileSync(join(RESULTS_DIR, 'server-load.md'), md);
      log(`wrote ${RESULTS_DIR}/server-load.{json,md}`);
    }
    const failed = result.errors + result.timeouts + result.non2xx + verified.missing + verified.wrong;
    if (failed > 0) {
      log(`FAILED: ${failed} failed requests or missing/wrong acknowledged vectors`);
      process.exitCode = 1;
    }
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
