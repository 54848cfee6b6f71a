/**
 * Namespaces from one store: a branch, a shallow copy, a deep copy, a plain file copy and an
 * NDJSON export, and which bytes each one shares with the original. A branch and a shallow
 * copy store only their own changes and read the rest through their parent link; a deep copy,
 * a file copy and an export share nothing.
 */
import { createReadStream } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { RvfStore } from '@rvfjs/runtime';
import { randomVectors } from './seeded-vectors.js';
import { workDir } from './work-dir.js';

const dir = await workDir(process.argv[2]);
const DIM = 32;

const tenant = await RvfStore.create(join(dir, 'tenant-a.rvf'), { dimension: DIM });
const vectors = randomVectors(200, DIM, 11);
const ids = vectors.map((_, i) => i);
await tenant.ingestBatch(
  vectors,
  ids,
  ids.map((i) => ({ tenant: 'a', n: i })),
);

const branch = await tenant.branch(join(dir, 'tenant-a-experiment.rvf'));
const shallow = await tenant.copy(join(dir, 'tenant-a-shallow.rvf'));
const deep = await tenant.copy(join(dir, 'tenant-a-deep.rvf'), { deep: true });
await copyFile(join(dir, 'tenant-a.rvf'), join(dir, 'tenant-a-file-copy.rvf'));
const fileCopy = await RvfStore.open(join(dir, 'tenant-a-file-copy.rvf'), { readOnly: true });
let ndjson = '';
for await (const line of tenant.export()) ndjson += line;
await writeFile(join(dir, 'tenant-a.ndjson'), ndjson);

/** What a store reads from its parent rather than from its own file. */
function shared(store: RvfStore): string {
  const cow = store.cowStats();
  if (!cow) return 'nothing';
  const parent = basename(store.parentPath ?? '?');
  return `${cow.inheritedClusters * cow.clusterSizeBytes} bytes (${cow.inheritedClusters} clusters) of ${parent}`;
}

const rows: [string, string, number, string][] = [
  ['original', 'tenant-a.rvf', tenant.status().fileSize, '–'],
  ['branch', 'tenant-a-experiment.rvf', branch.status().fileSize, shared(branch)],
  ['shallow copy', 'tenant-a-shallow.rvf', shallow.status().fileSize, shared(shallow)],
  ['deep copy', 'tenant-a-deep.rvf', deep.status().fileSize, shared(deep)],
  ['file copy', 'tenant-a-file-copy.rvf', fileCopy.status().fileSize, shared(fileCopy)],
  ['NDJSON export', 'tenant-a.ndjson', Buffer.byteLength(ndjson), 'nothing (text)'],
];
console.log('what          file                     own bytes  reads from its parent');
for (const [what, file, size, reads] of rows) {
  console.log(`${what.padEnd(13)} ${file.padEnd(24)} ${String(size).padStart(9)}  ${reads}`);
}

console.log('\nidentity:');
for (const [what, s] of [
  ['original', tenant],
  ['branch', branch],
  ['shallow copy', shallow],
  ['deep copy', deep],
  ['file copy', fileCopy],
] as const) {
  const parent = s.lineageDepth === 0 ? 'no parent' : `parent ${s.parentId}`;
  console.log(`  ${what.padEnd(13)} file id ${s.fileId}, depth ${s.lineageDepth}, ${parent}`);
}
console.log('  (a file copy is the same store under another name: same file id)');

// Namespaces diverge: a write to the branch is not seen by the original, nor by the copies.
await branch.ingestBatch([randomVectors(1, DIM, 12)[0]!], [200], [{ tenant: 'a', n: 200 }]);
await deep.delete([0]);
console.log('\nafter a write to the branch and a delete in the deep copy:');
for (const [what, s] of [
  ['original', tenant],
  ['branch', branch],
  ['shallow copy', shallow],
  ['deep copy', deep],
] as const) {
  console.log(`  ${what.padEnd(13)} ${s.status().totalVectors} vectors`);
}

// The export is the portable form: any store of the same dimension can import it.
const line = ndjson.slice(0, ndjson.indexOf('\n'));
console.log(`\nexport: ${ndjson.split('\n').length - 1} lines; the first starts ${line.slice(0, 48)}…`);
const restored = await RvfStore.create(join(dir, 'tenant-b.rvf'), { dimension: DIM });
const imported = await restored.import(createReadStream(join(dir, 'tenant-a.ndjson')));
console.log(
  `imported into tenant-b.rvf: ${imported.accepted} vectors, metadata kept: ${JSON.stringify(restored.get(7)?.metadata)}`,
);

for (const s of [restored, fileCopy, deep, shallow, branch, tenant]) await s.close();
