// The error hierarchy is a contract: callers branch on `code` and `instanceof`, read `field`,
// `index`, `path`, `size`, `limit`, `feature`, and find the driver's error in `cause`.
import { describe, expect, it } from 'vitest';
import {
  BackendError,
  ConfigurationError,
  ErrorCode,
  HandlerTimeoutError,
  LeaseLostError,
  MessageTooLargeError,
  MqkitError,
  NonRetryableError,
  NotFoundError,
  QueueClosedError,
  SerializationError,
  ShutdownError,
  UnsupportedFeatureError,
  ValidationError,
} from '../src/index.js';
import { errorInfo, LogThrottle } from '../src/provider.js';

describe('error codes', () => {
  it('are the stable strings callers branch on', () => {
    expect(ErrorCode).toEqual({
      CONFIGURATION: 'MQKIT_CONFIGURATION',
      VALIDATION: 'MQKIT_VALIDATION',
      SERIALIZATION: 'MQKIT_SERIALIZATION',
      MESSAGE_TOO_LARGE: 'MQKIT_MESSAGE_TOO_LARGE',
      UNSUPPORTED_FEATURE: 'MQKIT_UNSUPPORTED_FEATURE',
      NON_RETRYABLE: 'MQKIT_NON_RETRYABLE',
      HANDLER_TIMEOUT: 'MQKIT_HANDLER_TIMEOUT',
      LEASE_LOST: 'MQKIT_LEASE_LOST',
      SHUTDOWN: 'MQKIT_SHUTDOWN',
      CLOSED: 'MQKIT_CLOSED',
      BACKEND: 'MQKIT_BACKEND',
      NOT_FOUND: 'MQKIT_NOT_FOUND',
    });
  });
  it('every class carries its code, its own name, and is an MqkitError and an Error', () => {
    const cause = new Error('driver');
    const cases: [MqkitError, string, string][] = [
      [
        new ConfigurationError('retry.maxAttempts', 'bad', { cause }),
        'ConfigurationError',
        ErrorCode.CONFIGURATION,
      ],
      [new ValidationError('bad', { index: 2, cause }), 'ValidationError', ErrorCode.VALIDATION],
      [
        new SerializationError('payload.a', 'bad', { index: 1, cause }),
        'SerializationError',
        ErrorCode.SERIALIZATION,
      ],
      [
        new MessageTooLargeError(10, 5, 'big', { index: 3 }),
        'MessageTooLargeError',
        ErrorCode.MESSAGE_TOO_LARGE,
      ],
      [
        new UnsupportedFeatureError('priority', 'kinesis'),
        'UnsupportedFeatureError',
        ErrorCode.UNSUPPORTED_FEATURE,
      ],
      [new NonRetryableError('no', { cause }), 'NonRetryableError', ErrorCode.NON_RETRYABLE],
      [new HandlerTimeoutError(250), 'HandlerTimeoutError', ErrorCode.HANDLER_TIMEOUT],
      [new LeaseLostError(), 'LeaseLostError', ErrorCode.LEASE_LOST],
      [new ShutdownError(), 'ShutdownError', ErrorCode.SHUTDOWN],
      [new QueueClosedError('memory'), 'QueueClosedError', ErrorCode.CLOSED],
      [new BackendError('down', { cause }), 'BackendError', ErrorCode.BACKEND],
      [new NotFoundError('queue', 'q', 'no queue "q"'), 'NotFoundError', ErrorCode.NOT_FOUND],
    ];
    for (const [error, name, code] of cases) {
      expect(error).toBeInstanceOf(MqkitError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(name);
      expect(error.code).toBe(code);
    }
    for (const index of [0, 1, 2, 5, 10]) expect(cases[index]?.[0].cause).toBe(cause);
  });
  it('carries the fields that say what was wrong', () => {
    const missing = new NotFoundError('dead letter', 'm1', 'no dead letter "m1"');
    expect([missing.kind, missing.target, missing.message]).toEqual([
      'dead letter',
      'm1',
      'no dead letter "m1"',
    ]);
    const config = new ConfigurationError('retry.maxAttempts', 'bad');
    expect(config.field).toBe('retry.maxAttempts');
    expect(config.message).toBe('bad');
    expect(new ValidationError('bad', { index: 2 }).index).toBe(2);
    expect(new ValidationError('bad').index).toBeUndefined();
    const serialization = new SerializationError('payload.a[1]', 'circular', { index: 4 });
    expect([serialization.path, serialization.index, serialization.message]).toEqual([
      'payload.a[1]',
      4,
      'circular',
    ]);
    expect(new SerializationError('p', 'm').index).toBeUndefined();
    const big = new MessageTooLargeError(2_000, 1_024, 'too big', { index: 0 });
    expect([big.size, big.limit, big.index, big.message]).toEqual([2_000, 1_024, 0, 'too big']);
    expect(new MessageTooLargeError(1, 0, 'm').index).toBeUndefined();
    const unsupported = new UnsupportedFeatureError('delay', 'kinesis');
    expect(unsupported.feature).toBe('delay');
    expect(unsupported.message).toBe(
      '[@mqkit/kinesis] does not support "delay"; check queue.capabilities.delay before using it',
    );
  });
  it('says what happened in the fixed messages', () => {
    expect(new HandlerTimeoutError(250).message).toBe(
      'handler did not settle within handlerTimeoutMs (250 ms)',
    );
    expect(new LeaseLostError().message).toBe(
      'lease lost: the message may be redelivered to another consumer',
    );
    expect(new LeaseLostError('stale owner').message).toBe('stale owner');
    expect(new ShutdownError().message).toBe('consumer is stopping');
    expect(new QueueClosedError('prisma').message).toBe('[@mqkit/prisma] queue is closed');
    expect(new BackendError('down').message).toBe('down');
    expect(new NonRetryableError('no').message).toBe('no');
  });
});

describe('errorInfo', () => {
  it('keeps name, string code and stack of an Error, redacted', () => {
    const error = Object.assign(new TypeError('connect redis://u:pw@h failed'), { code: 'E_X' });
    const info = errorInfo(error);
    expect(info.name).toBe('TypeError');
    expect(info.message).toBe('connect redis://u:***@h failed');
    expect(info.code).toBe('E_X');
    expect(info.stack).toContain('TypeError: connect redis://u:***@h failed');
    expect(info.stack).not.toContain('pw');
  });
  it('drops a non-string code and a missing stack', () => {
    const error = Object.assign(new Error('x'), { code: 42 });
    error.stack = undefined;
    expect(errorInfo(error)).toEqual({ name: 'Error', message: 'x' });
    expect('code' in errorInfo(error)).toBe(false);
    expect('stack' in errorInfo(error)).toBe(false);
  });
  it('turns anything else into an Error-shaped record, redacted', () => {
    expect(errorInfo('password=hunter2 rejected')).toEqual({
      name: 'Error',
      message: 'password=*** rejected',
    });
    expect(errorInfo(42)).toEqual({ name: 'Error', message: '42' });
    expect(errorInfo({ toString: () => 'token=abc' })).toEqual({
      name: 'Error',
      message: 'token=***',
    });
    const unprintable = {
      toString() {
        throw new Error('no');
      },
    };
    expect(errorInfo(unprintable)).toEqual({ name: 'Error', message: 'unprintable error value' });
  });
});

describe('LogThrottle', () => {
  it('defaults to 5 lines per 10 s window', () => {
    const t = new LogThrottle();
    expect([0, 1, 2, 3, 4].map((now) => t.admit(now))).toEqual([0, 0, 0, 0, 0]);
    expect(t.admit(9_999)).toBeUndefined();
    expect(t.admit(10_000)).toBe(1);
  });
  it('opens a new window exactly windowMs after the last one began', () => {
    const t = new LogThrottle(1, 100);
    expect(t.admit(50)).toBe(0);
    expect(t.admit(149)).toBeUndefined();
    expect(t.admit(149)).toBeUndefined();
    expect(t.admit(150)).toBe(2);
    expect(t.admit(200)).toBeUndefined();
    expect(t.admit(250)).toBe(1);
    expect(t.admit(400)).toBe(0);
  });
});
