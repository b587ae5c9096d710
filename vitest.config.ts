// Test runner configuration: unit tests are fast and pure; lab tests boot a guest kernel each.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 240_000,
    // Lab tests each boot a user-mode Linux guest; two at a time on a 2-core machine.
    maxWorkers: 2,
    minWorkers: 1,

  },
});
