// Remote open section (`run.mjs --only=remote`, or on its own): a store opened where it lives,
// over HTTP, against the same file on the local disk and against downloading the whole file
// before opening it. A 20k×128 store (default options, so with its saved graph) is served by an
// HTTP server on 127.0.0.1 that answers range requests and counts what it sends. Each variant
// runs in a fresh process: open → first result, requests and bytes until then, and the same
// after 100 more queries.
//
//   node src/remote-open.mjs [--quick] [--no-write]
// Writes results/remote-open.{json,md} (committed, as cold-start.*) unless --no-write.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RvfStore } from '@rvfjs/runtime';
import { synthetic } from './data.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(HERE, '../results');
const argv = process.argv.slice(2);

// ---------------------------------------------------------------- child: one variant
if (argv[0] === '--child') {
  const { mode, target, queriesPath, dim, nq } = JSON.parse(argv[1]);
  const q = new Float32Array(readFileSync(queriesPath).buffer.slice(0));
  const t0 = performance.now();
  let path = target;
  /** For s3: what the SDK sent and received, counted by a middleware (the gateway has no counter). */
  const s3Count = { requests: 0, bytes: 0 };
  let s3Options;
  if (mode === 's3') {
    const { S3Client } = await import('@aws-sdk/client-s3');
    const env = JSON.parse(process.env.RVF_BENCH_S3);
    const client = new S3Client({
      endpoint: env.S3_ENDPOINT,
      region: env.S3_REGION,
      credentials: { accessKeyId: env.S3_ACCESS_KEY, secretAccessKey: env.S3_SECRET_KEY },
      forcePathStyle: true,
    });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const r = await next(args);
        s3Count.requests++;
        // A HEAD's content-length is the object's size, not bytes sent: count GET bodies only.
        if (context.commandName === 'GetObjectCommand')
          s3Count.bytes += Number(r.response?.headers?.['content-length'] ?? 0);
        return r;
      },
      { step: 'deserialize', name: 'rvfjsBenchCount' },
    );
    s3Options = { client };
  }
  if (mode === 'download') {
    // The whole file first, as a function without a range-reading store would do.
    const res = await fetch(target);
    const local = join(dirname(queriesPath), 'downloaded.rvf');
    writeFileSync(local, new Uint8Array(await res.arrayBuffer()));
    path = local;
  }
  const store = await RvfStore.open(path, { readOnly: true, ...(s3Options ? { s3: s3Options } : {}) });
  const openMs = performance.now() - t0;
  await store.query(q.subarray(0, dim), 10);
  const firstMs = performance.now() - t0;
  const marks =
    mode === 's3'
      ? { ...s3Count, own: true }
      : await (await fetch(`${process.env.RVF_BENCH_COUNTER}`)).json().catch(() => undefined);
  for (let i = 1; i <= nq; i++) await store.query(q.subarray((i % 100) * dim, ((i % 100) + 1) * dim), 10);
  const allMs = performance.now() - t0;
  const engine = store.status().engine;
  await store.close();
  process.stdout.write(
    JSON.stringify({ openMs, firstMs, allMs, atFirst: marks, atEnd: { ...s3Count }, engine }),
  );
  process.exit(0);
}

// ---------------------------------------------------------------- orchestrator
const quick = argv.includes('--quick');
const write = !argv.includes('--no-write');
const N = quick ? 5_000 : 20_000;
const DIM = 128;
const NQ = 100;
const dir = mkdtempSync(join(tmpdir(), 'rvfjs-remote-open-'));
const log = (s) => process.stderr.write(`[remote-open] ${s}\n`);

const file = join(dir, 'store.rvf');
const { data, queries } = synthetic('clustered', N, 100, DIM, 11);
const s = await RvfStore.create(file, { dimension: DIM });
await s.ingestBatch(
  data,
  Array.from({ length: N }, (_, i) => i),
);
await s.close();
const queriesPath = join(dir, 'queries.f32');
writeFileSync(queriesPath, new Uint8Array(queries.buffer, queries.byteOffset, queries.byteLength));
const size = statSync(file).size;
const bytes = readFileSync(file);

// The server: HEAD, ranged GET, whole GET; /counter reports what was sent so far.
const stats = { requests: 0, bytes: 0 };
const server = createServer((req, res) => {
  if (req.url === '/counter') {
    res.end(JSON.stringify({ ...stats }));
    return;
  }
  stats.requests++;
  if (req.method === 'HEAD') {
    res.writeHead(200, { 'content-length': size, 'accept-ranges': 'bytes' }).end();
    return;
  }
  const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
  const from = m ? Number(m[1]) : 0;
  const to = m ? Math.min(Number(m[2]), size - 1) : size - 1;
  const body = bytes.subarray(from, to + 1);
  stats.bytes += body.length;
  res.writeHead(m ? 206 : 200, {
    'content-length': body.length,
    ...(m ? { 'content-range': `bytes ${from}-${to}/${size}` } : {}),
  });
  res.end(body);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

/** One variant in a fresh process; spawned asynchronously, since this process serves its reads. */
function run(mode) {
  const before = { ...stats };
  const target =
    mode === 'local' ? file : mode === 's3' ? `s3://${S3_BUCKET}/store.rvf` : `${base}/store.rvf`;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        fileURLToPath(import.meta.url),
        '--child',
        JSON.stringify({ mode, target, queriesPath, dim: DIM, nq: NQ }),
      ],
      {
        env: {
          ...process.env,
          RVF_BENCH_COUNTER: `${base}/counter`,
          ...(s3Env ? { RVF_BENCH_S3: JSON.stringify(s3Env) } : {}),
        },
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code) => {
      if (code !== 0) {
        reject(new Error(`${mode}: exit ${code}: ${err}`));
        return;
      }
      const r = JSON.parse(out);
      resolve({
        mode,
        openMs: r.openMs,
        firstMs: r.firstMs,
        allMs: r.allMs,
        // s3: the child counted what its SDK client sent and received; http: this server did.
        requestsToFirst: r.atFirst?.own
          ? r.atFirst.requests
          : r.atFirst
            ? r.atFirst.requests - before.requests
            : 0,
        bytesToFirst: r.atFirst?.own ? r.atFirst.bytes : r.atFirst ? r.atFirst.bytes - before.bytes : 0,
        requestsTotal: mode === 's3' ? r.atEnd.requests : stats.requests - before.requests,
        bytesTotal: mode === 's3' ? r.atEnd.bytes : stats.bytes - before.bytes,
        engine: r.engine,
      });
    });
  });
}

/**
 * The S3 variant needs a real S3 server: Ceph RADOS Gateway, started by scripts/rgw/start.sh
 * (under a lease of this process, so a test run sharing the gateway keeps it) when Ceph's
 * packages are installed (see scripts/rgw/README.md). Without it the row is left out.
 */
const RGW = join(HERE, '../../scripts/rgw');
const rgwEnv = { ...process.env, RGW_LEASE: `${process.pid}-bench` };
function startGateway() {
  const script = join(RGW, 'start.sh');
  if (!existsSync(script)) return undefined;
  const r = spawnSync('bash', [script], { encoding: 'utf8', timeout: 180_000, env: rgwEnv });
  if (r.status !== 0) {
    log(`no S3 row: the gateway did not start (${(r.stderr || r.stdout).trim().split('\n').at(-1)})`);
    return undefined;
  }
  return Object.fromEntries(
    r.stdout
      .split('\n')
      .filter((l) => /^S3_\w+=/.test(l))
      .map((l) => l.split('=', 2)),
  );
}
const S3_BUCKET = `bench-${process.pid}`;
const s3Env = startGateway();
const modes = ['local', 'http', 'download', ...(s3Env ? ['s3'] : [])];
if (s3Env) {
  const { CreateBucketCommand, PutObjectCommand, S3Client } = await import('@aws-sdk/client-s3');
  const client = new S3Client({
    endpoint: s3Env.S3_ENDPOINT,
    region: s3Env.S3_REGION,
    credentials: { accessKeyId: s3Env.S3_ACCESS_KEY, secretAccessKey: s3Env.S3_SECRET_KEY },
    forcePathStyle: true,
  });
  // A bucket of its own: a test run may share the gateway.
  await client.send(new CreateBucketCommand({ Bucket: S3_BUCKET }));
  await client.send(new PutObjectCommand({ Bucket: S3_BUCKET, Key: 'store.rvf', Body: bytes }));
  client.destroy();
}

const loadBefore = loadavg();
const runs = [];
try {
  for (let rep = 0; rep < 3; rep++) {
    for (const mode of modes) {
      log(`run ${rep + 1}/3: ${mode}`);
      runs.push(await run(mode));
    }
  }
} finally {
  server.close();
  rmSync(dir, { recursive: true, force: true });
  if (s3Env) spawnSync('bash', [join(RGW, 'stop.sh')], { env: rgwEnv });
}
const loadAfter = loadavg();

const med = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const summary = modes.map((mode) => {
  const rs = runs.filter((r) => r.mode === mode);
  return {
    mode,
    openMs: med(rs.map((r) => r.openMs)),
    firstMs: med(rs.map((r) => r.firstMs)),
    allMs: med(rs.map((r) => r.allMs)),
    requestsToFirst: med(rs.map((r) => r.requestsToFirst)),
    bytesToFirst: med(rs.map((r) => r.bytesToFirst)),
    bytesTotal: med(rs.map((r) => r.bytesTotal)),
    requestsTotal: med(rs.map((r) => r.requestsTotal)),
  };
});
const MIB = 1024 * 1024;
const label = {
  local: 'local file',
  http: 'over HTTP (range requests)',
  download: 'download whole file, then open',
  s3: 'in S3 (Ceph RADOS Gateway on 127.0.0.1, ranged GETs)',
};
const md = [
  '## Remote open: a store read where it lives',
  '',
  `- Machine: ${cpus()[0]?.model ?? '?'} ×${cpus().length}, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, Node ${process.version}`,
  `- Run: ${new Date().toISOString()}; load average before ${loadBefore.map((x) => x.toFixed(2)).join(' / ')}, after ${loadAfter.map((x) => x.toFixed(2)).join(' / ')} on ${cpus().length} cores`,
  `- A ${N.toLocaleString('en-US')}×${DIM} store (${(size / MIB).toFixed(1)} MiB, saved graph) served by an HTTP server on 127.0.0.1${s3Env ? ', and uploaded to Ceph RADOS Gateway on 127.0.0.1' : ' (no S3 row: the gateway could not start)'}; each variant a fresh process, 3 runs, medians. "Bytes" are what the server sent (for S3: the bodies the SDK received).`,
  '',
  `| variant | open | open → first result | open + ${NQ + 1} queries | requests to first result | bytes to first result | bytes in all |`,
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...summary.map(
    (r) =>
      `| ${label[r.mode]} | ${r.openMs.toFixed(1)} ms | ${r.firstMs.toFixed(1)} ms | ${r.allMs.toFixed(0)} ms | ${r.mode === 'local' ? '–' : r.requestsToFirst} | ${r.mode === 'local' ? '–' : `${(r.bytesToFirst / MIB).toFixed(2)} MiB (${(r.bytesToFirst / size).toFixed(2)}×)`} | ${r.mode === 'local' ? '–' : `${(r.bytesTotal / MIB).toFixed(2)} MiB (${(r.bytesTotal / size).toFixed(2)}×)`} |`,
  ),
  '',
].join('\n');
if (write) {
  writeFileSync(
    join(RESULTS, 'remote-open.json'),
    `${JSON.stringify({ n: N, dim: DIM, size, loadBefore, loadAfter, runs, summary }, null, 2)}\n`,
  );
  writeFileSync(join(RESULTS, 'remote-open.md'), `${md}\n`);
}
process.stdout.write(`${md}\n`);
