import { ErrorCode, MqkitError } from '@mqkit/core';
import { redactSecrets } from '@mqkit/core/provider';
import { oneLine } from './render.js';

/** Exit codes of the `mqkit` binary (documented in the README and docs/cli.md). */
export const ExitCode = {
  /** The command did what was asked. */
  OK: 0,
  /** The backend failed or was unreachable, or an unexpected error. */
  FAILED: 1,
  /** Bad usage: unknown command or flag, bad value, no or bad connection URL. */
  USAGE: 2,
  /** The queue or dead letter named does not exist. */
  NOT_FOUND: 3,
  /** A destructive command was not confirmed (no `--yes` and no terminal to ask). */
  REFUSED: 4,
} as const;

/** One of {@link ExitCode}'s values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A command declined to act (not confirmed); carries {@link ExitCode.REFUSED}. */
export class RefusedError extends Error {}

/** Pure: the exit code for an error a command threw. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof RefusedError) return ExitCode.REFUSED;
  if (error instanceof MqkitError) {
    switch (error.code) {
      case ErrorCode.NOT_FOUND:
        return ExitCode.NOT_FOUND;
      case ErrorCode.VALIDATION:
      case ErrorCode.CONFIGURATION:
      case ErrorCode.UNSUPPORTED_FEATURE:
        return ExitCode.USAGE;
      default:
        return ExitCode.FAILED;
    }
  }
  return ExitCode.FAILED;
}

/**
 * Pure: the one line printed for an error (credentials redacted, newlines folded); with `debug`
 * the stack and causes follow.
 */
export function describeError(error: unknown, debug: boolean): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = `mqkit: ${oneLine(redactSecrets(message))}`;
  if (!debug) return line;
  const parts = [line];
  let e: unknown = error;
  while (e instanceof Error) {
    if (e.stack) parts.push(redactSecrets(e.stack));
    e = e.cause;
    if (e !== undefined) parts.push('caused by:');
  }
  if (e !== undefined && !(e instanceof Error)) parts.push(redactSecrets(String(e)));
  return parts.join('\n');
}
