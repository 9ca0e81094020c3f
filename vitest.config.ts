import { defineConfig } from 'vitest/config';

// Two projects: pure unit tests, and tests that need the real local cluster and git server
// (started once by test/setup/global-setup.ts).
export default defineConfig({
  test: {
    // The machine has two cores: a few test files at once keeps the local apiserver responsive.
    maxWorkers: 3,
    minWorkers: 1,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'scripts/**/*.test.ts', 'ui/src/**/*.test.ts'],
          exclude: ['**/*.integration.test.ts', 'node_modules/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['src/**/*.integration.test.ts', 'test/**/*.test.ts'],
          globalSetup: ['test/setup/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
