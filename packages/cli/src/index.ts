// Everything @mqkit/cli/actions exports (the operator actions), plus the CLI's own entry points.
export * from './actions.js';
export {
  type BackendKind,
  CONNECTION_ENV,
  type ConnectionFlags,
  type OpenQueue,
  openQueue,
  type ResolvedConnection,
  resolveConnection,
} from './connect/connection.js';
export { ExitCode } from './exit.js';
export { type CliIO, main } from './program.js';
