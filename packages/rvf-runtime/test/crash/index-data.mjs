// Vectors of the index kill test, a pure function of (id, seed): the test rebuilds what any
// committed id must hold without talking to the child.
export function vectorsFor(ids, dim, seed) {
  const out = new Float32Array(ids.length * dim);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    // 30 clusters, so the graph has structure to get wrong.
    const c = (id * 7919 + seed) % 30;
    for (let d = 0; d < dim; d++) {
      const noise = Math.sin(id * 12.9898 + d * 78.233 + seed) * 43758.5453;
      out[i * dim + d] = Math.cos(c * 3.1 + d) * 4 + (noise - Math.floor(noise)) - 0.5;
    }
  }
  return out;
}
