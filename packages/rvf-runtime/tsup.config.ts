import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // Loaded only when an s3:// store is opened: an optional peer, never bundled.
  external: ['@aws-sdk/client-s3'],
});
