import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Native modules (sharp, onnxruntime, better-sqlite3) are safer in forks than threads.
    pool: 'forks',
    maxWorkers: 2,
  },
});
