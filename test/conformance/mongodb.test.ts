import { createMongoQueue } from '@mqkit/mongodb';
import { MongoClient } from 'mongodb';
import { type MongoEndpoint, startMongo } from '../support/congo.js';
import { defineConformanceSuite } from './suite.js';

// The CongoDB stand-in by default; the real server from MONGODB_URL when set. Every queue
// instance of the run shares one user-owned MongoClient: the suite checks close() leaves it open.
let endpoint: MongoEndpoint;
let client: MongoClient;
let clientClosed = false;
let downClient: MongoClient | undefined;

defineConformanceSuite({
  name: process.env.MONGODB_URL ? 'mongodb' : 'mongodb (CongoDB stand-in)',
  async setup() {
    endpoint = await startMongo();
    client = new MongoClient(endpoint.url);
    client.on('topologyClosed', () => {
      clientClosed = true;
    });
    await client.connect();
  },
  // The stand-in is a single-threaded JS server without indexes, sharing CPU with parallel test files.
  timeScale: process.env.MONGODB_URL ? 1 : 1.5,
  create: (options) => createMongoQueue({ ...options, client, dbName: 'mqkit_conformance' }),
  async userClientOpen() {
    if (clientClosed) return false;
    await client.db('mqkit_conformance').command({ ping: 1 });
    return true;
  },
  // Nothing listens on port 1: the health() case's unreachable server.
  createDown: (options) => {
    downClient = new MongoClient(
      'mongodb://127.0.0.1:1/?directConnection=true&serverSelectionTimeoutMS=300',
    );
    return createMongoQueue({ ...options, client: downClient, dbName: 'mqkit_down' });
  },
  async teardown() {
    await downClient?.close();
    await client?.close();
    await endpoint?.stop();
  },
});
