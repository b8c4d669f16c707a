import { BackendError, MqkitError } from '../errors.js';
import { redactSecrets } from '../redact.js';

/** Adds a provider-specific hint to a backend error message (e.g. "run the migrations"). */
export type BackendErrorHint = (error: unknown) => string | undefined;

/**
 * Wraps what a driver threw in a {@link BackendError} whose message names the provider and the
 * operation, with credentials redacted and an optional hint; the driver's error is kept as
 * `cause`. An {@link MqkitError} passes through unchanged (it is already typed).
 */
export function toBackendError(
  provider: string,
  operation: string,
  error: unknown,
  hint?: BackendErrorHint,
): MqkitError {
  if (error instanceof MqkitError) return error;
  const text = error instanceof Error ? error.message : String(error);
  const advice = hint?.(error);
  return new BackendError(
    `[@mqkit/${provider}] ${operation} failed: ${redactSecrets(text)}${advice ? `; ${advice}` : ''}`,
    { cause: error },
  );
}

/** Runs `operation` and rethrows any driver error through {@link toBackendError}. */
export async function withBackendErrors<T>(
  provider: string,
  operation: string,
  run: () => Promise<T>,
  hint?: BackendErrorHint,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toBackendError(provider, operation, error, hint);
  }
}
