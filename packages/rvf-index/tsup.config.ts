import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // The lazy hnswlib-node loader uses createRequire(import.meta.url); the shim makes that work in CJS.
  shims: true,
  external: ['hnswlib-node'],
});
