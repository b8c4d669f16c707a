import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDefaultLogger } from '../src/index.js';
import { errorInfo, redactSecrets } from '../src/provider.js';

describe('redactSecrets', () => {
  it.each([
    ['postgres://app:hunter2@db:5432/x', 'postgres://app:***@db:5432/x'],
    [
      'mongodb+srv://u:p%40ss@cluster0/db?retryWrites=true',
      'mongodb+srv://u:***@cluster0/db?retryWrites=true',
    ],
    ['redis://:s3cret@cache:6379', 'redis://:***@cache:6379'],
    ['https://token123@example.com/x', 'https://***@example.com/x'],
    ['Server=db;User Id=sa;Password=Pa55;', 'Server=db;User Id=sa;Password=***;'],
    ['http://example.com/no/credentials', 'http://example.com/no/credentials'],
  ])('redacts %s', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it('errorInfo redacts credentials in messages and stacks', () => {
    const info = errorInfo(new Error('connect failed: mysql://root:toor@127.0.0.1/test'));
    expect(info.message).toBe('connect failed: mysql://root:***@127.0.0.1/test');
    expect(info.stack).not.toContain('toor');
  });
});

describe('createDefaultLogger', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('logs at warn by default and at MQKIT_LOG_LEVEL when set', () => {
    vi.stubEnv('MQKIT_LOG_LEVEL', '');
    expect((createDefaultLogger() as unknown as { level: string }).level).toBe('warn');
    vi.stubEnv('MQKIT_LOG_LEVEL', 'debug');
    expect((createDefaultLogger() as unknown as { level: string }).level).toBe('debug');
    vi.stubEnv('MQKIT_LOG_LEVEL', 'loud');
    expect((createDefaultLogger() as unknown as { level: string }).level).toBe('warn');
  });
});
