// kinesalite in its own OS process, shared by every consumer process of a chaos run: the test
// (or bench) starts it, reads the port from the first IPC message, and SIGKILLs it at the end.
import type { AddressInfo } from 'node:net';
import kinesalite from 'kinesalite';

const server = kinesalite({
  createStreamMs: 0,
  deleteStreamMs: 0,
  updateStreamMs: 0,
  shardLimit: 10_000,
});
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
