// What a call throws, for tests that assert on the error itself (type, field, message).
import { expect } from 'vitest';
import { ConfigurationError } from '../src/index.js';

/** The ConfigurationError `fn` throws; fails the test when it throws nothing or something else. */
export function configError(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('no ConfigurationError');
}
