import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // One gateway for every test file of a run (started once, stopped once; see rgw-setup.ts).
    globalSetup: ['test/rgw-setup.ts'],
  },
});
