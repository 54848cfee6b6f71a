import { defineConfig } from 'tsup';

export default defineConfig({
  // The graph worker is its own entry: worker threads load it by file.
  entry: ['src/index.ts', 'src/graph-worker.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // The lazy hnswlib-node loader uses createRequire(import.meta.url); the shim makes that work in CJS.
  shims: true,
  external: ['hnswlib-node'],
});
