import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const file = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));
const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources, not the built dist/.
    alias: [
      // Browser-safe subpath exports first: an alias is a prefix match.
      { find: /^@segkit\/core\/mask$/, replacement: file('core/src/browser.ts') },
      { find: /^@segkit\/models\/browser$/, replacement: file('models/src/browser.ts') },
      { find: /^@segkit\/server\/schemas$/, replacement: file('server/src/schemas.ts') },
      ...Object.entries({
        '@segkit/core': src('core'),
        '@segkit/models': src('models'),
        '@segkit/datasets': src('datasets'),
        '@segkit/analytics': src('analytics'),
        '@segkit/recipes': src('recipes'),
        '@segkit/server': src('server'),
        '@segkit/cli': src('cli'),
      }).map(([find, replacement]) => ({ find, replacement })),
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'tests/**/*.test.ts'],
    testTimeout: 30_000,
    reporters: ['default', ['json', { outputFile: 'reports/vitest.json' }]],
  },
});
