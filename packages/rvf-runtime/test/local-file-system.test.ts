import { existsSync, openSync, closeSync as rawClose, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { INLINE_WRITE_BYTES, nodeFileSystem } from '../src/local-file-system.js';
import { rng, tempDir } from './helpers.js';

const work = tempDir();
afterAll(() => work.cleanup());

const bytes = (n: number, seed: number): Uint8Array => {
  const r = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
};

describe('nodeFileSystem (small I/O inline, fsyncs and large writes on the thread pool)', () => {
  it('writes below and above the inline limit land where asked, and read back through read() and the file', async () => {
    const path = join(work.dir, 'io.bin');
    const fh = await nodeFileSystem.open(path, 'wx+');
    const small = bytes(1000, 1);
    const large = bytes(INLINE_WRITE_BYTES + 4097, 2);
    expect((await fh.write(small, 0, small.length, 0)).bytesWritten).toBe(small.length);
    // A large write at an offset after a hole, from the middle of its buffer.
    const at = 5000;
    const { bytesWritten } = await fh.write(large, 7, large.length - 7, at);
    expect(bytesWritten).toBe(large.length - 7);
    await fh.sync();
    expect((await fh.stat()).size).toBe(at + large.length - 7);
    const back = new Uint8Array(100);
    expect((await fh.read(back, 0, 100, at)).bytesRead).toBe(100);
    expect(back).toEqual(large.subarray(7, 107));
    await fh.close();
    const file = new Uint8Array(readFileSync(path));
    expect(file.subarray(0, small.length)).toEqual(small);
    expect(file.subarray(small.length, at).every((b) => b === 0)).toBe(true);
    expect(file.subarray(at)).toEqual(large.subarray(7));
  });

  it('creates only new files with wx, and the OS error keeps its code', async () => {
    const path = join(work.dir, 'exists.bin');
    writeFileSync(path, 'x');
    await expect(nodeFileSystem.open(path, 'wx')).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(nodeFileSystem.open(join(work.dir, 'missing.bin'), 'r')).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('closing twice does not close a descriptor the OS has handed to another file since', async () => {
    const fh = await nodeFileSystem.open(join(work.dir, 'once.bin'), 'wx');
    await fh.close();
    // The OS reuses the lowest free descriptor: this file very likely gets the same number.
    const other = join(work.dir, 'other.bin');
    writeFileSync(other, 'still open');
    const otherFd = openSync(other, 'r');
    try {
      await fh.close();
      const buf = Buffer.alloc(10);
      expect(readSync(otherFd, buf, 0, 10, 0)).toBe(10);
      expect(buf.toString()).toBe('still open');
    } finally {
      rawClose(otherFd);
    }
  });

  it('link refuses an existing name; rename, remove and stat do what they say', async () => {
    const a = join(work.dir, 'a.bin');
    const b = join(work.dir, 'b.bin');
    const c = join(work.dir, 'c.bin');
    writeFileSync(a, 'abc');
    await nodeFileSystem.link(a, b);
    await expect(nodeFileSystem.link(a, b)).rejects.toMatchObject({ code: 'EEXIST' });
    expect((await nodeFileSystem.stat(b)).size).toBe(3);
    expect((await nodeFileSystem.stat(b)).ino).toBe((await nodeFileSystem.stat(a)).ino);
    await nodeFileSystem.rename(b, c);
    expect(existsSync(b)).toBe(false);
    await nodeFileSystem.remove(c);
    await nodeFileSystem.remove(c); // removing what is not there is not an error
    expect(existsSync(c)).toBe(false);
    await nodeFileSystem.syncDir(a);
    await nodeFileSystem.syncDir(join(work.dir, 'no-such-folder', 'x')); // cannot: ignored
  });
});
