// vitest global setup of the server suite's PostgreSQL run: one throwaway cluster for the run; each test server gets
// a fresh database in it (helpers.ts, testDatabase).
import { startPostgres } from './engines.js';

export default async function setup() {
  const pg = await startPostgres();
  process.env.SEGKIT_TEST_POSTGRES_URL = pg.url;
  return () => pg.stop();
}
