/**
 * The three byte sources (memory, file handle, HTTP range) must agree on every golden file,
 * refuse out-of-range reads with TruncatedSegment, and — over HTTP — open a file by reading
 * only the tail window plus the segments actually asked for.
 */
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, RvfError, SegmentType } from '@rvfjs/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ByteSource,
  bytesSource,
  encodeManifestPayload,
  encodeSegment,
  encodeVecPayload,
  fileHandleSource,
  findLatestManifest,
  httpSource,
  readSegmentAt,
} from '../src/index.js';
import { goldenBytes, goldenNames, hex } from './golden.js';

const GOLDEN = goldenNames();
const TAIL_WINDOW = 64 * 1024;

/** A synthetic file well past the tail window: 60 VEC segments (~250 KB) and a final manifest. */
function syntheticFile(): {
  bytes: Uint8Array;
  vecEntries: { offset: number; payloadLength: number; segId: bigint }[];
} {
  const parts: Uint8Array[] = [];
  const directory = [];
  let offset = 0;
  const dimension = 16;
  for (let s = 0; s < 60; s++) {
    const count = 60;
    const ids = BigUint64Array.from({ length: count }, (_, i) => BigInt(s * count + i));
    const vectors = Float32Array.from({ length: count * dimension }, (_, i) => Math.sin(s * 1000 + i));
    const payload = encodeVecPayload({ dimension, ids, vectors });
    const seg = encodeSegment(SegmentType.Vec, BigInt(s + 1), payload);
    directory.push({ segId: BigInt(s + 1), offset, payloadLength: payload.length, segType: SegmentType.Vec });
    parts.push(seg);
    offset += seg.length;
  }
  const manifest = encodeManifestPayload({
    epoch: 60,
    dimension,
    totalVectors: 3600n,
    profileId: 0,
    metricCode: 0,
    directory,
    deletedIds: [],
    identity: {
      fileId: new Uint8Array(16).fill(9),
      parentId: new Uint8Array(16),
      parentHash: new Uint8Array(32),
      lineageDepth: 0,
    },
  });
  parts.push(encodeSegment(SegmentType.Manifest, 61n, manifest));
  const bytes = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, vecEntries: directory };
}

type Mode = 'range' | 'ignore-range' | 'no-head-length';

interface Stats {
  requests: { method: string; range: string | undefined }[];
  bodyBytes: number;
}

/** Serves named files. `range` honours Range (206 + Content-Range), HEAD gives Content-Length. */
function startServer(
  mode: Mode,
  files: Map<string, Uint8Array>,
): Promise<{ server: Server; base: string; stats: Stats }> {
  const stats: Stats = { requests: [], bodyBytes: 0 };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const file = files.get(decodeURIComponent((req.url ?? '/').slice(1)));
    const range = req.headers.range;
    stats.requests.push({ method: req.method ?? '?', range });
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    const send = (status: number, headers: Record<string, string | number>, body?: Uint8Array) => {
      res.writeHead(status, headers);
      if (body && req.method !== 'HEAD') {
        stats.bodyBytes += body.length;
        res.end(body);
      } else res.end();
    };
    if (req.method === 'HEAD') {
      // Without an explicit Content-Length Node sends none for a bodiless HEAD answer.
      send(200, mode === 'no-head-length' ? { 'Accept-Ranges': 'bytes' } : { 'Content-Length': file.length });
      return;
    }
    const m = range ? /^bytes=(\d+)-(\d+)$/.exec(range) : null;
    if (mode === 'ignore-range' || !m) {
      send(200, { 'Content-Length': file.length }, file);
      return;
    }
    const a = Number(m[1]);
    const b = Math.min(Number(m[2]), file.length - 1);
    if (a >= file.length || b < a) {
      send(416, { 'Content-Range': `bytes */${file.length}` });
      return;
    }
    const body = file.subarray(a, b + 1);
    send(206, { 'Content-Length': body.length, 'Content-Range': `bytes ${a}-${b}/${file.length}` }, body);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, base: `http://127.0.0.1:${port}/`, stats });
    }),
  );
}

const files = new Map<string, Uint8Array>(GOLDEN.map((n) => [`${n}.rvf`, goldenBytes(n)]));
const synthetic = syntheticFile();
files.set('synthetic.rvf', synthetic.bytes);
const servers: Partial<Record<Mode, { server: Server; base: string; stats: Stats }>> = {};
let dir = '';

beforeAll(async () => {
  for (const mode of ['range', 'ignore-range', 'no-head-length'] as const)
    servers[mode] = await startServer(mode, files);
  dir = await mkdtemp(join(tmpdir(), 'rvf-wire-sources-'));
});

afterAll(async () => {
  for (const s of Object.values(servers)) {
    s.server.closeAllConnections();
    await new Promise<void>((r) => s.server.close(() => r()));
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Opens a temp copy of `bytes` and runs fn with a file-handle source over it. */
async function withFileSource<T>(
  name: string,
  bytes: Uint8Array,
  fn: (s: ByteSource) => Promise<T>,
  size = bytes.length,
) {
  const path = join(dir, name);
  await writeFile(path, bytes);
  const handle = await open(path, 'r');
  try {
    return await fn(fileHandleSource(handle, size));
  } finally {
    await handle.close();
  }
}

async function expectTruncated(p: Promise<unknown>) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RvfError);
  expect((err as RvfError).code).toBe(ErrorCode.TruncatedSegment);
}

/** Out-of-range reads every source must refuse. */
async function checkOutOfRange(source: ByteSource) {
  const n = source.size;
  await expectTruncated(source.read(n - 1, 2));
  await expectTruncated(source.read(n, 1));
  await expectTruncated(source.read(0, n + 1));
  await expectTruncated(source.read(-1, 1));
  await expectTruncated(source.read(0, -1));
  await expectTruncated(source.read(Number.MAX_SAFE_INTEGER, 1));
  await expectTruncated(source.read(1.5, 1));
  await expectTruncated(source.read(0, Number.NaN));
  expect((await source.read(n, 0)).length).toBe(0);
  expect((await source.read(n - 3, 3)).length).toBe(3);
}

/** What findLatestManifest reports, reduced to comparable form. */
async function fingerprint(source: ByteSource) {
  const f = await findLatestManifest(source);
  return { offset: f.offset, end: f.end, payload: hex(f.payload), epoch: f.manifest.epoch };
}

describe.each(GOLDEN)('%s.rvf through every source', (name) => {
  const bytes = goldenBytes(name);

  it('memory, file handle and HTTP (range / ignore-range / no HEAD length) find the same manifest', async () => {
    const expected = await fingerprint(bytesSource(bytes));
    expect(await withFileSource(`${name}.rvf`, bytes, fingerprint)).toEqual(expected);
    for (const mode of ['range', 'ignore-range', 'no-head-length'] as const) {
      const source = await httpSource(`${servers[mode]!.base}${name}.rvf`);
      expect(source.size).toBe(bytes.length);
      expect(await fingerprint(source)).toEqual(expected);
      // And every directory entry reads back identically.
      const { manifest } = await findLatestManifest(source);
      for (const entry of manifest.directory) {
        const seg = await readSegmentAt(source, entry);
        expect(hex(seg.payload)).toBe(
          hex(bytes.subarray(entry.offset + 64, entry.offset + 64 + entry.payloadLength)),
        );
      }
    }
  });
});

describe('out-of-range reads are TruncatedSegment', () => {
  const bytes = goldenBytes('l2_d4_n10');

  it('memory source', async () => {
    await checkOutOfRange(bytesSource(bytes));
  });

  it('file handle source, including a file shorter than the size it was opened with', async () => {
    await withFileSource('oor.rvf', bytes, checkOutOfRange);
    // The file shrank (or the caller lied): the read hits EOF before `length` bytes.
    await withFileSource(
      'short.rvf',
      bytes,
      async (s) => {
        expect(s.size).toBe(bytes.length + 100);
        await expectTruncated(s.read(bytes.length - 10, 50));
        await expect(findLatestManifest(s)).rejects.toMatchObject({ code: ErrorCode.TruncatedSegment });
      },
      bytes.length + 100,
    );
  });

  it.each(['range', 'ignore-range', 'no-head-length'] as const)('HTTP source (%s server)', async (mode) => {
    const source = await httpSource(`${servers[mode]!.base}l2_d4_n10.rvf`);
    const before = servers[mode]!.stats.requests.length;
    await checkOutOfRange(source);
    // Refused reads are refused locally: only the two valid non-empty reads went out.
    expect(servers[mode]!.stats.requests.length - before).toBe(1);
  });

  it('HTTP: a server that cannot deliver what it advertised gives TruncatedSegment', async () => {
    const liar = await startServer('range', new Map([['x.rvf', bytes]]));
    try {
      // Claim a longer resource than exists: the range past the real end answers 416.
      const fetchLie: typeof fetch = async (input, init) => {
        const res = await fetch(input, init);
        if (init?.method !== 'HEAD') return res;
        return new Response(null, { status: 200, headers: { 'Content-Length': String(bytes.length + 500) } });
      };
      const source = await httpSource(`${liar.base}x.rvf`, { fetch: fetchLie });
      expect(source.size).toBe(bytes.length + 500);
      await expectTruncated(source.read(bytes.length + 10, 10));
      await expectTruncated(source.read(bytes.length - 5, 10)); // 206 with fewer bytes than asked
      await expect(httpSource(`${liar.base}missing.rvf`)).rejects.toMatchObject({ name: 'ManifestNotFound' });
    } finally {
      liar.server.closeAllConnections();
      await new Promise<void>((r) => liar.server.close(() => r()));
    }
  });
});

describe('HTTP range reads touch only what they need', () => {
  it('the synthetic file is larger than the tail window several times over', () => {
    expect(synthetic.bytes.length).toBeGreaterThan(200 * 1024);
  });

  it('findLatestManifest transfers one 64 KiB tail window; reading one entry transfers only that segment', async () => {
    const { stats, base } = servers.range!;
    const url = `${base}synthetic.rvf`;
    stats.requests.length = 0;
    stats.bodyBytes = 0;
    const source = await httpSource(url);
    expect(source.size).toBe(synthetic.bytes.length);
    expect(stats.requests).toEqual([{ method: 'HEAD', range: undefined }]);

    const found = await findLatestManifest(source);
    expect(found.end).toBe(synthetic.bytes.length);
    expect(found.manifest.directory.length).toBe(60);
    expect(stats.bodyBytes).toBeLessThanOrEqual(TAIL_WINDOW);
    expect(stats.requests.slice(1)).toEqual([
      { method: 'GET', range: `bytes=${synthetic.bytes.length - TAIL_WINDOW}-${synthetic.bytes.length - 1}` },
    ]);

    const entry = found.manifest.directory[7]!;
    const before = stats.bodyBytes;
    const seg = await readSegmentAt(source, entry);
    expect(seg.hash).toBe('ok');
    expect(stats.bodyBytes - before).toBe(64 + entry.payloadLength);
    expect(stats.requests.at(-1)).toEqual({
      method: 'GET',
      range: `bytes=${entry.offset}-${entry.offset + 64 + entry.payloadLength - 1}`,
    });
    expect(stats.requests.length).toBe(3);
    expect(hex(seg.payload)).toBe(
      hex(synthetic.bytes.subarray(entry.offset + 64, entry.offset + 64 + entry.payloadLength)),
    );
  });

  it('the no-HEAD-length server is sized with a one-byte range probe', async () => {
    const { stats, base } = servers['no-head-length']!;
    stats.requests.length = 0;
    stats.bodyBytes = 0;
    const source = await httpSource(`${base}synthetic.rvf`);
    expect(source.size).toBe(synthetic.bytes.length);
    expect(stats.requests).toEqual([
      { method: 'HEAD', range: undefined },
      { method: 'GET', range: 'bytes=0-0' },
    ]);
    expect(stats.bodyBytes).toBe(1);
    await findLatestManifest(source);
    expect(stats.bodyBytes).toBe(1 + TAIL_WINDOW);
  });

  it('a server that ignores Range still yields correct bytes (it just sends the whole file)', async () => {
    const { stats, base } = servers['ignore-range']!;
    stats.requests.length = 0;
    stats.bodyBytes = 0;
    const source = await httpSource(`${base}synthetic.rvf`);
    const found = await findLatestManifest(source);
    const entry = found.manifest.directory[59]!;
    const seg = await readSegmentAt(source, entry);
    expect(hex(seg.payload)).toBe(
      hex(synthetic.bytes.subarray(entry.offset + 64, entry.offset + 64 + entry.payloadLength)),
    );
    expect(stats.bodyBytes).toBe(2 * synthetic.bytes.length);
  });

  it('file handle source agrees on the synthetic file', async () => {
    const expected = await fingerprint(bytesSource(synthetic.bytes));
    expect(await withFileSource('synthetic.rvf', synthetic.bytes, fingerprint)).toEqual(expected);
  });
});
