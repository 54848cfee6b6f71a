import { defineConfig } from 'tsup';

export default defineConfig({
  // The root, and the two halves a caller can load apart (see hashes.ts).
  entry: ['src/index.ts', 'src/hashes.ts', 'src/signature.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
