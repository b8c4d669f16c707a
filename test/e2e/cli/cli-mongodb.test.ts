import { createMongoQueue } from '@mqkit/mongodb';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe } from 'vitest';
import { type MongoEndpoint, startMongo } from '../../support/congo.js';
import { defineCliScenario } from './scenario.js';

// The `mqkit` binary against MongoDB: the CongoDB stand-in, or the real server from MONGODB_URL.
describe('mqkit CLI on mongodb', () => {
  let endpoint: MongoEndpoint;
  let client: MongoClient;
  beforeAll(async () => {
    endpoint = await startMongo();
    client = new MongoClient(endpoint.url);
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
    await endpoint?.stop();
  });
  defineCliScenario(() => ({
    create: (options) => createMongoQueue({ ...options, client, dbName: 'mqkit_cli' }),
    args: ['--database', 'mqkit_cli'],
    env: { MQKIT_MONGODB_URL: endpoint.url },
  }));
});
