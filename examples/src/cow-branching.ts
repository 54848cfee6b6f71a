/**
 * Copy-on-write branching: a child store starts as a small file that reads its parent's
 * vectors and stores only what it changes. Freezing a store pins it, and children nest.
 */
import { join } from 'node:path';
import { RvfStore } from '@rvfjs/runtime';
import { randomVectors } from './seeded-vectors.js';
import { workDir } from './work-dir.js';

const dir = await workDir(process.argv[2]);
const DIM = 128;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

// A base store: 500 vectors of 128 dimensions, each with a little metadata.
const base = await RvfStore.create(join(dir, 'base.rvf'), { dimension: DIM, metric: 'l2' });
const vectors = randomVectors(500, DIM, 1);
const ids = vectors.map((_, i) => i);
await base.ingestBatch(
  vectors,
  ids,
  ids.map((i) => ({ shard: i % 4 })),
);
console.log(`base: ${base.status().totalVectors} vectors, ${kib(base.status().fileSize)}`);

// Branch it, then change the child: 20 vectors get new values and 5 are deleted.
const child = await base.branch(join(dir, 'child.rvf'));
const edited = randomVectors(20, DIM, 2);
await child.ingestBatch(
  edited,
  ids.slice(0, 20),
  ids.slice(0, 20).map(() => ({ shard: 9 })),
);
await child.delete([100, 101, 102, 103, 104]);

// (The parent grew a little too: branch() records the branch count in it.)
const parentSize = base.status().fileSize;
const childSize = child.status().fileSize;
console.log(`\nfile sizes: parent ${kib(parentSize)}, child ${kib(childSize)}`);
console.log(`child/parent: ${((100 * childSize) / parentSize).toFixed(1)}%`);

console.log('\nlineage:');
console.log(`  parent file id ${base.fileId}, depth ${base.lineageDepth}`);
console.log(`  child  file id ${child.fileId}, depth ${child.lineageDepth}`);
console.log(
  `  child's parent id ${child.parentId} (the parent's file id: ${child.parentId === base.fileId})`,
);

const cow = child.cowStats()!;
console.log('\ncopy-on-write statistics of the child:');
console.log(
  `  ${cow.clusterCount} clusters of ${cow.vectorsPerCluster} vectors (${cow.clusterSizeBytes} bytes each)`,
);
console.log(
  `  local (changed in the child): ${cow.localClusters}, inherited from the parent: ${cow.inheritedClusters}`,
);

const members = child.membershipFilter()!;
console.log(
  `\nmembership: ${members.mode} ${members.memberCount} of the parent's ${members.vectorCount} vectors`,
);
const st = child.status();
console.log(`child sees ${st.totalVectors} vectors, ${st.ownVectors} stored in its own file`);

// The same query on both: the child answers with its edited vector, the parent with the old one.
const q = edited[0]!;
const show = (hits: { id: unknown; distance: number }[]) =>
  hits.map((h) => `${h.id} (${h.distance.toFixed(3)})`).join(', ');
console.log('\nnearest 3 to the edited vector 0:');
console.log(`  parent: ${show(await base.query(q, 3))}`);
console.log(`  child:  ${show(await child.query(q, 3))}`);
const deleted = await child.query(vectors[100]!, 1);
console.log(
  `  vector 100 (deleted in the child): parent finds ${(await base.query(vectors[100]!, 1))[0]!.id}, child finds ${deleted[0]!.id}`,
);

// Freeze the child: it becomes a read-only snapshot; a write is refused with a coded error.
const frozenAt = await child.freeze();
console.log(`\nchild frozen at epoch ${frozenAt}: frozen=${child.frozen}`);
try {
  await child.ingestBatch([edited[1]!], [999]);
} catch (e) {
  console.log(`  a write to it fails: ${(e as Error).name}`);
}

// A grandchild of the frozen child: two levels of inheritance.
const grandchild = await child.branch(join(dir, 'grandchild.rvf'));
await grandchild.ingestBatch([randomVectors(1, DIM, 3)[0]!], [500], [{ shard: 0 }]);
console.log(
  `\ngrandchild: depth ${grandchild.lineageDepth}, parent is the child: ${grandchild.parentId === child.fileId}`,
);
console.log(
  `  sees ${grandchild.status().totalVectors} vectors, ${kib(grandchild.status().fileSize)} on disk`,
);
console.log(`  nearest to the edited vector 0: ${show(await grandchild.query(q, 1))}`);

await grandchild.close();
await child.close();
await base.close();
