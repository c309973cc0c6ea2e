// The browser suite: Playwright (playwright-core) drives Debian's chromium against a real `segkit serve` with the
// fixture models. Run with `npm run test:e2e` after `npm run build`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    reporters: ['default', ['json', { outputFile: 'reports/vitest-e2e.json' }]],
  },
});
