const { RvfStore } = await import('@rvfjs/runtime');
const q = new Float32Array(128).fill(0.1);
const t0 = performance.now();
const s = await RvfStore.open(process.argv[2], { readOnly: true });
const t1 = performance.now();
const ts = [];
for (let i = 0; i < 6; i++) {
  const a = performance.now();
  await s.query(q, 10, { includeMetadata: process.argv[3] !== 'nometa' });
  ts.push((performance.now() - a).toFixed(2));
}
console.log('open', (t1 - t0).toFixed(1), 'queries', ts.join(' '), s.status().engine.lastQueryEngine);
process.exit(0);
