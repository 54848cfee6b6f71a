/**
 * Signed segments: a store given a signing key signs every segment it writes (ingests,
 * deletes, graph saves, compaction, a branch's link), verifySignatures checks each against
 * its segment's bytes and names the signer, and a changed segment or another key's signature
 * makes it fail. The reference opens a signed file and answers as before. Independent
 * answers: keys from @rvfjs/crypto, segments re-encoded by hand.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateSigningKey } from '@rvfjs/crypto';
import { ErrorCode, RvfError } from '@rvfjs/types';
import { encodeSegment } from '@rvfjs/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { RvfStore } from '../src/index.js';
import { randomVectors, tempDir } from './helpers.js';
import { RvfDatabase } from './interop/reference.js';

const work = tempDir('rvfjs-signing-');
afterAll(() => work.cleanup());
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const key = generateSigningKey(new Uint8Array(32).fill(7));
const other = generateSigningKey(new Uint8Array(32).fill(9));
const DIM = 8;

async function signedStore(name: string): Promise<string> {
  const path = join(work.dir, name);
  const s = await RvfStore.create(path, { dimension: DIM, signingKey: key.secretKey, indexThreshold: 64 });
  await s.ingestBatch(randomVectors(200, DIM, 1), [...Array(200).keys()], undefined);
  await s.delete([3, 4]);
  await s.close(); // saves the HNSW graph: signed too
  const again = await RvfStore.open(path, { signingKey: key.secretKey, indexThreshold: 64 });
  await again.ingestBatch(
    randomVectors(10, DIM, 2),
    [...Array(10).keys()].map((i) => 500 + i),
  );
  await again.compact(); // a new file: everything signed again
  await again.close();
  return path;
}

describe('signed segments', () => {
  it('every segment a signing writer makes is signed; the report names the signer', async () => {
    const path = await signedStore('signed.rvf');
    const s = await RvfStore.open(path, { readOnly: true });
    const report = await s.verifySignatures();
    expect(report).toMatchObject({
      valid: true,
      signers: [hex(key.publicKey)],
      unsignedSegments: 0,
      failures: [],
    });
    expect(report.signedSegments).toBeGreaterThan(3);
    expect(report.signatures).toBe(report.signedSegments);
    expect(s.segments().some((x) => x.segType === 'rvfjs_hnsw_graph')).toBe(true);
    // With the expected key: valid; with another key expected: every signature fails.
    expect((await s.verifySignatures({ signer: key.publicKey })).valid).toBe(true);
    const wrong = await s.verifySignatures({ signer: other.publicKey });
    expect(wrong.valid).toBe(false);
    expect(wrong.failures).toHaveLength(report.signatures);
    expect(wrong.failures[0]!.reason).toMatch(/not by the expected key/);
    await s.close();
  });

  it('a segment changed after signing fails, although its content hash was made to match', async () => {
    const path = await signedStore('tampered.rvf');
    const s = await RvfStore.open(path, { readOnly: true });
    const vec = s.segments().find((x) => x.segType === 'vec')!;
    await s.close();
    // Re-encode the VEC segment with one float changed: the header's content hash is
    // recomputed, so the store still opens; only the signature can tell.
    const bytes = new Uint8Array(readFileSync(path));
    const payload = bytes.slice(vec.offset + 64, vec.offset + 64 + vec.payloadLength);
    const floats = new DataView(payload.buffer);
    floats.setFloat32(6 + 8, floats.getFloat32(6 + 8, true) + 1, true); // first record's first float
    const forged = encodeSegment(0x01, BigInt(vec.id), payload);
    bytes.set(forged, vec.offset);
    writeFileSync(path, bytes);
    const t = await RvfStore.open(path, { readOnly: true });
    const report = await t.verifySignatures();
    expect(report.valid).toBe(false);
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]!.reason).toMatch(
      new RegExp(`segment ${vec.id} at offset ${vec.offset} does not verify`),
    );
    expect(report.unsignedSegments).toBe(1);
    await t.close();
  });

  it('an unsigned store reports its segments unsigned; a bad key is refused before anything is written', async () => {
    const path = join(work.dir, 'plain.rvf');
    const s = await RvfStore.create(path, { dimension: DIM });
    await s.ingestBatch(randomVectors(5, DIM, 3), [1, 2, 3, 4, 5]);
    const report = await s.verifySignatures();
    expect(report).toMatchObject({ valid: true, signatures: 0, signers: [], signedSegments: 0 });
    expect(report.unsignedSegments).toBeGreaterThan(0);
    await s.close();
    const bad = join(work.dir, 'bad-key.rvf');
    await expect(RvfStore.create(bad, { dimension: DIM, signingKey: new Uint8Array(5) })).rejects.toSatisfy(
      (e: unknown) => RvfError.is(e, ErrorCode.InvalidArgument) && /5 bytes/.test((e as Error).message),
    );
    await expect(RvfStore.open(path, { signingKey: new Uint8Array(31) })).rejects.toSatisfy((e: unknown) =>
      RvfError.is(e, ErrorCode.InvalidArgument),
    );
  });

  it("a branch child of a signing parent signs its own segments with the parent's key", async () => {
    const path = await signedStore('signed-parent.rvf');
    const parent = await RvfStore.open(path, { signingKey: key.secretKey });
    const child = await parent.branch(join(work.dir, 'signed-child.rvf'));
    await child.ingestBatch(randomVectors(2, DIM, 4), [1, 900]);
    await child.delete([2]);
    const report = await child.verifySignatures({ signer: key.publicKey });
    expect(report).toMatchObject({ valid: true, unsignedSegments: 0 });
    expect(report.signedSegments).toBeGreaterThanOrEqual(4);
    await child.close();
    await parent.close();
  });

  it('the reference opens a signed file and answers as rvfjs does', async () => {
    const path = await signedStore('signed-ref.rvf');
    const ours = await RvfStore.open(path, { readOnly: true });
    const q = randomVectors(1, DIM, 5);
    const want = (await ours.query(q, 5, { plan: 'exact' })).map((h) => Number(h.id));
    await ours.close();
    const ref = RvfDatabase.openReadonly(path);
    try {
      expect(ref.query(q, 5).map((h: { id: unknown }) => Number(h.id))).toEqual(want);
    } finally {
      ref.close();
    }
  });
});

describe('the Ed25519 code loads only for stores that sign or verify', () => {
  // Loading @noble/curves takes about 20 ms, half of what importing the runtime took; a
  // process that opens and queries (a serverless reader) must not pay for it. A resolve hook
  // in a fresh process lists every module of @noble/curves the process loads.
  const dist = join(dirname(fileURLToPath(import.meta.url)), '../dist/index.js');
  const run = (body: string) => {
    const log = join(work.dir, `loaded-${Math.random().toString(36).slice(2)}.txt`);
    writeFileSync(log, '');
    const hook = `
      import { appendFileSync } from 'node:fs';
      export async function resolve(specifier, context, next) {
        const r = await next(specifier, context);
        if (r.url.includes('@noble/curves')) appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
        return r;
      }`;
    const script = `
      import { register } from 'node:module';
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
      const { RvfStore } = await import(${JSON.stringify(pathToFileURL(dist).href)});
      ${body}`;
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    return readFileSync(log, 'utf8').split('\n').filter(Boolean);
  };

  it('create, ingest, query and reopen without a key: never loaded; with a key or verifySignatures: loaded', () => {
    const plain = join(work.dir, 'unsigned-loads.rvf');
    expect(
      run(`
        const s = await RvfStore.create(${JSON.stringify(plain)}, { dimension: 2 });
        await s.ingestBatch([[1, 2], [3, 4]], [1, 2]);
        await s.close();
        const r = await RvfStore.open(${JSON.stringify(plain)}, { readOnly: true });
        if ((await r.query([1, 2], 1))[0].id !== 1) throw new Error('wrong answer');
        await r.close();`),
    ).toEqual([]);
    expect(
      run(`
        const r = await RvfStore.open(${JSON.stringify(plain)}, { readOnly: true });
        const report = await r.verifySignatures();
        if (report.signatures !== 0) throw new Error('signatures in an unsigned file');
        await r.close();`).length,
    ).toBeGreaterThan(0);
    const signed = join(work.dir, 'signed-loads.rvf');
    expect(
      run(`
        const s = await RvfStore.create(${JSON.stringify(signed)}, { dimension: 2, signingKey: new Uint8Array(32).fill(7) });
        await s.ingestBatch([[1, 2]], [1]);
        await s.close();`).length,
    ).toBeGreaterThan(0);
  });
});
