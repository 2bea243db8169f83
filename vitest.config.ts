import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests spawn servers and redis-servers; two cores do not gain from more parallel files.
    maxWorkers: 2,
  },
});
