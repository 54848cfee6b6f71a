// Packs every library with `pnpm pack`, installs the tarballs into empty folders with npm,
// and imports them (ESM and CJS). Proves three things the packages promise:
//  - each tarball installs and imports on its own (files, exports map, dist);
//  - @rvfjs/wire installs with @rvfjs/types only: no index, runtime or native add-on;
//  - workspace:^ ranges were rewritten to real versions.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const out = mkdtempSync(join(tmpdir(), 'rvf-pack-'));
// PNPM may be a command line such as `npx -y pnpm@10.34.9` (as in CI).
const [pnpmCmd, ...pnpmArgs] = (process.env.PNPM ?? 'pnpm').split(' ').filter(Boolean);
const sh = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

const libs = ['rvf-types', 'rvf-wire', 'rvf-crypto', 'rvf-index', 'rvf-runtime'];
const tarball = {};
for (const lib of libs) {
  sh(pnpmCmd, [...pnpmArgs, 'pack', '--pack-destination', out], join(root, 'packages', lib));
}
for (const f of readdirSync(out)) {
  const m = /^rvfjs-(.+)-\d+\.\d+\.\d+.*\.tgz$/.exec(f);
  if (m) tarball[m[1]] = join(out, f);
}

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
  esm: `import { shake256_256 } from '@rvfjs/crypto'; console.log(Buffer.from(shake256_256(new Uint8Array())).toString('hex').slice(0, 16));`,
  cjs: `const { simpleHash } = require('@rvfjs/crypto'); console.log(simpleHash(new Uint8Array([1])).length);`,
});
tryInstall('runtime', Object.values(tarball), {
  esm: `import { RvfStore } from '@rvfjs/runtime'; import { mkdtempSync } from 'node:fs'; import { join } from 'node:path'; import { tmpdir } from 'node:os';
    const p = join(mkdtempSync(join(tmpdir(), 'x-')), 'a.rvf'); const s = await RvfStore.create(p, { dimension: 2 });
    await s.ingestBatch([[1, 2]], [7]); console.log((await s.query([1, 2], 1))[0].id); await s.close();`,
  cjs: `const { RvfStore } = require('@rvfjs/runtime'); console.log(typeof RvfStore.create);`,
});
rmSync(out, { recursive: true, force: true });
console.log('pack check: ok');
