// The server suite again, on PostgreSQL: `npm run test:postgres`. One throwaway cluster (initdb, pg_ctl) for the
// run, a fresh database per test server.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['packages/server/test/**/*.test.ts'],
    globalSetup: ['packages/server/test/postgres-setup.ts'],
    reporters: ['default', ['json', { outputFile: 'reports/vitest-postgres.json' }]],
  },
});
