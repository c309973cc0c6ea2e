// vitest global setup of the server suite's team run: one throwaway PostgreSQL cluster and one S3-protocol server for
// the run; each test server gets a fresh database and a fresh bucket in them (helpers.ts, testDatabase).
import { startPostgres, startS3 } from './engines.js';

export default async function setup() {
  const pg = await startPostgres();
  const s3 = await startS3();
  process.env.SEGKIT_TEST_POSTGRES_URL = pg.url;
  Object.assign(process.env, s3.env, { SEGKIT_TEST_S3: '1' });
  return async () => {
    await s3.stop();
    pg.stop();
  };
}
