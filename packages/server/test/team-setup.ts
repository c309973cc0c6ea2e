// vitest global setup of the server suite's team run: one throwaway PostgreSQL cluster, Redis server and S3-protocol
// server for the run; each test server gets a fresh database and a fresh bucket in them (helpers.ts, testDatabase),
// and its jobs go through BullMQ on the one Redis, under its database's own namespace.
import { startPostgres, startRedis, startS3 } from './engines.js';

export default async function setup() {
  const pg = await startPostgres();
  const s3 = await startS3();
  const redis = await startRedis();
  process.env.SEGKIT_TEST_POSTGRES_URL = pg.url;
  process.env.SEGKIT_TEST_REDIS_URL = redis.url;
  Object.assign(process.env, s3.env, { SEGKIT_TEST_S3: '1' });
  return async () => {
    await redis.stop();
    await s3.stop();
    pg.stop();
  };
}
