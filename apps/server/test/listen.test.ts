import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { type ClientRequest, get as httpGet, type IncomingMessage } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServer } from '../src/index.js';
import { bruteForce, randomRows, sameHits, tempDir } from './helpers.js';

// Everything here listens on, and talks to, 127.0.0.1 only.
const work = tempDir();
afterAll(() => work.cleanup());

async function post(base: string, path: string, body: unknown) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

describe('a real listening server', () => {
  it('answers fetch on 127.0.0.1 (port 0), then closes and releases its locks', async () => {
    const dir = join(work.dir, 'real');
    const app = buildServer({ dataDir: dir });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await (await fetch(`${url}/health`)).json()).toEqual({ ok: true });
      expect((await post(url, '/stores', { name: 'net', dimension: 3 })).status).toBe(201);
      const rows = randomRows(50, 3, 9);
      const ids = rows.map((_, i) => i);
      expect((await post(url, '/stores/net/vectors', { vectors: rows, ids })).json).toMatchObject({
        accepted: 50,
      });
      const q = [0.1, -0.2, 0.3];
      const r = await post(url, '/stores/net/query', { vector: q, k: 5 });
      expect(r.status).toBe(200);
      sameHits(r.json.results, bruteForce(rows, ids, 'l2', q, 5), expect);
      const bad = await post(url, '/stores/net/query', { vector: q, k: 5, filter: { op: 'nope' } });
      expect(bad.status).toBe(400);
      expect(bad.json.error).toMatchObject({ code: '0x0203', name: 'FilterParseError' });
      expect(existsSync(join(dir, 'net.rvf.lock'))).toBe(true);
    } finally {
      await app.close();
    }
    expect(readdirSync(dir)).toEqual(['net.rvf']);
  });

  it('an open export holds off writes (one epoch); abandoning it mid-stream releases the store', async () => {
    const dir = join(work.dir, 'abort');
    const app = buildServer({ dataDir: dir });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    let req: ClientRequest | undefined;
    try {
      // ~15 MB of NDJSON: far more than the socket buffers hold while the client reads nothing.
      const dim = 64;
      const n = 12_000;
      const rows = randomRows(n, dim, 1);
      await post(url, '/stores', { name: 'big', dimension: dim });
      const ing = await post(url, '/stores/big/vectors', { vectors: rows, ids: rows.map((_, i) => i) });
      expect(ing.json).toMatchObject({ accepted: n });

      // Read one chunk of the export, then stop reading (the server stalls on backpressure).
      const { res, first } = await new Promise<{ res: IncomingMessage; first: string }>((resolve, reject) => {
        req = httpGet(`${url}/stores/big/export`, (res) => {
          res.once('data', (chunk: Buffer) => {
            res.pause();
            resolve({ res, first: chunk.toString('utf8') });
          });
        });
        req.on('error', reject);
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
      expect(first).toMatch(/^\{"id":0,"vector":\[/);

      // While the export is open, a write waits (export() reads one epoch under the write gate).
      let written = false;
      const write = post(url, '/stores/big/vectors', { vectors: [Array(dim).fill(0)], ids: [n] }).then(
        (r) => {
          written = true;
          return r;
        },
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(written).toBe(false);

      // The client goes away: the stream is destroyed, the generator closed, the gate opened.
      req!.destroy();
      const done = await Promise.race([
        write,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('write still blocked by export')), 10_000),
        ),
      ]);
      expect(done.json).toEqual({ accepted: 1, rejected: 0, epoch: 2 });
    } finally {
      req?.destroy();
      await app.close();
    }
    expect(readdirSync(dir)).toEqual(['big.rvf']);
  });
});

describe('the CLI entry (dist/main.js)', () => {
  const main = join(dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

  it('starts on --port 0, logs its URL, serves, and shuts down cleanly on SIGTERM', async () => {
    expect(existsSync(main), 'run `pnpm build` before the tests').toBe(true);
    const dir = join(work.dir, 'cli-data');
    const child: ChildProcess = spawn(
      process.execPath,
      [main, '--port', '0', '--host', '127.0.0.1', '--data', dir],
      // Without API keys, whatever the environment running the tests has: this server is open.
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, RVF_API_KEY: '', RVF_READ_ONLY_API_KEY: '' },
      },
    );
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL logged in 15 s: ${out} ${err}`)), 15_000);
        child.stdout!.on('data', (d) => {
          out += d;
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.on('exit', () => reject(new Error(`server exited early: ${out} ${err}`)));
      });
      expect(out).toContain(`(data: ${dir})`);
      expect(await (await fetch(`${url}/health`)).json()).toEqual({ ok: true });
      expect((await post(url, '/stores', { name: 'cli', dimension: 2 })).status).toBe(201);
      await post(url, '/stores/cli/vectors', { vectors: [[1, 1]], ids: ['18446744073709551615'] });
      const r = await post(url, '/stores/cli/query', { vector: [1, 1], k: 1 });
      expect(r.json.results).toEqual([{ id: '18446744073709551615', distance: 0 }]);
      expect(existsSync(join(dir, 'cli.rvf.lock'))).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(readdirSync(dir)).toEqual(['cli.rvf']);
  });

  it('refuses a bad --port', async () => {
    const child = spawn(process.execPath, [main, '--port', 'http'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(err).toMatch(/--port/);
  });
});
