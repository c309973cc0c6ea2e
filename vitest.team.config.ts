// The server suite again on the team set-up: `npm run test:team`. PostgreSQL (a throwaway cluster: initdb, pg_ctl)
// and S3 blobs (a throwaway s3rver) for the run; a fresh database and bucket per test server.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['packages/server/test/**/*.test.ts'],
    globalSetup: ['packages/server/test/team-setup.ts'],
    reporters: ['default', ['json', { outputFile: 'reports/vitest-team.json' }]],
  },
});
