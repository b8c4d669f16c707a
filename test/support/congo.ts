import { redactSecrets } from '@mqkit/core/provider';
import { congodb } from '@push.rocks/smartmongo';

/** A MongoDB endpoint for tests and benchmarks. */
export interface MongoEndpoint {
  /** Connection string (may hold credentials: never log it, log `label`). */
  readonly url: string;
  /** True for a real server from `MONGODB_URL`, false for the CongoDB stand-in. */
  readonly real: boolean;
  /** Printable description with credentials redacted. */
  readonly label: string;
  /** Stops the stand-in (no-op for a real server). */
  stop(): Promise<void>;
}

/** `MONGODB_URL` when set (a real server: authoritative), else undefined. */
export const realMongoUrl: string | undefined = process.env.MONGODB_URL || undefined;

/**
 * Starts the in-memory CongoDB stand-in (@push.rocks/smartmongo 2.2.0) on a free port of
 * 127.0.0.1, or returns `MONGODB_URL` when it is set. The stand-in speaks the wire protocol but
 * has known gaps (docs/providers/mongodb.md): tests needing real behaviour gate on `real`.
 */
export async function startMongo(): Promise<MongoEndpoint> {
  if (realMongoUrl !== undefined) {
    return {
      url: realMongoUrl,
      real: true,
      label: `MongoDB at ${redactSecrets(realMongoUrl)}`,
      stop: async () => {},
    };
  }
  return startStandIn();
}

/** Always starts the stand-in, even when `MONGODB_URL` is set. */
export async function startStandIn(): Promise<MongoEndpoint> {
  const server = new congodb.CongoServer({ host: '127.0.0.1', port: 0, storage: 'memory' });
  await server.start();
  // The `port` getter reports the configured 0; the bound port is on the net.Server.
  // biome-ignore lint/complexity/useLiteralKeys: `server` is private in CongoServer's typings
  const address = server['server'].address();
  if (address === null || typeof address !== 'object')
    throw new Error('CongoDB stand-in did not report a bound TCP address');
  // serverMonitoringMode=poll: the driver's default streaming monitor (hello with exhaust /
  // moreToCome) is not implemented faithfully by the stand-in; under load the monitor fails with
  // "Server ended moreToCome unexpectedly" and the driver clears the pool, failing in-flight ops.
  const url = `mongodb://127.0.0.1:${address.port}/?directConnection=true&serverMonitoringMode=poll`;
  return {
    url,
    real: false,
    label: `CongoDB stand-in at 127.0.0.1:${address.port}`,
    stop: () => server.stop(),
  };
}
