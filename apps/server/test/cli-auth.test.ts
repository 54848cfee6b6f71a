import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

// The built entry (dist/main.js) as a user runs it. Servers bind 127.0.0.1, or 0.0.0.0 where
// the test is about refusing or allowing a non-loopback address; requests go to 127.0.0.1 only.
const main = join(dirname(fileURLToPath(import.meta.url)), '../dist/main.js');
const work = tempDir();
afterAll(() => work.cleanup());

const RW = 'cli-rw-0123456789abcdef';
const RO = 'cli-ro-0123456789abcdef';
const FILE_RW = 'file-rw-0123456789abcdef';

interface Running {
  child: ChildProcess;
  url: string;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

/** Runs dist/main.js; resolves once it logged its URL, or rejects with its output if it exited. */
function start(args: string[], env: Record<string, string> = {}): Promise<Running> {
  expect(existsSync(main), 'run `pnpm build` before the tests').toBe(true);
  const child = spawn(process.execPath, [main, '--port', '0', '--data', join(work.dir, 'data'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL logged in 15 s: ${out} ${err}`)), 15_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${m[1]}`, out: () => out, err: () => err, exited });
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`exited ${code}`), { code, out, err }));
    });
  });
}

async function stop(r: Running): Promise<void> {
  r.child.kill('SIGTERM');
  expect(await r.exited, `${r.out()} ${r.err()}`).toBe(0);
}

const get = (url: string, key?: string) =>
  fetch(url, key ? { headers: { authorization: `Bearer ${key}` } } : {}).then((r) => r.status);
const post = (url: string, body: unknown, key?: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  }).then((r) => r.status);

describe('rvf-server and API keys', () => {
  it('keys from the environment: 401 without, 403 read-only on a write, health open', async () => {
    const r = await start(['--host', '127.0.0.1'], { RVF_API_KEY: RW, RVF_READ_ONLY_API_KEY: RO });
    try {
      expect(r.out()).toContain('auth: 1 read-write and 1 read-only key(s)');
      expect(r.out()).not.toContain(RW);
      expect(await get(`${r.url}/health`)).toBe(200);
      expect(await get(`${r.url}/stores`)).toBe(401);
      expect(await get(`${r.url}/stores`, 'wrong-key-0123456789abc')).toBe(401);
      expect(await post(`${r.url}/stores`, { name: 'a', dimension: 2 }, RO)).toBe(403);
      expect(await post(`${r.url}/stores`, { name: 'a', dimension: 2 }, RW)).toBe(201);
      expect(await get(`${r.url}/stores/a`, RO)).toBe(200);
    } finally {
      await stop(r);
    }
  });

  it('--keys-file adds keys to those of the environment', async () => {
    const file = join(work.dir, 'keys.txt');
    writeFileSync(file, `# team keys\nread-write ${FILE_RW}\nread-only ${RO}\n`);
    const r = await start(['--keys-file', file], { RVF_API_KEY: RW });
    try {
      expect(r.out()).toContain('auth: 2 read-write and 1 read-only key(s)');
      expect(await post(`${r.url}/stores`, { name: 'b', dimension: 2 }, FILE_RW)).toBe(201);
      expect(await post(`${r.url}/stores`, { name: 'c', dimension: 2 }, RW)).toBe(201);
      expect(await post(`${r.url}/stores/b/branch`, { child: 'd' }, RO)).toBe(403);
      expect(await get(`${r.url}/stores/b`, RO)).toBe(200);
    } finally {
      await stop(r);
    }
  });

  it('a bad keys file or a weak key: exit 2, the line named, the key not shown', async () => {
    const file = join(work.dir, 'bad-keys.txt');
    writeFileSync(file, `read-write ${FILE_RW}\nsuperuser ${RW}\n`);
    const bad = await start(['--keys-file', file]).catch((e) => e);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/bad-keys\.txt line 2: role must be read-write or read-only/);
    expect(bad.err).not.toContain(RW);
    const weak = await start([], { RVF_API_KEY: 'hunter2' }).catch((e) => e);
    expect(weak.code).toBe(2);
    expect(weak.err).toMatch(/RVF_API_KEY: an API key is at least 16/);
    expect(weak.err).not.toContain('hunter2');
    const missing = await start(['--keys-file', join(work.dir, 'nope.txt')]).catch((e) => e);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot read --keys-file/);
  });

  it('refuses a non-loopback address without a key', async () => {
    const refused = await start(['--host', '0.0.0.0']).catch((e) => e);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/refusing to listen on 0\.0\.0\.0 without an API key/);
    expect(refused.out).not.toMatch(/listening/);
  });

  it('listens on a non-loopback address with a key (rate-limited by default), or with --insecure', async () => {
    const keyed = await start(['--host', '0.0.0.0'], { RVF_API_KEY: RW });
    try {
      expect(await get(`${keyed.url}/stores`)).toBe(401);
      const res = await fetch(`${keyed.url}/stores`, { headers: { authorization: `Bearer ${RW}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBe('1200');
    } finally {
      await stop(keyed);
    }
    const insecure = await start(['--host', '0.0.0.0', '--insecure', '--rate-limit', '0']);
    try {
      expect(insecure.err()).toMatch(/WARNING: listening on 0\.0\.0\.0 with no API key/);
      expect(insecure.out()).toContain('auth: none');
      const res = await fetch(`${insecure.url}/stores`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBeNull();
    } finally {
      await stop(insecure);
    }
  });

  it('on loopback without a key it stays open, as before', async () => {
    const r = await start(['--host', '127.0.0.1']);
    try {
      expect(r.out()).toContain('auth: none');
      expect(await post(`${r.url}/stores`, { name: 'open', dimension: 2 })).toBe(201);
    } finally {
      await stop(r);
    }
  });

  it('checks its number options', async () => {
    for (const args of [
      ['--max-k', '0'],
      ['--import-line-limit', '1MB'],
      ['--rate-limit', '-1'],
    ]) {
      const e = await start(args).catch((x) => x);
      expect(e.code, args.join(' ')).toBe(2);
      expect(e.err).toContain(args[0]);
    }
  });
});
