// Packs every library with `pnpm pack`, installs the tarballs into empty folders with npm,
// and imports them (ESM and CJS). Proves three things the packages promise:
//  - each tarball installs and imports on its own (files, exports map, dist);
//  - @rvfjs/wire installs with @rvfjs/types only: no index, runtime or native add-on;
//  - @rvfjs/objectstore installs with the runtime and the AWS SDK, and imports;
//  - workspace:^ ranges were rewritten to real versions.
// (The install page's instructions are checked against the same tarballs by
// apps/docs/test/install.test.ts.)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packLibraries } from './pack-libs.mjs';

const out = mkdtempSync(join(tmpdir(), 'rvf-pack-'));
const sh = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

// PNPM may be a command line such as `npx -y pnpm@10.34.9` (as in CI).
const tarball = packLibraries(out);

function tryInstall(name, tarballs, code) {
  const dir = mkdtempSync(join(out, `${name}-`));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: `check-${name}`, private: true, type: 'module' }),
  );
  sh('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs], dir);
  writeFileSync(join(dir, 'check.mjs'), code.esm);
  writeFileSync(join(dir, 'check.cjs'), code.cjs);
  const esm = sh(process.execPath, ['check.mjs'], dir).trim();
  const cjs = sh(process.execPath, ['check.cjs'], dir).trim();
  console.log(`${name}: esm ${esm} | cjs ${cjs}`);
  return dir;
}

// @rvfjs/wire alone (with its one dependency): decodes a header, and nothing heavier is installed.
const wireDir = tryInstall('wire', [tarball.types, tarball.wire], {
  esm: `import { contentHash } from '@rvfjs/wire'; import { existsSync } from 'node:fs';
    if (existsSync('node_modules/@rvfjs/index') || existsSync('node_modules/@rvfjs/runtime') || existsSync('node_modules/hnswlib-node')) throw new Error('wire pulled in index/runtime/native');
    console.log(Buffer.from(contentHash(new TextEncoder().encode('123456789'))).toString('hex'));`,
  cjs: `const { crc32 } = require('@rvfjs/wire'); console.log(crc32(new TextEncoder().encode('123456789')).toString(16));`,
});
void wireDir;
tryInstall('crypto', [tarball.types, tarball.crypto], {
  // The root, and its two halves (hashes without the Ed25519 code; the Ed25519 code).
  esm: `import { shake256_256 } from '@rvfjs/crypto'; import { simpleHash } from '@rvfjs/crypto/hashes';
    import { generateSigningKey, signSegment, verifySegmentSignature } from '@rvfjs/crypto/signature';
    const k = generateSigningKey(new Uint8Array(32).fill(1)); const seg = new Uint8Array([1, 2, 3]);
    if (!verifySegmentSignature(k.publicKey, seg, signSegment(k.secretKey, seg))) throw new Error('signature');
    console.log(Buffer.from(shake256_256(new Uint8Array())).toString('hex').slice(0, 16), simpleHash(seg).length);`,
  cjs: `const { simpleHash } = require('@rvfjs/crypto'); const h = require('@rvfjs/crypto/hashes'); console.log(simpleHash(new Uint8Array([1])).length, typeof h.shake256_256);`,
});
// The runtime without the object-storage layer (and so without the AWS SDK).
const withoutObjectStore = Object.entries(tarball)
  .filter(([name]) => name !== 'objectstore')
  .map(([, path]) => path);
tryInstall('runtime', withoutObjectStore, {
  esm: `import { RvfStore } from '@rvfjs/runtime'; import { mkdtempSync } from 'node:fs'; import { join } from 'node:path'; import { tmpdir } from 'node:os';
    const p = join(mkdtempSync(join(tmpdir(), 'x-')), 'a.rvf'); const s = await RvfStore.create(p, { dimension: 2 });
    await s.ingestBatch([[1, 2]], [7]); console.log((await s.query([1, 2], 1))[0].id); await s.close();`,
  cjs: `const { RvfStore } = require('@rvfjs/runtime'); console.log(typeof RvfStore.create);`,
});
// @rvfjs/objectstore with everything it needs (the runtime, and the AWS SDK from the registry).
tryInstall('objectstore', Object.values(tarball), {
  esm: `import { objectStore, parseNamespaceUrl } from '@rvfjs/objectstore';
    console.log(parseNamespaceUrl('s3://bucket/team/products@2').version, objectStore('s3://bucket/team').url);`,
  cjs: `const { checkName } = require('@rvfjs/objectstore'); console.log(checkName('products'));`,
});
rmSync(out, { recursive: true, force: true });
console.log('pack check: ok');
